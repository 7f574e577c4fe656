"""Real portal processes for harvest tests, and a proxy that takes a source down mid-run."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from rdflib import Graph

from delta import migrations
from delta.settings import load_settings
from open_portal import demo
from open_portal.runtime import Portal
from tests.dcat.conftest import ADMIN_PASSWORD
from tests.standards.shacl import EXAMPLES
from tests.support.ckan import Api
from tests.support.processes import PortalServer, base_env, free_port


def start_source(home: Path, *, samples: bool, **settings: str) -> tuple[PortalServer, Api]:
    """A portal process to harvest from, with the sample catalogue if asked; its admin API.

    The samples are loaded in this process before the server starts (the same services
    as ``delta demo load``, without a second process's start-up)."""
    port = free_port()
    env = base_env(
        home, DELTA_SITE_URL=f"http://127.0.0.1:{port}", DELTA_HARVEST_SCHEDULER="false",
        # No ingest worker: validating the samples' files is not what these tests are about.
        DELTA_INGEST_WORKER="false", **settings,
    )  # fmt: skip
    server = PortalServer(home=home, env=env, port=port)
    migrations.upgrade(f"sqlite:///{home / 'portal.db'}", package="open_portal")
    with portal_of(server) as portal:
        if samples:
            demo.load(portal, password=ADMIN_PASSWORD)
            token = demo.fresh_token(portal, name="harvest-tests")
        else:
            token = token_for(portal, "admin", sysadmin=True)
    server.start()
    return server, Api(server.url, token)


def token_for(portal: Portal, name: str, *, sysadmin: bool) -> str:
    """A user who signs in with an API token only (no password: hashing one costs
    seconds on a busy machine, and no test here logs in); returns the token."""
    from open_portal.accounts import service as accounts
    from open_portal.accounts.models import User

    with portal.unit_of_work() as unit:
        user = User(name=name, email=f"{name}@example.org", password_hash="!", sysadmin=sysadmin)
        unit.session.add(user)
        unit.session.flush()
        return accounts.create_token(unit.session, user=user, name="tests")[1]


@contextmanager
def portal_of(server: PortalServer, **overrides: Any) -> Iterator[Portal]:
    """The same portal as ``server`` (its home and database), opened in this process:
    harvests run here as ``delta harvest run`` would run them, without its start-up."""
    env = {**server.env, **{k: str(v) for k, v in overrides.items()}}
    settings = load_settings(
        home=env["DELTA_HOME"], env="test", secret_key=env["DELTA_SECRET_KEY"],
        database_url=env.get("DELTA_DATABASE_URL"), site_url=env.get("DELTA_SITE_URL"),
        harvest_scheduler=False, ingest_worker=False,
    )  # fmt: skip
    portal = Portal.open(settings)
    try:
        yield portal
    finally:
        portal.close()


def harvest(portal: Portal, source: str) -> Job:
    """One harvest job of ``source``, run to its end in this process."""
    from datasets.harvest import jobs, sources
    from open_portal.harvest.runtime import harvest_env

    with portal.unit_of_work() as unit:
        job_id = jobs.open_job(
            unit.session, sources.find_source(unit.session, source), claim=True
        ).id
    return Job(
        {"source": source, **jobs.job_dict(jobs.run_job(harvest_env(portal), job_id, claimed=True))}
    )


def run_harvest(server: PortalServer, source: str) -> tuple[int, dict[str, Any]]:
    """``delta harvest run SOURCE`` in the target's home: exit code and the job it printed."""
    import subprocess

    from tests.support.processes import BIN

    done = subprocess.run(
        [str(BIN / "delta"), "harvest", "run", source],
        env=server.env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines, f"no job printed; stderr: {done.stderr[-2000:]}"
    return done.returncode, Job(json.loads(lines[-1]))


class Job(dict[str, Any]):
    """A job dict that shows itself whole when an assertion about it fails."""

    def __repr__(self) -> str:
        return json.dumps(self, ensure_ascii=False)


def examples_catalogue(path: Path, extra_turtle: str = "") -> Path:
    """The official DCAT-AP 3.0.0 example catalogues merged into one Turtle file.

    Two of them write prefixed names with a '/' in the local part
    (``example-dist:BeePopulation2023/csv``), which Turtle does not allow; those
    names are written out as the full IRIs they stand for before parsing."""
    graph = Graph()
    for example in sorted(EXAMPLES.glob("*.ttl")):
        graph.parse(data=_expand_slashed_names(example.read_text("utf-8")), format="turtle")
    if extra_turtle:
        graph.parse(data=extra_turtle, format="turtle")
    graph.serialize(path, format="turtle")
    return path


def _expand_slashed_names(text: str) -> str:
    prefixes = dict(re.findall(r"@prefix\s+([\w-]*):\s*<([^>]*)>", text))

    def full(match: re.Match[str]) -> str:
        prefix, local = match.group(1), match.group(2)
        return f"<{prefixes[prefix]}{local}>" if prefix in prefixes else match.group(0)

    return re.sub(r"(?<![<\w])([A-Za-z][\w-]*):([\w-]+/[\w/-]+)", full, text)


class KillingProxy:
    """Forwards to ``target``; once ``after`` requests matched ``when``, calls ``kill``
    (which takes the source down) before forwarding the next one."""

    def __init__(self, target: str, *, when: str, after: int, kill: Callable[[], None]) -> None:
        self.target = target.rstrip("/")
        self.when = when
        self.after = after
        self.kill = kill
        self.seen = 0
        self.killed = False
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if proxy.when in self.path:
                    proxy.seen += 1
                    if proxy.seen > proxy.after and not proxy.killed:
                        proxy.kill()
                        proxy.killed = True
                try:
                    answer = httpx.get(proxy.target + self.path, timeout=10)
                except httpx.HTTPError:
                    self.send_error(502, "source unreachable")
                    return
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", ""))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> KillingProxy:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
