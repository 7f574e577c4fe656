"""The portal's Content-Security-Policy in a real browser (Chromium): the pages served
from our own origin render with nothing refused -- the front page with its inline
style, and Swagger UI and ReDoc from the npm assets we serve (delta.assets), as
FastAPI's own page helpers build them."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from delta.assets import vendor_url
from tests.support.inprocess import local_portal
from tests.support.processes import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="chromium missing: run scripts/ensure-test-prereqs"
    ),
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("csp")
    port = free_port()
    with local_portal(home, "sqlite", site_url=f"http://127.0.0.1:{port}") as portal:
        app = portal.app
        app.router.routes = [
            r for r in app.router.routes if getattr(r, "path", "") not in ("/api/docs",)
        ]

        @app.get("/api/docs", include_in_schema=False)
        def swagger() -> HTMLResponse:
            return get_swagger_ui_html(
                openapi_url="/api/openapi.json",
                title="API",
                swagger_js_url=vendor_url("swagger-ui-bundle.js"),
                swagger_css_url=vendor_url("swagger-ui.css"),
                swagger_favicon_url="/favicon.ico",
            )

        @app.get("/api/redoc", include_in_schema=False)
        def redoc() -> HTMLResponse:
            return get_redoc_html(
                openapi_url="/api/openapi.json",
                title="API",
                redoc_js_url=vendor_url("redoc.standalone.js"),
                with_google_fonts=False,
                redoc_favicon_url="/favicon.ico",
            )

        app.middleware_stack = None  # rebuilt with the routes above on the next call
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(timeout=10)


def test_pages_of_our_origin_render_under_the_policy(base_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for path, rendered in (
                ("/", "h1"),
                ("/api/docs", ".opblock"),  # an operation, drawn by Swagger UI's script
                ("/api/redoc", "[data-section-id]"),  # a section, drawn by ReDoc's
            ):
                page = browser.new_page()
                refused: list[str] = []

                def note(message: object, refused: list[str] = refused) -> None:
                    text = str(getattr(message, "text", ""))
                    # ReDoc's own logo comes from its CDN: refused, as it should be.
                    if "Content Security Policy" in text and "cdn.redoc.ly" not in text:
                        refused.append(text)

                page.on("console", note)
                page.goto(base_url + path)
                page.wait_for_selector(rendered, timeout=20_000)
                assert refused == [], (path, refused)
                if path == "/":
                    # The inline <style> applied (allowed by its hash, nothing else inline).
                    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "960px"
                page.close()
        finally:
            browser.close()
