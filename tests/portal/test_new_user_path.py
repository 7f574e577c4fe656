"""What a new user does first, with real processes on free ports and a fresh DELTA_HOME.

`delta demo serve --base-port B` (what `make run` runs, on other ports) is started
once for the module: its first start loads the samples and prints the URLs and a
token. Every link it then prints must point at B -- not at the default 8000 --
and a plain `delta serve --port P` on the same data must print P.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.docs import DOCUMENTED_PORTAL, DOCUMENTS, ROOT, Block, code_blocks
from tests.support.processes import BIN, base_env, free_base_port, free_port, wait_until_up

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "datasets" / "samples"
OWN_URL = re.compile(r"https?://[^\s\"'<>]+")


@dataclass
class Demo:
    home: Path
    env: dict[str, str]
    url: str
    token: str
    output: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    if not (SAMPLES / "organizations.json").exists():
        pytest.skip("sample catalog not generated")
    home = tmp_path_factory.mktemp("new-user") / "home"
    env = base_env(home, DELTA_ENV="development")
    base = free_base_port()
    log = home.parent / "demo.log"
    process = subprocess.Popen(
        [str(BIN / "delta"), "demo", "serve", "--base-port", str(base)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("wb"),
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 240
        while not any(line.startswith("Demo accounts") for line in lines):
            line = process.stdout.readline()
            assert line and time.monotonic() < deadline, log.read_text()[-3000:]
            lines.append(line)
        output = "".join(lines)
        token = re.search(r"API token:\s+(\S+)", output)
        assert token, output
        url = f"http://127.0.0.1:{base}"
        wait_until_up(f"{url}/api/3/action/site_read", process)  # type: ignore[arg-type]
        yield Demo(home=home, env=env, url=url, token=token.group(1), output=output)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def own_links(text: str) -> list[str]:
    """The portal's own absolute links in a page or JSON answer."""
    return [u for u in OWN_URL.findall(text) if "127.0.0.1" in u or "localhost" in u]


def all_under(links: list[str], base: str) -> bool:
    return bool(links) and all(link == base or link.startswith(base + "/") for link in links)


def test_demo_serve_prints_its_urls_and_a_working_token(demo: Demo) -> None:
    assert f"Portal:          {demo.url}/" in demo.output
    assert f"CKAN Action API: {demo.url}/api/3/action/package_search" in demo.output
    api = f"{demo.url}/api/3/action/"
    shown = httpx.post(
        api + "user_show", json={"id": "admin"}, headers={"Authorization": demo.token}
    )
    assert shown.json()["result"]["sysadmin"] is True
    assert len(httpx.get(api + "package_list").json()["result"]) >= 30


def test_every_link_follows_the_base_port(demo: Demo) -> None:
    api = f"{demo.url}/api/3/action/"
    page = httpx.get(f"{demo.url}/").text
    # The pages link site-relative, so they follow whatever address serves them.
    assert 'action="/dataset"' in page
    assert all(link.startswith(demo.url) for link in own_links(page)), own_links(page)
    found = httpx.get(api + "package_search", params={"rows": 50}).text
    shown = httpx.get(api + "package_show", params={"id": "no-such-dataset"}).json()
    status = httpx.get(api + "status_show").json()["result"]
    assert all_under(own_links(found), demo.url), own_links(found)
    assert shown["help"] == f"{demo.url}/api/3/action/help_show?name=package_show"
    assert status["site_url"] == demo.url


def test_a_printed_download_url_downloads(demo: Demo) -> None:
    found = httpx.get(f"{demo.url}/api/3/action/package_search", params={"rows": 1}).json()
    resource = found["result"]["results"][0]["resources"][0]
    answer = httpx.get(resource["url"], follow_redirects=False)
    assert answer.status_code == 200 and answer.content


