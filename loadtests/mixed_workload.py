"""A mixed locust workload on a large catalogue, embedded and scale-out shapes (issue 15).

50 % package_search, 25 % package_show, 10 % datastore_search, 10 % file
downloads, 5 % package_create (loadtests/ckan_locust.py, MixedUser: 1-2 s of
think time between requests), stepped over a number of users, each step a
fresh headless locust run of a few seconds against the running shape:

- ``embedded``: one ``delta serve`` process on SQLite with the embedded FTS5
  search index;
- ``scale-out``: two ``delta serve`` processes on PostgreSQL behind nginx
  (Debian's package, the docker/ template, files sent by nginx through
  X-Accel-Redirect), sharing one home (storage and the embedded FTS5 index).

The catalogue (default 100,000 datasets) is built once per shape and size and
kept under var/mixed-workload/ (PostgreSQL: the database ``delta_mixed_<size>``
on 127.0.0.1:5432): the search corpus (../shared/search-corpus) is loaded
through the catalog services, then its rows are cloned under new names and ids
in the database and its search documents cloned the same way into the index.
On the first run of a shape, ten datasets with an uploaded CSV each are
published through the API; the ingest worker loads them into the DataStore.
They are what datastore_search and the downloads ask for.

Writes p50/p95/p99 per step as JSON, locust's HTML report of one step
(``--html-users``, 75 by default) and a plot of the percentiles against users.
Prints the users at which the aggregate p99 first passes 1 s.

    .venv/bin/python -m loadtests.mixed_workload [--shape embedded|scale-out|both]
        [--size 100000] [--users 1,2,5,10,25,50,75,100,150,200] [--seconds 20] [--out docs/perf]
"""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import grp
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
VAR = ROOT / "var" / "mixed-workload"
LOCUSTFILE = Path(__file__).resolve().parent / "ckan_locust.py"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
ACCEL = "/_storage/"
TASKS = ("package_search", "package_show", "datastore_search", "download", "package_create")
BENCH_ORG = "mixed-bench"
_NAMESPACE = uuid.UUID("5d7c0b54-3f0e-4a53-9f0b-5c1d0f6b8e21")
# data.gov's CKAN under locust, 75 users (the anchor of issue 15).
DATA_GOV = {"package_search_p50_ms": 950.0, "package_search_rps": 5.7, "package_show_p50_ms": 290.0}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the catalogue ------------------------------------------------------------------------------


@dataclass
class Catalogue:
    root: Path  # var/mixed-workload/<shape>-<size>
    size: int
    database_url: str | None  # None: SQLite in the home
    info: dict[str, Any]

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def names_file(self) -> Path:
        return self.root / "names.txt"

    def save(self) -> None:
        (self.root / "catalogue.json").write_text(json.dumps(self.info, indent=2), "utf-8")


def make_home(home: Path) -> None:
    """A home whose storage nginx's unprivileged workers can read (tests/support/nginx.py)."""
    storage = home / "storage"
    storage.mkdir(parents=True)
    if os.geteuid() == 0:
        home.chmod(0o711)
        os.chown(storage, 0, grp.getgrnam("nogroup").gr_gid)
        storage.chmod(0o2750)  # new files and folders inherit the group


def recreate_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def catalogue(shape: str, size: int, var: Path) -> Catalogue:
    """The cached catalogue of this shape and size, built first if missing."""
    root = var / f"{shape}-{size}"
    database_url = PG_URL.format(name=f"delta_mixed_{size}") if shape == "scale-out" else None
    marker = root / "catalogue.json"
    if marker.exists():
        info = json.loads(marker.read_text("utf-8"))
        say(f"{shape}: reusing the catalogue of {info['datasets']:,} datasets in {root}")
        return Catalogue(root, size, database_url, info)
    shutil.rmtree(root, ignore_errors=True)
    make_home(root / "home")
    if database_url:
        recreate_database(f"delta_mixed_{size}")
    started = time.monotonic()
    info = build(root / "home", size, database_url)
    info["build_seconds"] = round(time.monotonic() - started, 1)
    built = Catalogue(root, size, database_url, info)
    built.names_file.write_text("\n".join(info.pop("names")), "utf-8")
    built.save()
    say(f"{shape}: built {info['datasets']:,} datasets in {info['build_seconds']:.0f} s")
    return built


