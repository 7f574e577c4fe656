"""The portal's front page: what is here and how to reach it.

The full web UI (dataset pages, search pages, application forms) comes with
the portal-UI work; until then the front page points people and programs at
the catalogue through the CKAN API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from open_portal.runtime import Portal
from search.protocol import SearchQuery
from standards import regions, themes

router = APIRouter()
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _overview(portal: Portal) -> dict[str, Any]:
    found = portal.search.search(
        SearchQuery(
            q="", rows=0, facet_fields=("theme", "province", "organization"), facet_limit=-1
        )
    )
    # Counted as fq=region_code:<province> finds them: the province and all inside it.
    provinces = found.facets.get("province", {})
    return {
        "datasets": found.count,
        "organizations": len(found.facets.get("organization", {})),
        "themes": [
            (theme, found.facets.get("theme", {}).get(theme.name, 0)) for theme in themes.THEMES
        ],
        "provinces": [(regions.name_of(code), count) for code, count in sorted(provinces.items())],
        "site_url": portal.settings.site_url.rstrip("/"),
    }


@router.get("/", include_in_schema=False)
async def front_page(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    overview = await run_in_threadpool(_overview, portal)
    return templates.TemplateResponse(request, "index.html", overview)