def test_delta_serve_without_site_url_links_to_its_own_port(demo: Demo) -> None:
    """The same data (loaded and indexed under the demo's port) served on another port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = demo.home.parent / "serve.log"
    process = subprocess.Popen(
        [str(BIN / "delta"), "serve", "--port", str(port)],
        env={**demo.env, "DELTA_INGEST_WORKER": "false"},
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        wait_until_up(f"{url}/api/3/action/site_read", process)  # type: ignore[arg-type]
        found = httpx.get(f"{url}/api/3/action/package_search", params={"rows": 50}).text
        assert all_under(own_links(found), url), own_links(found)
        page = httpx.get(f"{url}/").text
        assert 'action="/dataset"' in page
        assert all(link.startswith(url) for link in own_links(page)), own_links(page)
    finally:
        process.terminate()
        process.wait(timeout=30)


# Exactly as written, except that curl exits non-zero on an HTTP error (it says 0 otherwise).
FAIL_ON_HTTP_ERRORS = 'curl() { command curl --fail-with-body --silent --show-error "$@"; }\n'


def script(block: Block, demo: Demo) -> str:
    return block.text.replace(DOCUMENTED_PORTAL, demo.url)


def test_the_documented_commands_work_as_written(demo: Demo, tmp_path: Path) -> None:
    """Every shell block of README.md and docs/*.md that calls the portal, run by bash
    exactly as written (only the port differs) from a checkout on a fresh machine: the
    README's block activates the virtualenv itself; the docs' blocks assume it (and
    ``$TOKEN``) as the README sets them up."""
    checkout = tmp_path / "checkout"  # the repository as a user sees it; outputs land here
    checkout.mkdir()
    for entry in ROOT.iterdir():
        (checkout / entry.name).symlink_to(entry)
    blocks = [b for d in DOCUMENTS for b in code_blocks(d) if b.talks_to_the_portal]
    readme = [b for b in blocks if b.where == "README.md"]
    assert len(readme) >= 2 and any("ckanapi dump" in b.text for b in readme)
    fresh_path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if Path(p).resolve() != BIN.resolve()
    )
    for block in blocks:
        activated = BIN if block.where != "README.md" else None
        env = {
            **demo.env,
            "TOKEN": demo.token,
            "PATH": f"{activated}{os.pathsep}{fresh_path}" if activated else fresh_path,
        }
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", FAIL_ON_HTTP_ERRORS + script(block, demo)],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        shown = f"{block.where}:\n{block.text}\n--- out\n{done.stdout[-2000:]}\n--- err\n"
        shown += done.stderr[-3000:]
        assert done.returncode == 0, shown
        assert "Traceback" not in done.stderr, shown
        answers = re.findall(r'"success":\s*(true|false)', done.stdout)
        assert "false" not in answers, shown
    dumped = (checkout / "datasets.jsonl").read_text("utf-8").splitlines()
    assert len(dumped) >= 30


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium missing")
def test_api_docs_render_offline_in_a_browser(demo: Demo) -> None:
    """Swagger UI and ReDoc of the portal and of a node draw the API with every other
    origin unreachable, and ask nothing of one."""
    from playwright.sync_api import Route, sync_playwright

    node = demo.url.rsplit(":", 1)[0] + f":{int(demo.url.rsplit(':', 1)[1]) + 2}"
    ours = (demo.url + "/", node + "/")
    elsewhere: list[str] = []

    def only_ours(route: Route) -> None:
        if route.request.url.startswith(ours):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"]
        )
        try:
            page = browser.new_page()
            page.route("**/*", only_ours)
            for site, title in ((demo.url, "Delta Open Data Portal"), (node, "320000")):
                page.goto(f"{site}/docs")
                assert page.url == f"{site}/api/docs"
                page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
                assert title in page.inner_text(".swagger-ui .info .title")
                assert page.locator(".swagger-ui .opblock").count() >= 1
                page.goto(f"{site}/api/redoc")
                page.wait_for_selector(".api-content h1", timeout=20_000)
                assert title in page.inner_text(".api-content h1")
        finally:
            browser.close()
    assert elsewhere == []
