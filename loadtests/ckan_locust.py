"""Locust users for the CKAN read actions and their bare-FastAPI baselines.

Run through loadtests/ckan_bench.py, which starts both servers and compares.
The target is chosen with the environment variable BENCH_TARGET:
``show``, ``list``, ``bare-show`` or ``bare-list``.
"""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, constant, task

TARGET = os.environ.get("BENCH_TARGET", "show")
NAMES = [n for n in os.environ.get("BENCH_NAMES", "").split(",") if n]


class ReadUser(FastHttpUser):
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
