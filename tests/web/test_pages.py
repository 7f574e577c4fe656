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


# Every page type, in both languages: {placeholders} are filled in from the catalogue.
PUBLIC_PAGES = {
    "/": 200, "/dataset": 200, "/dataset?q=空气质量&province=310000": 200,
    "/dataset/zj-gdp-by-city": 200, "/dataset/zj-gdp-by-city/resource/{resource}": 200,
    "/dataset/zj-gdp-by-city/history": 200,
    "/organization": 200, "/organization/{org}": 200, "/theme": 200, "/theme/{theme}": 200,
    "/region/330000": 200, "/user/register": 200, "/user/login": 200,
    "/user/verify?token=expired": 400, "/dataset/no-such-dataset": 404,
}  # fmt: skip
SIGNED_IN_PAGES = ("/user/account", "/dataset/new", "/dataset/zj-gdp-by-city/edit",
                   "/dataset/zj-gdp-by-city/resource/new", "/review",
                   "/dataset/hefei-construction-dust-monitoring/apply",
                   "/application/{application}")  # fmt: skip
CHART_CODE = ("charts.js",)  # the budget is before chart code


@pytest.fixture(scope="module")
def signed_in(app: Any) -> TestClient:
    """The editor's browser session, with one application of theirs to look at."""
    c = client(app)
    form = c.get("/user/login").text
    c.post("/user/login", data={"_csrf": csrf(form), "login": "pages-editor",
                                "password": PASSWORD})  # fmt: skip
    if not hasattr(app.state, "application_id"):
        applied = c.post("/api/3/action/data_application_create", headers={
            "Authorization": app.state.editor_token}, json={
            "package_id": "hefei-construction-dust-monitoring",
            "purpose": "页面重量测试：每种页面的大小",
            "applicant_organization": "示例大学", "intended_use": "统计",
            "period_start": "2026-01-01", "period_end": "2026-12-31",
            "agreement_accepted": True})  # fmt: skip
        assert applied.status_code == 200, applied.text
        app.state.application_id = applied.json()["result"]["id"]
    return c


def _fill(app: Any, path: str) -> str:
    c = client(app)
    package = c.get("/api/3/action/package_show", params={"id": "zj-gdp-by-city"}).json()
    return path.format(resource=package["result"]["resources"][0]["id"],
                       org=app.state.editor_org, theme="economy",
                       application=getattr(app.state, "application_id", ""))  # fmt: skip


def _weight(c: TestClient, path: str, status: int) -> int:
    page = c.get(path)
    assert page.status_code == status, (path, page.status_code)
    ours = re.findall(r'(?:href|src)="(/static/web/[^"]+)"', page.text)
    assert ours, path  # at least our CSS: the sum below is not just the HTML
    counted = [url for url in ours if not url.split("?")[0].endswith(CHART_CODE)]
    return len(page.content) + sum(len(c.get(url).content) for url in counted)


@pytest.mark.parametrize("path", list(PUBLIC_PAGES))
def test_page_weight_under_150_kb(app: Any, path: str) -> None:
    c = client(app)
    for prefix in ("", "/en"):
        total = _weight(c, prefix + _fill(app, path), PUBLIC_PAGES[path])
        assert total < 150 * 1024, (path, total)


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_page_weight_under_150_kb(app: Any, signed_in: TestClient, path: str) -> None:
    for prefix in ("", "/en"):
        page = signed_in.get(prefix + _fill(app, path))
        assert "pages-editor" in page.text, path  # really signed in
        total = _weight(signed_in, prefix + _fill(app, path), 200)
        assert total < 150 * 1024, (path, total)


def _head_links(page_text: str) -> list[dict[str, str]]:
    head = page_text.split("</head>", 1)[0]
    return [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(r"<link [^>]+>", head)]