def build(home: Path, size: int, database_url: str | None) -> dict[str, Any]:
    from datasets import groups, packages
    from datasets.policy import Principal
    from delta import migrations
    from delta.settings import load_settings
    from loadtests.search_quality import corpus_dir
    from open_portal.accounts import service as accounts
    from open_portal.runtime import Portal

    secret = secrets.token_urlsafe(32)
    settings = load_settings(
        home=home, env="test", secret_key=secret, database_url=database_url, search_url=None,
        ingest_worker=False, harvest_scheduler=False,
    )  # fmt: skip
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    corpus = corpus_dir()
    records = [json.loads(line) for line in (corpus / "datasets.jsonl").open(encoding="utf-8")]
    records = records[: min(size, len(records))]
    wanted = {r.get("owner_org") for r in records}
    orgs = [json.loads(line) for line in (corpus / "organizations.jsonl").open(encoding="utf-8")]
    orgs = [o for o in orgs if o["name"] in wanted]
    actor = Principal(user_id="mixed-loader", name="mixed", sysadmin=True)
    portal = Portal.open(settings)
    try:
        with portal.unit_of_work() as unit:
            user = accounts.create_user(
                unit.session, name="mixed-admin", email="admin@example.org",
                password=secrets.token_urlsafe(16), sysadmin=True,
            )  # fmt: skip
            _, token = accounts.create_token(unit.session, user=user, name="mixed-workload")
            for org in [*orgs, {"name": BENCH_ORG, "title": "混合负载测试"}]:
                groups.create_group(unit, actor=actor, data=org, organization=True)
        for start in range(0, len(records), 200):
            with portal.unit_of_work() as unit:
                for record in records[start : start + 200]:
                    packages.create_package(unit, actor=actor, data=record)
            say(f"  corpus: {start + len(records[start : start + 200]):,} datasets")
        originals = [r["name"] for r in records]
        clone_rows(portal, originals, size)
        clone_index(portal, originals, size)
        # package_show asks for public datasets only: private ones answer 403 to anonymous users.
        public = {r["name"] for r in records if not r.get("private")}
        names = [n for n in originals if n in public]
        names += [clone_name(n, c) for c, chunk in _copies(originals, size) for n in chunk
                  if n in public]  # fmt: skip
    finally:
        portal.close()
    return {
        "datasets": size,
        "public": len(names),
        "originals": len(originals),
        "database": "postgresql" if database_url else "sqlite",
        "secret_key": secret,
        "token": token,
        "org": BENCH_ORG,
        "names": names,
    }


def clone_name(name: str, copy_number: int) -> str:
    return f"{name}-c{copy_number}"


def clone_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def _copies(originals: list[str], size: int) -> Iterator[tuple[int, list[str]]]:
    """(copy number, originals cloned in it) until there are ``size`` datasets in all."""
    left, number = size - len(originals), 1
    while left > 0:
        chunk = originals[:left]
        yield number, chunk
        left -= len(chunk)
        number += 1


def clone_rows(portal: Any, originals: list[str], size: int) -> None:
    """Copy the corpus's rows (dataset, extras, tags, groups, resources) under new names
    and ids, in the database directly: the services would take an hour for 100,000."""
    import sqlalchemy as sa

    from datasets.models import Base

    tables = Base.metadata.tables
    package_table, extra_table, resource_table = (
        tables["package"], tables["package_extra"], tables["resource"]
    )  # fmt: skip
    package_tag, package_group = tables["package_tag"], tables["package_group"]

    done = len(originals)
    with portal.engine.begin() as conn:
        query = sa.select(package_table).where(package_table.c.name.in_(originals))
        packages = {r["name"]: dict(r) for r in conn.execute(query).mappings()}
        by_id = {p["id"]: p["name"] for p in packages.values()}

        def children(table: sa.Table) -> dict[str, list[dict[str, Any]]]:
            found: dict[str, list[dict[str, Any]]] = {}
            rows = conn.execute(sa.select(table).where(table.c.package_id.in_(list(by_id))))
            for row in rows.mappings():
                found.setdefault(by_id[row["package_id"]], []).append(dict(row))
            return found

        extras = children(extra_table)
        tags = children(package_tag)
        groups_ = children(package_group)
        resources = children(resource_table)
    for number, chunk in _copies(originals, size):
        rows: dict[str, list[dict[str, Any]]] = {"p": [], "e": [], "t": [], "g": [], "r": []}
        for original in chunk:
            name = clone_name(original, number)
            new_id = clone_id(name)
            rows["p"].append({**packages[original], "id": new_id, "name": name})
            for e in extras.get(original, []):
                rows["e"].append({**e, "id": clone_id(name, e["id"]), "package_id": new_id})
            for t in tags.get(original, []):
                rows["t"].append({**t, "package_id": new_id})
            for g in groups_.get(original, []):
                rows["g"].append({**g, "package_id": new_id})
            for r in resources.get(original, []):
                rows["r"].append({**r, "id": clone_id(name, r["id"]), "package_id": new_id})
        done += len(chunk)
        with portal.engine.begin() as conn:
            conn.execute(sa.insert(package_table), rows["p"])
            for key, table in (("e", extra_table), ("t", package_tag),
                               ("g", package_group), ("r", resource_table)):  # fmt: skip
                if rows[key]:
                    conn.execute(sa.insert(table), rows[key])
        if number % 5 == 0 or done == size:
            say(f"  cloned rows: {done:,} datasets")


