"""nginx (Debian's package) as a child process with a generated configuration on free ports.

The portal-facing part is docker/nginx/delta.conf.template, the same file the
load-balancer image renders; around it goes a small main configuration with
everything (pid, logs, temporary files) in a run directory. Not the system
service: no port 80, nothing under /etc or /var is written.

As root, nginx's workers run as ``nobody:nogroup``: :func:`storage_home` makes a
home whose storage directory hands new files that group (setgid), so the
workers read the portal's 0640 files as they would in docker/ (a shared group).
"""

from __future__ import annotations

import grp
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docker" / "nginx" / "delta.conf.template"
PLACEHOLDERS = ("LISTEN", "PORTAL_A", "PORTAL_B", "STORAGE_DIR", "ACCESS_LOG")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WORKER_GROUP = "nogroup"


def available() -> bool:
    return Path(NGINX).exists()


def render(values: dict[str, str]) -> str:
    """The template with exactly its placeholders filled (as envsubst does in docker/)."""
    text = TEMPLATE.read_text("utf-8")
    for name in PLACEHOLDERS:
        text = text.replace("${" + name + "}", values[name])
    if "${" in text:
        raise ValueError("the nginx template has a placeholder this renderer does not know")
    return text


def storage_home(prefix: str) -> Path:
    """A DELTA_HOME that nginx's unprivileged workers can read uploaded files from."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    storage = home / "storage"
    storage.mkdir()
    if os.geteuid() == 0:
        home.chmod(0o711)  # others may pass through, not list
        os.chown(storage, 0, grp.getgrnam(WORKER_GROUP).gr_gid)
        storage.chmod(0o2750)  # new files and folders inherit the group
    return home


@dataclass
class Nginx:
    run_dir: Path
    listen_port: int
    extra_http: str = ""  # more http-context configuration (the benchmark's static server)
    workers: int = 2
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen_port}"

    @property
    def access_log(self) -> Path:
        return self.run_dir / "access.log"

    @property
    def error_log(self) -> Path:
        return self.run_dir / "error.log"

    def write_config(self, *, portals: tuple[str, str], storage_dir: Path) -> Path:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run_dir / "tmp" / name).mkdir(parents=True, exist_ok=True)
        (self.run_dir / "delta.conf").write_text(
            render({
                "LISTEN": f"127.0.0.1:{self.listen_port}",
                "PORTAL_A": portals[0],
                "PORTAL_B": portals[1],
                "STORAGE_DIR": str(storage_dir),
                "ACCESS_LOG": str(self.access_log),
            }),
            "utf-8",
        )  # fmt: skip
        user = f"user nobody {WORKER_GROUP};" if os.geteuid() == 0 else ""
        run = self.run_dir
        main = f"""daemon off;
worker_processes {self.workers};
pid {run}/nginx.pid;
error_log {self.error_log} warn;
{user}
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path {run}/tmp/client_body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    include {run}/delta.conf;
    {self.extra_http}
}}
"""
        path = run / "nginx.conf"
        path.write_text(main, "utf-8")
        return path

    def start(self, *, portals: tuple[str, str], storage_dir: Path) -> None:
        config = self.write_config(portals=portals, storage_dir=storage_dir)
        command = [NGINX, "-p", str(self.run_dir), "-c", str(config), "-e", str(self.error_log)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {checked.stderr}")
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log.read_text(errors='replace')}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.listen_port)) == 0:
                    return
            time.sleep(0.05)
        raise TimeoutError("nginx did not start listening")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
