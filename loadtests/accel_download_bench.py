"""A 1 GiB download three ways, in one run: the portal sending it itself, the portal behind
nginx with X-Accel-Redirect (the portal authorises, nginx sends the bytes), and nginx
serving the same file statically (the baseline).

    .venv/bin/python -m loadtests.accel_download_bench [--size-gb 1] [--rounds 7]

One SQLite catalogue, two portal processes on it (one plain, one with
``DELTA_ACCEL_REDIRECT``), Debian's nginx with the docker/ template plus a plain
static server for the baseline; all on loopback. The client is curl (written to
/dev/null), so the client is not what is measured. The three ways take turns in
each round; medians (and bests) are compared. Each way's bytes are checked once
(sha256) outside the timed runs. Besides the speed, it reports the CPU time
the servers spent per GiB (both portal processes and nginx's workers, read
with psutil), which other load on the machine does not change much. Figures
are printed on stdout as JSON; progress goes to stderr. The goal (issue 15):
nginx with X-Accel-Redirect at >= 0.9x nginx static.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys

import httpx
import psutil

from loadtests.upload_download_bench import BOUNDARY, MiB, multipart
from tests.support import nginx
from tests.support.processes import PortalServer, base_env, free_port

ACCEL = "/_storage/"


def curl(url: str) -> tuple[int, float]:
    """(bytes, seconds) of one download with curl, the bytes thrown away."""
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    size, seconds = out.stdout.split()
    return int(size), float(seconds)


def server_cpu(processes: list[psutil.Process]) -> float:
    """User and system CPU seconds the server processes have used so far."""
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def sha256_of(url: str) -> str:
    digest = hashlib.sha256()
    with httpx.stream("GET", url, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


def run(size: int, rounds: int) -> dict[str, object]:
    home = nginx.storage_home("delta-accel-bench-")
    lb_port, static_port = free_port(), free_port()
    env = base_env(
        home, DELTA_SITE_URL=f"http://127.0.0.1:{lb_port}", DELTA_MAX_UPLOAD_BYTES=str(size + MiB)
    )
    plain = PortalServer(home=home, env=env, port=free_port())
    accel = PortalServer(home=home, env={**env, "DELTA_ACCEL_REDIRECT": ACCEL}, port=free_port())
    accel.log_path = home / "accel.log"
    static = f"""server {{
        listen 127.0.0.1:{static_port};
        access_log off;
        sendfile on;
        tcp_nopush on;
        location /static/ {{ alias {home / "storage" / "objects"}/; }}
    }}"""
    balancer = nginx.Nginx(run_dir=home / "nginx", listen_port=lb_port, extra_http=static)
    try:
        plain.start()
        accel.start()
        upstream = f"127.0.0.1:{accel.port}"
        balancer.start(portals=(upstream, upstream), storage_dir=home / "storage")
        plain.cli("user", "create", "bench", "--email", "bench@example.org",
                  "--password", "correct-horse-battery", "--sysadmin")  # fmt: skip
        token = plain.cli("token", "create", "bench", "--name", "bench").strip()
        client = httpx.Client(base_url=plain.url, headers={"Authorization": token}, timeout=3600)
        client.post("/api/3/action/organization_create", json={"name": "bench-org"})
        dataset = {"name": "accel-bench", "title": "基准测试", "owner_org": "bench-org"}
        package = client.post("/api/3/action/package_create", json=dataset).json()["result"]
        sent = hashlib.sha256()
        resource = client.post(
            "/api/3/action/resource_create", content=multipart(package["id"], size, sent),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        ).json()["result"]  # fmt: skip
        path = "/" + resource["url"].split("/", 3)[3]
        key = next((home / "storage" / "objects").glob("*/*"))
        urls = {
            "portal": plain.url + path,
            "nginx_accel": balancer.url + path,
            "nginx_static": f"http://127.0.0.1:{static_port}/static/{key.parent.name}/{key.name}",
        }
        for way, url in urls.items():
            print(f"checking {way} ...", file=sys.stderr, flush=True)
            if sha256_of(url) != sent.hexdigest():
                raise SystemExit(f"{way} sent other bytes than were uploaded")
        assert balancer.process is not None
        assert plain.process is not None
        assert accel.process is not None
        servers = [
            psutil.Process(plain.process.pid),
            psutil.Process(accel.process.pid),
            *psutil.Process(balancer.process.pid).children(),  # nginx's workers
        ]
        seconds: dict[str, list[float]] = {way: [] for way in urls}
        cpu: dict[str, list[float]] = {way: [] for way in urls}
        for number in range(rounds):
            for way, url in urls.items():
                before = server_cpu(servers)
                got, taken = curl(url)
                cpu[way].append(server_cpu(servers) - before)
                if got != size:
                    raise SystemExit(f"{way}: {got} bytes instead of {size}")
                seconds[way].append(taken)
            print(f"round {number + 1}/{rounds} done", file=sys.stderr, flush=True)
        speed = {way: size / statistics.median(times) / 1e9 for way, times in seconds.items()}
        best = {way: size / min(times) / 1e9 for way, times in seconds.items()}
        return {
            "bytes": size,
            "rounds": rounds,
            "gb_per_s_median": {way: round(value, 2) for way, value in speed.items()},
            "gb_per_s_best": {way: round(value, 2) for way, value in best.items()},
            "seconds": {way: [round(t, 3) for t in times] for way, times in seconds.items()},
            "accel_vs_static": round(speed["nginx_accel"] / speed["nginx_static"], 2),
            "portal_vs_static": round(speed["portal"] / speed["nginx_static"], 2),
            "accel_vs_static_best": round(best["nginx_accel"] / best["nginx_static"], 2),
            "portal_vs_static_best": round(best["portal"] / best["nginx_static"], 2),
            # CPU seconds the servers (both portals, nginx's workers) spent per GiB sent:
            # what the machine pays, whatever else runs on it.
            "server_cpu_s_per_gib_median": {
                way: round(statistics.median(values) * 1024**3 / size, 3)
                for way, values in cpu.items()
            },
            "sha256_match": True,
        }
    finally:
        balancer.stop()
        plain.stop()
        accel.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-gb", type=float, default=1.0, help="file size in GiB")
    parser.add_argument("--rounds", type=int, default=7, help="downloads per way")
    args = parser.parse_args()
    if not nginx.available():
        raise SystemExit("nginx is not installed (scripts/ensure-test-prereqs installs it)")
    figures = run(int(args.size_gb * 1024 * MiB), args.rounds)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