def clone_index(portal: Any, originals: list[str], size: int) -> None:
    """The clones' search documents: the originals' (already indexed when they were
    created) with the clone's id and name. Analysing 100,000 documents afresh would take
    a quarter of an hour here; a clone's words are its original's. Embedded index only."""
    import sqlalchemy as sa

    from datasets.models import Package
    from search.documents import build_document, keyword_norm
    from search.fts5 import Fts5Backend

    fts = getattr(portal.indexer.backend, "backend", portal.indexer.backend)
    if not isinstance(fts, Fts5Backend):
        raise SystemExit("the catalogue builder writes the embedded (FTS5) index only")
    with portal.sessions() as session:
        found = session.scalars(sa.select(Package).where(Package.name.in_(originals))).all()
        analysed = {p.name: build_document(portal.indexer.doc_for(p), fts.analyzer) for p in found}

    def renamed(original: str, number: int) -> Any:
        doc = analysed[original]
        name = clone_name(original, number)
        package = copy.deepcopy(doc.package)
        package.update(id=clone_id(name), name=name)
        for resource in package.get("resources", []):
            resource["id"] = clone_id(name, resource["id"])
            resource["package_id"] = package["id"]
        new = {"id": package["id"], "name": name}
        keywords = tuple(
            (f, new[f], keyword_norm(new[f])) if f in new else (f, v, n) for f, v, n in doc.keywords
        )
        return dataclasses.replace(doc, id=package["id"], name=name, package=package,
                                   keywords=keywords)  # fmt: skip

    started, done = time.monotonic(), len(originals)
    for number, chunk in _copies(originals, size):
        with fts._write() as conn:
            for original in chunk:
                fts._store(conn, renamed(original, number), replace=False)
        done += len(chunk)
        if number % 5 == 0 or done == size:
            say(f"  search index: {done:,} documents")
    say(f"  search index: {size:,} documents in {time.monotonic() - started:.0f} s")


# -- the DataStore and download resources -------------------------------------------------------


def table_csv(number: int, rows: int) -> bytes:
    places = ("上海市徐汇区", "江苏省苏州市", "浙江省杭州市", "安徽省合肥市", "江苏省南京市")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["编号", "名称", "地区", "数量"])
    for n in range(rows):
        place = places[(n + number) % len(places)]
        writer.writerow([n, f"{place}第{n % 97}号服务点", place, (n * 37 + number) % 1000])
    return out.getvalue().encode("utf-8")


