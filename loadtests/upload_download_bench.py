"""Upload and download a large file through a real portal server, watching its memory.

    .venv/bin/python -m loadtests.upload_download_bench --size-gb 5 [--database-url URL]

The file is generated on the fly (never held in memory or written on the client
side), streamed as multipart to ``resource_create``, then downloaded and hashed.
The server's resident memory (RSS, read with psutil) is sampled every 50 ms
from just before the upload until the download ends; the baseline is taken
after a warm-up request has loaded the code and the search dictionaries once.
Progress goes to stderr; the figures are printed on stdout as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

from tests.support.processes import start_portal

MiB = 1024 * 1024
BOUNDARY = "delta-bench-boundary"


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def generated(size: int, digest: hashlib._Hash, label: str) -> Iterator[bytes]:
    """``size`` pseudo-random bytes in 1 MiB chunks, hashed as they go."""
    pool = os.urandom(16 * MiB + 4096)
    view = memoryview(pool)
    sent = 0
    step = max(size // 20, 1)
    next_report = step
    while sent < size:
        offset = (sent // MiB * 4099) % 4096
        chunk = bytes(view[offset : offset + min(MiB, size - sent)])
        digest.update(chunk)
        sent += len(chunk)
        if sent >= next_report:
            print(f"{label}: {sent / size:.0%}", file=sys.stderr, flush=True)
            next_report += step
        yield chunk


def multipart(package_id: str, size: int, digest: hashlib._Hash) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="package_id"\r\n\r\n'
        f"{package_id}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; "
        'name="upload"; filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    yield from generated(size, digest, "upload")
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def run(size: int, database_url: str | None, home: Path) -> dict[str, object]:
    server = start_portal(home, database_url=database_url, DELTA_MAX_UPLOAD_BYTES=str(size + MiB))
    try:
        server.cli("user", "create", "bench", "--email", "bench@example.org",
                   "--password", "correct-horse-battery", "--sysadmin")  # fmt: skip
        token = server.cli("token", "create", "bench", "--name", "bench").strip()
        client = httpx.Client(base_url=server.url, headers={"Authorization": token}, timeout=3600)
        client.post("/api/3/action/organization_create", json={"name": "bench-org"})
        package = client.post(
            "/api/3/action/package_create",
            json={"name": "bench-ds", "title": "基准测试", "owner_org": "bench-org"},
        ).json()["result"]
        client.post(  # warm-up: first upload, first index update
            "/api/3/action/resource_create",
            data={"package_id": package["id"]},
            files={"upload": ("warm.bin", b"warm-up")},
        )
        assert server.process is not None
        sent = hashlib.sha256()
        with RssSampler(server.process.pid) as rss:
            started = time.monotonic()
            response = client.post(
                "/api/3/action/resource_create",
                content=multipart(package["id"], size, sent),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            )
            upload_seconds = time.monotonic() - started
            resource = response.json()["result"]
            upload_peak = rss.peak
            received = hashlib.sha256()
            got = 0
            started = time.monotonic()
            step, next_report = max(size // 20, 1), max(size // 20, 1)
            with client.stream("GET", resource["url"]) as download:
                for chunk in download.iter_bytes(MiB):
                    received.update(chunk)
                    got += len(chunk)
                    if got >= next_report:
                        print(f"download: {got / size:.0%}", file=sys.stderr, flush=True)
                        next_report += step
            download_seconds = time.monotonic() - started
        return {
            "bytes": size,
            "database": "postgresql" if database_url else "sqlite",
            "upload_seconds": round(upload_seconds, 2),
            "upload_mib_per_s": round(size / MiB / upload_seconds, 1),
            "download_seconds": round(download_seconds, 2),
            "download_mib_per_s": round(size / MiB / download_seconds, 1),
            "server_rss_baseline_mib": round(rss.baseline / MiB, 1),
            "server_rss_peak_upload_mib": round(upload_peak / MiB, 1),
            "server_rss_peak_mib": round(rss.peak / MiB, 1),
            "server_rss_growth_mib": round((rss.peak - rss.baseline) / MiB, 1),
            "sha256_sent": sent.hexdigest(),
            "sha256_stored": resource["hash"],
            "sha256_downloaded": received.hexdigest(),
            "sha256_match": sent.hexdigest() == resource["hash"] == received.hexdigest(),
            "bytes_downloaded": got,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-gb", type=float, default=5.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--home", type=Path, default=None, help="keep the server's files here")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="delta-bench-"))
    try:
        figures = run(int(args.size_gb * 1024 * MiB), args.database_url, home)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    if not figures["sha256_match"] or float(str(figures["server_rss_growth_mib"])) >= 100:
        sys.exit(1)


if __name__ == "__main__":
    main()
