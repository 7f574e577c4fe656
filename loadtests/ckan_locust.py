"""Locust users for the CKAN API: read actions with their bare-FastAPI baselines, and
the mixed workload of issue 15.

The target is chosen with the environment variable BENCH_TARGET:

- ``show``, ``list``, ``bare-show`` or ``bare-list`` (ReadUser): one request over
  and over, no think time; run through loadtests/ckan_bench.py.
- ``mixed`` (MixedUser): 50 % package_search, 25 % package_show, 10 %
  datastore_search, 10 % file downloads, 5 % package_create, with think time;
  run through loadtests/mixed_workload.py, which builds the catalogue and passes
  it in BENCH_NAMES_FILE, BENCH_DATASTORE_IDS, BENCH_DOWNLOADS, BENCH_TOKEN and
  BENCH_ORG.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path

from locust import FastHttpUser, between, constant, task

TARGET = os.environ.get("BENCH_TARGET", "show")
NAMES = [n for n in os.environ.get("BENCH_NAMES", "").split(",") if n]


class ReadUser(FastHttpUser):
    abstract = TARGET == "mixed"  # locust runs every concrete user class in the file
    wait_time = constant(0)

    @task
    def read(self) -> None:
        name = random.choice(NAMES) if NAMES else "x"
        if TARGET == "show":
            self.client.get(f"/api/3/action/package_show?id={name}", name="package_show")
        elif TARGET == "list":
            self.client.get("/api/3/action/package_list", name="package_list")
        elif TARGET == "bare-show":
            self.client.get(f"/bare/package_show?id={name}", name="bare_show")
        else:
            self.client.get("/bare/package_list", name="bare_list")


# What people type into a portal's search box: the words of loadtests/search_latency's
# QUERY_MIX (Chinese, English, traditional, places, fielded, empty), with the six
# facets the search page asks for.
SEARCH_TERMS = (
    "", "空气质量", "养老机构 名录", "苏州市公共停车场", "上海市地表水水质监测数据", "敬老院",
    "看病 医院", "厕所 杭州", "沪 垃圾分类", "长三角 A级旅游景区", "air quality Shanghai",
    "bus stops Nanjing", "醫療機構 杭州", "宁波 港口 集装箱 吞吐量", "江苏 河道 水位 实时",
    "title:停车场", "organization:shanghai-health", "公园", "医疗机构", "幼儿园",
)  # fmt: skip
WAIT = [float(s) for s in os.environ.get("BENCH_WAIT", "1,2").split(",")]
FACETS = json.dumps(["organization", "groups", "tags", "res_format", "license_id", "theme"])


def _names() -> list[str]:
    path = os.environ.get("BENCH_NAMES_FILE")
    return Path(path).read_text("utf-8").split() if path else []


def _split(variable: str) -> list[str]:
    return [v for v in os.environ.get(variable, "").split(",") if v]


class MixedUser(FastHttpUser):
    abstract = TARGET != "mixed"
    # A person reading a portal, or a script with some pacing: 1-2 s between requests
    # (BENCH_WAIT="min,max" seconds; "0,0" for the smoke test).
    wait_time = between(WAIT[0], WAIT[-1])

    names = _names() if TARGET == "mixed" else []
    datastore_ids = _split("BENCH_DATASTORE_IDS")
    downloads = _split("BENCH_DOWNLOADS")  # paths of uploaded files
    token = os.environ.get("BENCH_TOKEN", "")
    org = os.environ.get("BENCH_ORG", "")

    @task(50)
    def search(self) -> None:
        params = {"q": random.choice(SEARCH_TERMS), "rows": 20, "facet.field": FACETS}
        if random.random() < 0.2:  # the second page and beyond
            params["start"] = 20 * random.randint(1, 5)
        self.client.get("/api/3/action/package_search", params=params, name="package_search")

    @task(25)
    def show(self) -> None:
        name = random.choice(self.names)
        self.client.get(f"/api/3/action/package_show?id={name}", name="package_show")

    @task(10)
    def datastore(self) -> None:
        params = {"resource_id": random.choice(self.datastore_ids), "limit": 100}
        if random.random() < 0.5:
            params["q"] = random.choice(("上海", "苏州", "杭州", "合肥"))
        else:
            params["offset"] = 100 * random.randint(0, 9)
        self.client.get("/api/3/action/datastore_search", params=params, name="datastore_search")

    @task(10)
    def download(self) -> None:
        self.client.get(random.choice(self.downloads), name="download")

    @task(5)
    def write(self) -> None:
        tag = uuid.uuid4().hex[:12]
        self.client.post(
            "/api/3/action/package_create",
            json={
                "name": f"mixed-{tag}",
                "title": f"压力测试数据集 {tag}",
                "notes": "混合负载写入的数据集 (a dataset written by the mixed workload)",
                "owner_org": self.org,
                "tags": [{"name": "压力测试"}],
            },
            headers={"Authorization": self.token},
            name="package_create",
        )