def ensure_resources(cat: Catalogue, url: str, count: int, rows: int) -> None:
    """``count`` datasets with an uploaded CSV each, loaded into the DataStore by the
    ingest worker; made once per catalogue, through the running shape's API."""
    if cat.info.get("datastore_ids"):
        return
    say(f"publishing {count} CSV files ({rows:,} rows each) for the DataStore and downloads")
    api = httpx.Client(base_url=url, headers={"Authorization": cat.info["token"]}, timeout=120)
    created = []
    for number in range(count):
        package = api.post(
            "/api/3/action/package_create",
            json={"name": f"mixed-table-{number}", "title": f"服务点统计 {number}",
                  "owner_org": cat.info["org"]},
        )  # fmt: skip
        package.raise_for_status()
        answer = api.post(
            "/api/3/action/resource_create",
            data={"package_id": package.json()["result"]["id"], "format": "CSV"},
            files={"upload": (f"table-{number}.csv", table_csv(number, rows), "text/csv")},
        )
        answer.raise_for_status()
        created.append(answer.json()["result"])
    deadline = time.monotonic() + 300
    while True:
        shown = [
            api.get("/api/3/action/resource_show", params={"id": r["id"]}).json()["result"]
            for r in created
        ]
        if all(s.get("datastore_active") for s in shown):
            break
        settled = (None, "pending", "success")
        failed = [s for s in shown if s.get("validation_status") not in settled]
        if failed or time.monotonic() > deadline:
            raise RuntimeError(f"the DataStore load did not finish: {failed or shown}")
        time.sleep(1)
    cat.info["datastore_ids"] = [r["id"] for r in created]
    cat.info["downloads"] = ["/" + r["url"].split("/", 3)[3] for r in created]
    cat.save()


# -- the shapes ---------------------------------------------------------------------------------


def portal_env(cat: Catalogue, site_url: str, **extra: str) -> dict[str, str]:
    from tests.support.processes import base_env

    return base_env(
        cat.home, DELTA_SECRET_KEY=cat.info["secret_key"], DELTA_SITE_URL=site_url,
        DELTA_INGEST_POLL_SECONDS="0.5", **extra,
    )  # fmt: skip


@dataclass
class Running:
    url: str
    pids: list[int]  # the portal processes, whose CPU time each step records


@contextmanager
def embedded(cat: Catalogue) -> Iterator[Running]:
    """One ``delta serve`` process (one worker) on SQLite, the embedded search index."""
    from tests.support.processes import PortalServer, free_port

    port = free_port()
    server = PortalServer(cat.home, portal_env(cat, f"http://127.0.0.1:{port}"), port)
    server.start()
    try:
        assert server.process is not None
        yield Running(server.url, [server.process.pid])
    finally:
        server.stop()


@contextmanager
def scale_out(cat: Catalogue) -> Iterator[Running]:
    """Two ``delta serve`` processes on PostgreSQL behind nginx, one home between them."""
    from tests.support import nginx
    from tests.support.processes import PortalServer, free_port

    if not nginx.available():
        raise SystemExit("nginx is missing: run scripts/ensure-test-prereqs")
    assert cat.database_url
    balancer = nginx.Nginx(run_dir=cat.root / "nginx", listen_port=free_port())
    env = portal_env(
        cat, balancer.url, DELTA_DATABASE_URL=cat.database_url, DELTA_ACCEL_REDIRECT=ACCEL
    )
    portals = []
    for label in ("a", "b"):
        server = PortalServer(cat.home, env, free_port())
        server.log_path = cat.home / f"portal-{label}.log"
        portals.append(server)
    try:
        for server in portals:
            server.launch()
        for server in portals:
            server.wait(timeout=240)
        balancer.start(
            portals=(f"127.0.0.1:{portals[0].port}", f"127.0.0.1:{portals[1].port}"),
            storage_dir=cat.home / "storage",
        )
        yield Running(balancer.url, [s.process.pid for s in portals if s.process])
    finally:
        balancer.stop()
        for server in portals:
            server.stop()


SHAPES = {"embedded": embedded, "scale-out": scale_out}


# -- locust -------------------------------------------------------------------------------------


def run_step(
    cat: Catalogue, url: str, users: int, seconds: int, out: Path, *, html: Path | None, wait: str
) -> dict[str, Any]:
    prefix = out / f"u{users}"
    env = {
        **os.environ,
        "BENCH_TARGET": "mixed",
        "BENCH_NAMES_FILE": str(cat.names_file),
        "BENCH_DATASTORE_IDS": ",".join(cat.info["datastore_ids"]),
        "BENCH_DOWNLOADS": ",".join(cat.info["downloads"]),
        "BENCH_TOKEN": cat.info["token"],
        "BENCH_ORG": cat.info["org"],
        "BENCH_WAIT": wait,
    }
    command = [
        str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
        "-r", str(users), "-t", f"{seconds}s", "--host", url, "--csv", str(prefix),
        "--only-summary", "--loglevel", "ERROR", "--exit-code-on-error", "0",
    ]  # fmt: skip
    if html:
        command += ["--html", str(html)]
    quiet = subprocess.DEVNULL
    subprocess.run(command, env=env, check=True, stdout=quiet, stderr=quiet)
    step: dict[str, Any] = {"users": users, "tasks": {}}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            figures = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2),
                "p50_ms": _ms(row["50%"]),
                "p95_ms": _ms(row["95%"]),
                "p99_ms": _ms(row["99%"]),
            }
            if row["Name"] == "Aggregated":
                step.update(figures)
            else:
                step["tasks"][row["Name"]] = figures
    with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        step["failure_samples"] = [
            f"{r['Method']} {r['Name']}: {r['Error'][:200]} x{r['Occurrences']}"
            for r in csv.DictReader(handle)
        ][:5]
    return step