def _page_jsonld(page_text: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page_text, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def test_dataset_page_carries_schema_org_and_links_its_dcat_and_data_package(app: Any) -> None:
    from rdflib import RDF, Graph, Namespace, URIRef

    c = client(app)
    page = c.get("/en/dataset/zj-gdp-by-city")
    doc = _page_jsonld(page.text)
    # The same document as the public schema.org endpoint.
    assert doc == c.get("/dataset/zj-gdp-by-city/schema.org.json").json()
    # Valid JSON-LD: as RDF (the schema.org context as its @vocab, no network).
    graph = Graph().parse(
        data=json.dumps({**doc, "@context": {"@vocab": "https://schema.org/"}}), format="json-ld"
    )
    s = Namespace("https://schema.org/")
    dataset = URIRef(doc["@id"])
    assert (dataset, RDF.type, s.Dataset) in graph
    for prop in ("name", "description", "url", "license", "creator", "publisher",
                 "temporalCoverage", "spatialCoverage", "dateModified"):  # fmt: skip
        assert graph.value(dataset, s[prop]) is not None, prop
    downloads = list(graph.objects(dataset, s.distribution))
    assert downloads and all(
        graph.value(d, s.contentUrl) and graph.value(d, s.encodingFormat) for d in downloads
    )
    assert str(graph.value(dataset, s.url)) == "http://testserver/dataset/zj-gdp-by-city"
    # rel=alternate in <head>: the Data Package and DCAT-AP in three forms, each served.
    alternates = {
        link["type"]: link["href"]
        for link in _head_links(page.text)
        if link.get("rel") == "alternate" and "type" in link
    }
    assert set(alternates) == {"application/json", "application/rdf+xml", "text/turtle",
                               "application/ld+json"}  # fmt: skip
    package_id = c.get("/api/3/action/package_show", params={"id": "zj-gdp-by-city"}).json()
    assert alternates["text/turtle"] == f"/dataset/{package_id['result']['id']}.ttl"
    dcat = Namespace("http://www.w3.org/ns/dcat#")
    rdf_syntax = {"application/rdf+xml": "xml", "text/turtle": "turtle",
                  "application/ld+json": "json-ld"}  # fmt: skip
    for media_type, href in alternates.items():
        served = c.get(href)
        assert served.status_code == 200, href
        assert served.headers["content-type"].startswith(media_type), href
        if media_type != "application/json":
            rdf = Graph().parse(data=served.text, format=rdf_syntax[media_type])
            assert (URIRef(doc["@id"]), RDF.type, dcat.Dataset) in rdf, href
    assert c.get(alternates["application/json"]).json()["name"] == "zj-gdp-by-city"


def test_conditional_and_private_datasets_in_linked_data(app: Any) -> None:
    c = client(app)
    conditional = _page_jsonld(c.get("/dataset/hefei-construction-dust-monitoring").text)
    assert "conditionsOfAccess" in conditional and "distribution" not in conditional
    # A private dataset seen by its editor: the catalogue does not publish it, so no
    # JSON-LD and no links to DCAT documents that would answer 404.
    token = app.state.editor_token
    api = {"Authorization": token}
    created = c.post("/api/3/action/package_create", headers=api, json={
        "name": "pages-private-one", "title": "私有", "owner_org": app.state.editor_org,
        "private": True, "notes": "x"})  # fmt: skip
    assert created.status_code == 200, created.text
    browser = client(app)
    form = browser.get("/user/login").text
    browser.post("/user/login", data={"_csrf": csrf(form), "login": "pages-editor",
                                      "password": PASSWORD})  # fmt: skip
    page = browser.get("/dataset/pages-private-one")
    assert page.status_code == 200 and "application/ld+json" not in page.text
    assert ".ttl" not in page.text and "datapackage.json" in page.text


def test_change_history_is_a_page_of_its_own(app: Any) -> None:
    c = client(app)
    page = c.get("/dataset/zj-gdp-by-city")
    assert 'href="/dataset/zj-gdp-by-city/history"' in page.text
    history = c.get("/dataset/zj-gdp-by-city/history")
    api = c.get(
        "/api/3/action/package_activity_list", params={"id": "zj-gdp-by-city", "limit": 50}
    ).json()
    stamps = re.findall(r'<li><time datetime="([^"]+)"', history.text)
    assert stamps and stamps == [a["timestamp"] for a in api["result"]]
    assert c.get("/dataset/no-such-dataset/history").status_code == 404


def _statements(app: Any, c: TestClient, path: str) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = app.state.portal.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert c.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_dataset_page_asks_the_database_what_package_show_asks(app: Any) -> None:
    """The page renders from package_show's dict: no second load of the dataset, no
    history (its own page), so its statements are the API's (the benchmark's 1.5x)."""
    c = client(app)
    c.get("/dataset/zj-gdp-by-city")  # the CSRF seed cookie, as a returning browser has it
    api = _statements(app, c, "/api/3/action/package_show?id=zj-gdp-by-city")
    page = _statements(app, c, "/dataset/zj-gdp-by-city")
    assert len(page) <= len(api), (len(page), len(api), page)
