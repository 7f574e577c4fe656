"""The search baseline over HTTP: a bare FastAPI endpoint that runs the raw engine query.

``POST /raw {"terms": [...]}`` runs what ``loadtests.search_latency`` calls the raw
query (FTS5 MATCH ranked by bm25, or an Elasticsearch multi_match; 20 rows) on the
same index the portal serves and returns the rows' stored packages. Served by one
uvicorn worker, as the portal is, so the same clients against both show what the
portal's search costs over the engine and what one worker can do at all.

    RAW_SEARCH_INDEX=path/catalog.db  (or RAW_SEARCH_URL=http://host:9200/alias)
    python -m uvicorn loadtests.raw_search_app:raw_app --factory --port P
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import BaseModel

from loadtests.search_latency import raw_elasticsearch, raw_fts5
from search import open_backend


class RawQuery(BaseModel):
    terms: list[str]


def raw_app() -> FastAPI:
    backend = open_backend(
        os.environ.get("RAW_SEARCH_URL") or None,
        index_path=Path(os.environ.get("RAW_SEARCH_INDEX", "catalog.db")),
        result_cache_bytes=0,
    )
    elasticsearch = bool(os.environ.get("RAW_SEARCH_URL"))
    app = FastAPI()

    @app.get("/ready")
    def ready() -> dict[str, bool]:
        return {"ready": True}

    @app.post("/raw")
    def raw(query: RawQuery) -> Response:
        # Built per request: the FTS5 backend keeps one connection per thread itself.
        run = raw_elasticsearch(backend) if elasticsearch else raw_fts5(backend)
        found = run(query.terms)
        if elasticsearch:
            body = orjson.dumps([hit["_source"]["package"] for hit in found["hits"]["hits"]])
        else:
            body = b"[" + ",".join(row[0] for row in found).encode() + b"]"
        return Response(body, media_type="application/json")

    return app