def _ms(value: str) -> float | None:
    """locust writes N/A where no request of the kind completed within the step."""
    return None if value == "N/A" else float(value)


def crossing(steps: list[dict[str, Any]], limit_ms: float = 1000.0) -> dict[str, Any] | None:
    """The first step whose p99 passes the limit, and the users interpolated between steps."""
    for before, step in zip([None, *steps], steps, strict=False):
        if step["p99_ms"] is None or step["p99_ms"] > limit_ms:  # None: nothing completed
            if before is None or step["p99_ms"] is None:
                below = before["users"] if before else None
                return {"users": step["users"], "interpolated": None, "below": below}
            fraction = (limit_ms - before["p99_ms"]) / (step["p99_ms"] - before["p99_ms"])
            users = before["users"] + fraction * (step["users"] - before["users"])
            return {"users": step["users"], "interpolated": round(users), "below": before["users"]}
    return None


def warm_up(url: str, cat: Catalogue) -> None:
    """First requests load the search dictionaries and fill caches: not part of any step."""
    name = cat.names_file.read_text("utf-8").split("\n", 1)[0]
    with httpx.Client(base_url=url, timeout=300) as client:
        for _ in range(2):
            for path in (
                "/api/3/action/package_search?q=空气质量", f"/api/3/action/package_show?id={name}",
                f"/api/3/action/datastore_search?resource_id={cat.info['datastore_ids'][0]}",
            ):  # fmt: skip
                client.get(path).raise_for_status()


def cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        process = psutil.Process(pid)
        for p in [process, *process.children(recursive=True)]:
            times = p.cpu_times()
            total += times.user + times.system
    return total


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run_shape(shape: str, options: argparse.Namespace) -> dict[str, Any]:
    cat = catalogue(shape, options.size, options.var)
    out = options.var / "runs" / shape
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    steps = []
    with SHAPES[shape](cat) as running:
        url = running.url
        ensure_resources(cat, url, options.tables, options.table_rows)
        warm_up(url, cat)
        say(f"{shape}: {url}, {cat.info['datasets']:,} datasets; load average {load_average()}")
        for users in options.users:
            html = None
            if users == options.html_users and options.out:
                html = options.out / f"mixed-{shape}-{users}users.html"
            before, cpu, started = load_average(), cpu_seconds(running.pids), time.monotonic()
            step = run_step(cat, url, users, options.seconds, out, html=html, wait=options.wait)
            used, elapsed = cpu_seconds(running.pids) - cpu, time.monotonic() - started
            step["load_average_before"] = before
            # What the portal processes got of the machine, and what a request cost them
            # (CPU over the whole locust run, which starts all users in its first second).
            step["portal_cpu_share"] = round(used / elapsed, 2)
            step["portal_cpu_ms_per_request"] = round(1000 * used / max(step["requests"], 1), 1)
            steps.append(step)
            say(
                f"{shape}: {users:>4} users  {step['rps']:6.1f} req/s  p50 {_f(step['p50_ms']):>6}"
                f"  p95 {_f(step['p95_ms']):>6}  p99 {_f(step['p99_ms']):>6} ms  "
                f"failures {step['failures']}  portal CPU {step['portal_cpu_share']:.2f} cores"
                f"  (load average before: {before})"
            )
    return {
        "shape": shape,
        "datasets": cat.info["datasets"],
        "database": cat.info["database"],
        "build_seconds": cat.info.get("build_seconds"),
        "seconds_per_step": options.seconds,
        "wait_seconds": options.wait,
        "steps": steps,
        "p99_over_1s": crossing(steps),
    }


