"""The pages in process (FastAPI TestClient on the real app and a real SQLite catalogue):
agreement with the API, languages, accounts and lockout, CSRF, resumable uploads,
resource views, the catalogues, and page weight."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from datasets import repository
from delta import migrations
from delta.settings import load_settings
from open_portal import demo
from open_portal.accounts import service as accounts
from open_portal.app import create_app

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "open_portal" / "web"
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("web-pages")
    settings = load_settings(home=home, env="development", ingest_worker=False,
                             site_url="http://testserver")  # fmt: skip
    settings.ensure_home()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    application = create_app(settings)
    portal = application.state.portal
    demo.load(portal, password=PASSWORD)
    with portal.unit_of_work() as unit:
        editor = accounts.create_user(unit.session, name="pages-editor",
                                      email="ed@example.org", password=PASSWORD)  # fmt: skip
        org = repository.find_package(unit.session, "zj-gdp-by-city").organization
        accounts.set_member(unit.session, group=org, user_ref=editor.id, capacity="editor")
        _, token = accounts.create_token(unit.session, user=editor, name="t")
    application.state.editor_token = token
    application.state.editor_org = org.name
    yield application
    portal.close()


def client(app: Any, **headers: str) -> TestClient:
    return TestClient(app, headers=headers)


def csrf(page_text: str) -> str:
    return re.search(r'name="_csrf" value="([^"]+)"', page_text).group(1)  # type: ignore[union-attr]


def test_search_page_agrees_with_package_search(app: Any) -> None:
    c = client(app)
    page = c.get("/dataset", params={"q": "空气质量", "province": "310000"})
    assert page.status_code == 200
    fq = json.dumps(['province:"310000"'])
    api = c.get("/api/3/action/package_search", params={"q": "空气质量", "fq_list": fq, "rows": 20})
    names = [p["name"] for p in api.json()["result"]["results"]]
    assert names and re.findall(r'<h3><a href="/dataset/([^"]+)"', page.text) == names
    assert "<mark>" in page.text and "找到" in page.text
    # Facets are links that add a filter; active filters are links that remove it.
    assert 'id="facet-theme"' in page.text and "province=310000" in page.text
    assert 'class="chip"' in page.text
    bad = c.get("/dataset", params={"q": "AND"})  # q=( is issue 10 #5 (a 500 in the parser)
    assert bad.status_code == 400 and 'role="alert"' in bad.text


def test_languages(app: Any) -> None:
    c = client(app)
    assert '<html lang="zh-CN">' in c.get("/").text
    assert '<html lang="en">' in c.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en">' in c.get("/en/dataset").text
    switched = c.get("/dataset", params={"lang": "en"})
    assert '<html lang="en">' in switched.text and switched.cookies.get("delta_lang") == "en"
    assert '<html lang="en">' in c.get("/organization").text  # remembered
    assert '<html lang="zh-CN">' in c.get("/organization", params={"lang": "zh-CN"}).text


def test_register_verify_login_lockout(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    c = client(app)
    form = c.get("/user/register").text
    # Without the CSRF token nothing happens.
    refused = c.post("/user/register", data={"name": "x", "email": "x@example.org"})
    assert refused.status_code == 400
    data = {"_csrf": csrf(form), "name": "reader-one", "email": "reader@example.org",
            "password": PASSWORD, "password2": PASSWORD}  # fmt: skip
    with caplog.at_level(logging.INFO, logger="delta.mail"):
        assert c.post("/user/register", data=data).status_code == 200
    link = re.search(r"(http://testserver/user/verify\?token=\S+)", caplog.text).group(1)  # type: ignore[union-attr]
    login = {"_csrf": csrf(c.get("/user/login").text), "login": "reader-one", "password": PASSWORD}
    assert c.post("/user/login", data=login).status_code == 401  # not verified yet
    assert c.get(link.replace("http://testserver", "")).status_code == 200
    ok = c.post("/user/login", data=login, follow_redirects=False)
    assert ok.status_code == 303 and "delta_portal_session" in ok.cookies
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert c.get("/user/account").status_code == 200
    # Five wrong passwords lock the account; then even the right one is refused.
    other = client(app)
    wrong = {**login, "_csrf": csrf(other.get("/user/login").text), "password": "wrong-wrong"}
    statuses = [other.post("/user/login", data=wrong).status_code for _ in range(5)]
    assert statuses == [401] * 5
    assert other.post("/user/login", data={**wrong, "password": PASSWORD}).status_code == 429
    # A forged session cookie is nobody.
    forged = client(app)
    forged.cookies.set("delta_portal_session", "abc.def")
    assert "/user/login" in forged.get("/user/account").text


def test_resumable_upload_protocol(app: Any) -> None:
    token = app.state.editor_token
    c = client(app)
    tus = {"Tus-Resumable": "1.0.0"}
    meta = (
        "filename ZGF0YS5jc3Y=,package_id "
        + __import__("base64").b64encode(b"zj-gdp-by-city").decode()
    )
    anonymous = c.post(
        "/api/uploads", headers={**tus, "Upload-Length": "10", "Upload-Metadata": meta}
    )
    assert anonymous.status_code == 403
    auth = {**tus, "Authorization": token}
    created = c.post(
        "/api/uploads", headers={**auth, "Upload-Length": "10", "Upload-Metadata": meta}
    )
    assert created.status_code == 201
    location = created.headers["location"]
    body = {"Content-Type": "application/offset+octet-stream"}
    first = c.patch(location, content=b"a,b\n", headers={**auth, **body, "Upload-Offset": "0"})
    assert first.status_code == 204 and first.headers["upload-offset"] == "4"
    assert c.head(location, headers=auth).headers["upload-offset"] == "4"
    stale = c.patch(location, content=b"x", headers={**auth, **body, "Upload-Offset": "0"})
    assert stale.status_code == 409 and stale.headers["upload-offset"] == "4"
    too_much = c.patch(
        location, content=b"0123456789", headers={**auth, **body, "Upload-Offset": "4"}
    )
    assert too_much.status_code == 422
    assert c.head(location, headers=tus).status_code == 404  # someone else's upload
    # A browser session must send the page's CSRF token.
    browser = client(app)
    page = browser.get("/user/login").text
    browser.post(
        "/user/login", data={"_csrf": csrf(page), "login": "pages-editor", "password": PASSWORD}
    )
    no_token = browser.post(
        "/api/uploads", headers={**tus, "Upload-Length": "1", "Upload-Metadata": meta}
    )
    assert no_token.status_code == 403
    with_token = browser.post("/api/uploads", headers={**tus, "Upload-Length": "1",
                              "Upload-Metadata": meta, "X-CSRF-Token": csrf(page)})  # fmt: skip
    assert with_token.status_code == 201


def test_resource_view_actions(app: Any) -> None:
    c = client(app)
    token = app.state.editor_token
    package = c.get("/api/3/action/package_show", params={"id": "zj-gdp-by-city"}).json()["result"]
    resource_id = package["resources"][0]["id"]

    def call(name: str, data: dict[str, Any], auth: str | None = token) -> Any:
        headers = {"Authorization": auth} if auth else {}
        return c.post(f"/api/3/action/{name}", json=data, headers=headers)

    view = {
        "resource_id": resource_id, "title": "GDP", "view_type": "chart_view",
        "chart_type": "bar", "x": "city_name", "y": "gdp_billion_yuan", "aggregate": "sum",
    }  # fmt: skip
    assert (
        call("resource_view_create", view, auth=None).json()["error"]["__type"]
        == "Authorization Error"
    )
    bad = call("resource_view_create", {**view, "view_type": "nope"})
    assert bad.status_code == 409 and "view_type" in bad.json()["error"]
    first = call("resource_view_create", view).json()["result"]
    assert first["chart_type"] == "bar" and first["package_id"] == package["id"]
    table_view = {"resource_id": resource_id, "title": "表", "view_type": "datatables_view"}
    second = call("resource_view_create", table_view).json()["result"]
    listed = c.get("/api/3/action/resource_view_list", params={"id": resource_id}).json()["result"]
    assert [v["id"] for v in listed] == [first["id"], second["id"]]
    order = call("resource_view_reorder", {"id": resource_id, "order": [second["id"]]}).json()
    assert order["result"]["order"] == [second["id"], first["id"]]
    updated = call("resource_view_update", {**view, "id": first["id"], "title": "GDP 合计"})
    assert updated.json()["result"]["title"] == "GDP 合计"
    shown = c.get("/api/3/action/resource_view_show", params={"id": first["id"]}).json()
    assert shown["result"]["x"] == "city_name"
    assert call("resource_view_delete", {"id": first["id"]}).json()["success"]
    missing = c.get("/api/3/action/resource_view_show", params={"id": first["id"]})
    assert missing.status_code == 404


def test_every_page_string_is_in_the_catalogues(tmp_path: Path) -> None:
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", str(WEB / "babel.cfg"),
         "-k", "N_", "-o", str(pot), str(WEB)],
        check=True, capture_output=True,
    )  # fmt: skip
    fresh = {m.id for m in read_po(pot.open("rb")) if m.id}
    zh = {
        m.id: m.string
        for m in read_po((WEB / "translations/zh_CN/LC_MESSAGES/messages.po").open("rb"))
    }
    untranslated = [
        i for i in fresh if not zh.get(i) or (isinstance(zh[i], tuple) and not all(zh[i]))
    ]
    assert not untranslated, untranslated


PAGE_TYPES = ("/", "/dataset", "/dataset/zj-gdp-by-city", "/organization", "/theme",
              "/region/330000", "/user/register", "/user/login")  # fmt: skip


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_page_weight_under_150_kb(app: Any, path: str) -> None:
    c = client(app)
    for prefix in ("", "/en"):
        page = c.get(prefix + path)
        assert page.status_code == 200
        ours = re.findall(r'(?:href|src)="(/static/web/[^"]+)"', page.text)
        total = len(page.content) + sum(len(c.get(url).content) for url in ours)
        assert total < 150 * 1024, (path, total)
