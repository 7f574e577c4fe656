"""The issue's journeys in a real Chromium against a real portal process, in Chinese and
in English: search and filter, open, preview and chart; copy an API example and run it,
download; register, apply, a reviewer approves, download; an editor creates a dataset and
uploads a file across a broken connection. axe-core checks every page type in both
languages; no request leaves the portal's origin. Screenshots go to docs/web/.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from delta.assets import vendor_url
from tests.web.portal import CONDITIONAL, PASSWORD, Site, start_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
# Screenshots are taken on every run (the page must render); they replace docs/web/'s
# only when asked (DELTA_TEST_SCREENSHOTS=1), so a test run leaves the checkout clean.
SHOTS = (
    ROOT / "docs" / "web"
    if os.environ.get("DELTA_TEST_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="delta-shots-"))
)
TABLE = "sh-air-quality-daily"  # a date column: a line chart
MAP = "zj-gdp-by-city"  # a city-code column: the map
OPEN_FILE = "zj-gdp-by-city"


def _has_cjk_font() -> bool:
    """Chromium draws Chinese as boxes without one (scripts/ensure-test-prereqs installs
    fonts-noto-cjk): then the Chinese screenshots in docs/web/ are left as they are."""
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


CJK_FONT = _has_cjk_font()

if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
    pytest.skip("chromium missing: run scripts/ensure-test-prereqs", allow_module_level=True)

TEXT = {
    "zh": {"found": "找到", "apply": "申请使用", "approved": "已批准", "pending": "待审核",
           "search": "空气质量", "download": "下载"},
    "en": {"found": "found", "apply": "Apply for access", "approved": "Approved",
           "pending": "Pending review", "search": "air quality", "download": "Download"},
}  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    started = start_site(tmp_path_factory.mktemp("web-journeys"))
    try:
        started.wait_for_datastore([TABLE, MAP])
        yield started
    finally:
        started.server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Visitor:
    """One browser context (cookies, clipboard) that records every request it makes."""

    def __init__(self, browser: Any, site: Site, lang: str) -> None:
        self.site = site
        self.lang = lang
        self.context = browser.new_context(
            base_url=site.url,
            locale="zh-CN",  # a Chinese browser: English is chosen with the switch
            accept_downloads=True,
            permissions=["clipboard-read", "clipboard-write"],
            viewport={"width": 1200, "height": 900},
        )
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()

    def go(self, path: str) -> Any:
        response = self.page.goto(path)
        assert response is not None and response.status < 400, (path, response and response.status)
        return response

    def login(self, name: str, password: str = PASSWORD) -> None:
        self.go("/user/login")
        audit(self, "login")
        self.page.fill("#f-login", name)
        self.page.fill("#f-password", password)
        self.page.click("form[action$='/user/login'] button[type=submit]")
        self.page.wait_for_url("**/user/account")

    def logout(self) -> None:
        self.page.click("header form[action$='/user/logout'] button")
        self.page.wait_for_load_state()

    def close(self) -> None:
        origin = self.site.url
        strays = [url for url in self.requests if not url.startswith((origin, "data:", "blob:"))]
        self.context.close()
        assert not strays, f"requests left our origin: {strays}"


CHECKED: dict[str, set[str]] = {"zh": set(), "en": set()}
FINISHED: set[tuple[str, str]] = set()  # (journey, language) that ran to the end


def audit(visitor: Visitor, kind: str, shot: str | None = None) -> None:
    """axe-core on this page (once per page type and language); a screenshot if asked."""
    page = visitor.page
    expected = "zh-CN" if visitor.lang == "zh" else "en"
    assert page.get_attribute("html", "lang") == expected
    if shot and (visitor.lang == "en" or CJK_FONT):
        page.screenshot(path=str(SHOTS / f"{shot}-{visitor.lang}.png"), full_page=False)
    if kind in CHECKED[visitor.lang]:
        return
    CHECKED[visitor.lang].add(kind)
    # From our origin, as a file: the portal's policy runs no inline script.
    page.add_script_tag(url=vendor_url("axe.min.js"))
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
               values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"axe on {kind} ({visitor.lang}): {bad}"


def english(visitor: Visitor) -> None:
    """The language switch: one click, then remembered for every page."""
    visitor.go("/")
    if visitor.lang == "en":
        visitor.page.click("#switch-language")
        visitor.page.wait_for_load_state()
        assert visitor.page.get_attribute("html", "lang") == "en"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_researcher_searches_filters_previews_and_charts(
    browser: Any, site: Site, lang: str
) -> None:
    visitor = Visitor(browser, site, lang)
    page = visitor.page
    english(visitor)
    audit(visitor, "home", "home")
    page.fill("#front-q", TEXT[lang]["search"])
    page.click("form[role=search] button")
    page.wait_for_url("**/dataset?**")
    assert TEXT[lang]["found"] in page.inner_text("#result-count")
    assert page.locator("#results mark").count() > 0  # highlighted matches
    audit(visitor, "search", "search")
    # Filter by province, then by theme: each a removable filter in a shareable URL.
    page.click("#facet-province a >> nth=0")
    page.wait_for_load_state()
    page.click("#facet-theme a >> nth=0")
    page.wait_for_load_state()
    query = parse_qs(urlsplit(page.url).query)
    assert query["province"] and query["theme"]
    assert page.locator(".active-filters a").count() == 2
    # The page and package_search agree on the same question.
    fq = [f'{name}:"{query[name][0]}"' for name in ("province", "theme")]
    api = site.api()
    answer = api.get("package_search", q=query["q"][0], fq_list=json.dumps(fq), rows=20).result
    api.close()
    shown = [
        a.get_attribute("href").rsplit("/", 1)[-1] for a in page.locator("#results h3 a").all()
    ]
    assert shown == [p["name"] for p in answer["results"]]
    # Remove one filter: back to more results.
    page.click(".active-filters a >> nth=0")
    page.wait_for_load_state()
    assert page.locator(".active-filters a").count() == 1
    # Open a dataset with a table; preview, sort, page and chart it.
    visitor.go(f"/dataset/{TABLE}")
    audit(visitor, "dataset", "dataset")
    page.click("#history-link")
    page.wait_for_selector("#history li time")
    audit(visitor, "history")
    visitor.go(f"/dataset/{TABLE}")
    page.click("#resources h3 a >> nth=1")
    page.wait_for_load_state()
    assert page.locator("#preview tbody tr").count() == 50
    page.click("#preview thead th >> nth=2 >> a")
    page.wait_for_load_state()
    assert "sort=" in page.url
    page.click("#next-rows")
    page.wait_for_load_state()
    assert "cursor=" in page.url and page.locator("#preview tbody tr").count() > 0
    page.wait_for_selector(".chart[data-type=line][data-rendered=true] svg")
    audit(visitor, "resource", "preview")
    page.fill("#pq", "2024")
    page.click(".preview-filter button")
    page.wait_for_load_state()
    assert page.locator("#preview tbody tr").count() > 0
    # The map of the delta's cities.
    api = site.api()
    map_resource = api.get("package_show", id=MAP).result["resources"][0]["id"]
    api.close()
    visitor.go(f"/dataset/{MAP}/resource/{map_resource}")
    page.wait_for_selector(".chart[data-type=map][data-rendered=true] svg path", timeout=20000)
    audit(visitor, "map", "map")
    for path, kind in (("/organization", "organizations"), ("/theme", "themes"),
                       ("/theme/environment", "theme"), ("/region/320000", "region"),
                       (f"/organization/{site.conditional_org}", "organization")):  # fmt: skip
        visitor.go(path)
        audit(visitor, kind)
    # The error pages: a missing dataset (404) and a search the parser refuses (400).
    for path, status, kind in (("/dataset/no-such-dataset", 404, "error-404"),
                               ("/dataset?q=AND", 400, "error-400")):  # fmt: skip
        response = page.goto(path)
        assert response is not None and response.status == status, path
        audit(visitor, kind)
    visitor.close()
    FINISHED.add(("researcher", lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_developer_copies_an_example_and_downloads(
    browser: Any, site: Site, lang: str, tmp_path: Path
) -> None:
    visitor = Visitor(browser, site, lang)
    page = visitor.page
    english(visitor)
    visitor.go(f"/dataset/{OPEN_FILE}")
    page.click("button[data-copy=example-download]")
    page.wait_for_selector(".copied:not(:empty)")
    command = page.evaluate("navigator.clipboard.readText()")
    run = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    api = site.api()
    resource = api.get("package_show", id=OPEN_FILE).result["resources"][0]
    api.close()
    downloaded = next(tmp_path.iterdir()).read_bytes()
    assert hashlib.sha256(downloaded).hexdigest() == resource["hash"]
    # The ckanapi example, pasted into Python as it is.
    page.click("button[data-copy=example-ckanapi]")
    code = page.evaluate("navigator.clipboard.readText()")
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=60, text=True, check=False
    )
    assert ran.returncode == 0 and "http" in ran.stdout, ran.stderr
    # And the download button.
    with page.expect_download() as info:
        page.click("#resources a.download >> nth=0")
    assert hashlib.sha256(Path(info.value.path()).read_bytes()).hexdigest() == resource["hash"]
    visitor.close()
    FINISHED.add(("developer", lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_applicant_registers_applies_reviewer_approves_applicant_downloads(
    browser: Any, site: Site, lang: str
) -> None:
    name = f"applicant-{lang}-{uuid.uuid4().hex[:6]}"
    email = f"{name}@example.org"
    applicant = Visitor(browser, site, lang)
    page = applicant.page
    english(applicant)
    applicant.go("/user/register")
    audit(applicant, "register", "register")
    page.fill("#f-name", name)
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password2", PASSWORD)
    page.click("form[action$='/user/register'] button[type=submit]")
    page.wait_for_selector("#registered")
    audit(applicant, "registered")
    applicant.go(site.verification_link(email))
    page.wait_for_selector("#verified")
    audit(applicant, "verify-email")
    applicant.login(name)
    audit(applicant, "account", "account")
    applicant.go(f"/dataset/{CONDITIONAL}")
    assert page.locator("#resources a.download").count() == 0
    page.click("#apply")
    page.wait_for_load_state()
    audit(applicant, "apply", "apply")
    page.fill("#f-purpose", "城市扬尘治理效果研究 / research on dust control")
    page.fill("#f-applicant_organization", "示例大学 Example University")
    page.fill("#f-intended_use", "统计分析，不公开原始数据 / statistics only")
    page.fill("#f-period_start", "2026-01-01")
    page.fill("#f-period_end", "2026-12-31")
    page.check("#f-agreement")
    page.click("form[action$='/apply'] button[type=submit]")
    page.wait_for_url("**/application/**")
    assert TEXT[lang]["pending"] in page.inner_text("#application-status")
    audit(applicant, "application", "application")
    applicant.logout()
    # The reviewer (an editor of the owning organisation) approves in the browser.
    reviewer = Visitor(browser, site, lang)
    english(reviewer)
    reviewer.login("reviewer")
    reviewer.go("/review")
    audit(reviewer, "review", "review")
    reviewer.page.click(f"#queue a:text('{CONDITIONAL}')")
    reviewer.page.wait_for_selector("#decide-form")
    audit(reviewer, "application-review")
    reviewer.page.fill("#f-reason", "用途明确 / purpose is clear")
    reviewer.page.click("#approve")
    reviewer.page.wait_for_url("**/review")
    reviewer.close()
    # The download unlocks for the applicant.
    applicant.login(name)
    applicant.go(f"/dataset/{CONDITIONAL}")
    with page.expect_download() as info:
        page.click("#resources a.download >> nth=0")
    assert Path(info.value.path()).stat().st_size > 0
    applicant.go("/user/account")
    assert TEXT[lang]["approved"] in page.inner_text("#applications")
    # A token, shown once, that works against the API; then revoked.
    page.fill("#f-name", "laptop")
    page.click("form[action$='/user/account/tokens'] button[type=submit]")
    token = page.inner_text("#new-token").strip()
    audit(applicant, "account-tokens")
    api = site.api(token)
    assert api.get("data_application_list").ok
    page.click("#tokens button.danger")
    page.wait_for_load_state()
    assert not api.get("data_application_list").ok
    api.close()
    applicant.close()
    FINISHED.add(("applicant", lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_editor_creates_a_dataset_and_uploads_across_a_broken_connection(
    browser: Any, site: Site, lang: str, tmp_path: Path
) -> None:
    editor = Visitor(browser, site, lang)
    page = editor.page
    english(editor)
    editor.login("editor")
    editor.go("/dataset/new")
    audit(editor, "dataset-form", "new-dataset")
    name = f"web-upload-{lang}-{uuid.uuid4().hex[:6]}"
    page.fill("#f-title", "浏览器上传测试 Browser upload")
    page.fill("#f-name", name)
    page.fill("#f-notes", "分段上传的表格。")
    page.select_option("#f-owner_org", site.conditional_org)
    page.select_option("#f-region_code", "340100")
    page.select_option("#f-theme", "城市建设")
    page.select_option("#f-open_class", "unconditional")
    page.fill("#f-tag_string", "测试, upload")
    page.click("#dataset-form button[type=submit]")
    page.wait_for_url(f"**/dataset/{name}")
    page.click("a[href$='/resource/new']")
    page.wait_for_load_state()
    audit(editor, "upload", "upload")
    rows = "\n".join(f"{i},区{i % 7},{i * 3}" for i in range(120_000))
    table = tmp_path / "测量.csv"
    table.write_text("编号,地区,数值\n" + rows + "\n", encoding="utf-8")
    expected = hashlib.sha256(table.read_bytes()).hexdigest()
    broken: list[str] = []

    def break_third_piece(route: Any) -> None:
        request = route.request
        if request.method == "PATCH":
            broken.append(request.url)
            if len(broken) == 3:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route(lambda url: "/api/uploads/" in url, break_third_piece)
    page.evaluate("document.getElementById('upload-form').dataset.chunk = String(256 * 1024)")
    page.set_input_files("#f-file", str(table))
    page.fill("#f-name", "测量")
    page.click("#upload-button")
    page.wait_for_url(lambda url: "/resource/new" not in url, timeout=60000)
    assert len(broken) > 4  # the broken piece was sent again, and the rest followed
    api = site.api()
    resource = api.get("package_show", id=name).result["resources"][0]
    api.close()
    assert resource["hash"] == expected and resource["size"] == table.stat().st_size
    editor.go(f"/dataset/{name}/edit")
    audit(editor, "dataset-edit")
    page.fill("#f-title_en", "Browser upload test")
    page.click("#dataset-form button[type=submit]")
    page.wait_for_url(f"**/dataset/{name}")
    editor.close()
    FINISHED.add(("editor", lang))


EVERY_PAGE_TYPE = {
    "home",
    "search",
    "dataset",
    "history",
    "resource",
    "map",
    "organizations",
    "organization",
    "themes",
    "theme",
    "region",
    "error-404",
    "error-400",
    "login",
    "register",
    "registered",
    "verify-email",
    "account",
    "account-tokens",
    "apply",
    "application",
    "review",
    "application-review",
    "dataset-form",
    "dataset-edit",
    "upload",
}


def test_axe_saw_every_page_type_in_both_languages() -> None:
    """Runs after the journeys (file order): none of them skipped a page type."""
    if len(FINISHED) < 8:
        pytest.skip("only when all four journeys ran in both languages")
    for lang in ("zh", "en"):
        assert CHECKED[lang] == EVERY_PAGE_TYPE, (lang, EVERY_PAGE_TYPE ^ CHECKED[lang])