# -- the report ---------------------------------------------------------------------------------


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for axis, result in zip(axes[0], results, strict=True):
        for key, style in (("p50_ms", "o-"), ("p95_ms", "s--"), ("p99_ms", "^-")):
            kept = [s for s in result["steps"] if s[key] is not None]
            axis.plot([s["users"] for s in kept], [s[key] for s in kept], style, label=key[:3])
        axis.axhline(1000, color="grey", linewidth=0.8, linestyle=":", label="1 s")
        axis.set_yscale("log")
        axis.set_xscale("log")
        axis.set_xlabel("users (1-2 s think time)")
        axis.set_ylabel("latency, ms (all requests)")
        processes = "one process" if result["shape"] == "embedded" else "two processes, nginx"
        axis.set_title(
            f"{result['shape']}: {result['datasets']:,} datasets, {result['database']}, {processes}"
        )
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _f(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.0f}"


def summary(result: dict[str, Any], html_users: int) -> list[str]:
    lines = [f"{result['shape']} ({result['datasets']:,} datasets, {result['database']}):"]
    lines.append(
        f"{'users':>6}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'fail':>6}   p50/p99 ms per task"
    )
    for s in result["steps"]:
        per_task = "  ".join(
            f"{name} {_f(t['p50_ms'])}/{_f(t['p99_ms'])}" for name, t in s["tasks"].items()
        )
        lines.append(
            f"{s['users']:>6}{s['rps']:>8.1f}{_f(s['p50_ms']):>7}{_f(s['p95_ms']):>7}"
            f"{_f(s['p99_ms']):>7}{s['failures']:>6}   {per_task}"
        )
    over = result["p99_over_1s"]
    if over is None:
        lines.append("p99 stayed under 1 s at every step")
    elif over["below"] is None:
        lines.append(f"p99 is over 1 s already at the first step ({over['users']} users)")
    else:
        lines.append(
            f"p99 passes 1 s between {over['below']} and {over['users']} users "
            f"(about {over['interpolated']}, interpolated)"
        )
    at = next((s for s in result["steps"] if s["users"] == html_users), None)
    if at and {"package_search", "package_show"} <= at["tasks"].keys():
        search, show = at["tasks"]["package_search"], at["tasks"]["package_show"]
        lines.append(
            f"{html_users} users: package_search median {_f(search['p50_ms'])} ms at "
            f"{search['rps']:.1f} req/s, package_show median {_f(show['p50_ms'])} ms "
            f"(data.gov: {DATA_GOV['package_search_p50_ms']:.0f} ms at "
            f"{DATA_GOV['package_search_rps']} req/s; {DATA_GOV['package_show_p50_ms']:.0f} ms)"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", choices=[*SHAPES, "both"], default="both")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--users", default="1,2,5,10,25,50,75,100,150,200")
    parser.add_argument("--seconds", type=int, default=20, help="length of each step")
    parser.add_argument("--wait", default="1,2", help="think time between requests: min,max s")
    parser.add_argument("--html-users", type=int, default=75, help="locust's HTML of this step")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "perf")
    parser.add_argument("--var", type=Path, default=VAR, help="where catalogues are kept")
    parser.add_argument("--tables", type=int, default=10, help="uploaded CSV files")
    parser.add_argument("--table-rows", type=int, default=2000)
    parser.add_argument("--build-only", action="store_true", help="build the catalogues, no load")
    parser.add_argument(
        "--replot", action="store_true", help="plot and summarise the shapes' JSON kept in --out"
    )
    options = parser.parse_args(argv)
    options.users = [int(u) for u in options.users.split(",")]
    options.out.mkdir(parents=True, exist_ok=True)
    shapes = list(SHAPES) if options.shape == "both" else [options.shape]
    if options.build_only:
        for shape in shapes:
            catalogue(shape, options.size, options.var)
        return 0
    results = []
    for shape in shapes:
        kept = options.out / f"mixed-{shape}.json"
        if options.replot:
            results.append(json.loads(kept.read_text("utf-8")))
            continue
        result = run_shape(shape, options)
        kept.write_text(json.dumps(result, indent=2), "utf-8")
        results.append(result)
    try:
        plot(results, options.out / f"mixed-latency-vs-users-{'-'.join(shapes)}.png")
    except ImportError:
        say("no plot: matplotlib is in the optional 'bench' extra (pip install -e '.[bench]')")
    for result in results:
        print("\n".join(summary(result, options.html_users)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
