"""A thin HTTP client for the CKAN Action API that shows status and envelope as they are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return (
            self.status == 200 and isinstance(self.body, dict) and self.body.get("success") is True
        )

    @property
    def result(self) -> Any:
        assert self.ok, f"expected success, got {self.status}: {self.body}"
        return self.body["result"]

    @property
    def error(self) -> dict[str, Any]:
        assert isinstance(self.body, dict) and self.body.get("success") is False, self.body
        return dict(self.body["error"])

    @property
    def error_type(self) -> str:
        return str(self.error.get("__type"))


class Api:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        headers = {"Authorization": token} if token else {}
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=60)

    def _answer(self, response: httpx.Response) -> Answer:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return Answer(response.status_code, body)

    def post(self, action: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Answer:
        return self._answer(self.client.post(f"/api/3/action/{action}", json=data or {}, **kwargs))

    def get(self, action: str, **params: Any) -> Answer:
        return self._answer(self.client.get(f"/api/3/action/{action}", params=params))

    def raw(self, method: str, path: str, **kwargs: Any) -> Answer:
        return self._answer(self.client.request(method, path, **kwargs))

    def close(self) -> None:
        self.client.close()
