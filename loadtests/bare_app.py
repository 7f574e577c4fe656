"""The baseline: a bare FastAPI app serving the same JSON payloads as fixed data.

It does what our endpoints do minus everything that makes them ours (routing
through the action registry, authentication, the database, permissions,
dictization), so the ratio shows what those cost.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response

PAYLOADS = Path(os.environ.get("BARE_PAYLOADS", "bare-payloads.json"))

app = FastAPI()
_payloads: dict[str, Any] = json.loads(PAYLOADS.read_text("utf-8")) if PAYLOADS.exists() else {}
_show = json.dumps(_payloads.get("show", {}), ensure_ascii=False).encode()
_list = json.dumps(_payloads.get("list", []), ensure_ascii=False).encode()


@app.get("/bare/package_show")
def package_show(id: str) -> Response:
    return Response(_show, media_type="application/json")


@app.get("/bare/package_list")
def package_list() -> Response:
    return Response(_list, media_type="application/json")
