"""A small browser on httpx: follows redirects, keeps cookies, reads and submits HTML forms.

It does what the node's pages rely on a browser to do, nothing more: the
auto-POST page of the SAML HTTP-POST binding is submitted like a browser
with scripts on would submit it, and every other form is filled in and
posted with its hidden fields, exactly as rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx
from lxml import html


@dataclass
class Page:
    url: str
    status: int
    text: str

    @property
    def tree(self) -> Any:
        return html.fromstring(self.text)

    def form(self, index: int = 0) -> Form:
        forms = self.tree.xpath("//form")
        if not forms:
            raise AssertionError(f"no form on {self.url} ({self.status}):\n{self.text[:2000]}")
        element = forms[index]
        fields: dict[str, str] = {}
        for field in element.xpath(".//input"):
            name = field.get("name")
            if not name or field.get("type") in ("checkbox", "submit"):
                continue
            fields[name] = field.get("value", "")
        action = urljoin(self.url, element.get("action") or self.url)
        return Form(action=action, fields=fields, element_id=element.get("id") or "")

    @property
    def is_autopost(self) -> bool:
        return bool(self.tree.xpath("//form[@id='autopost']"))

    def text_of(self, element_id: str) -> str:
        found = self.tree.xpath(f"//*[@id='{element_id}']")
        return found[0].text_content().strip() if found else ""

    def attr_of(self, element_id: str, attribute: str) -> str:
        found = self.tree.xpath(f"//*[@id='{element_id}']")
        return str(found[0].get(attribute, "")) if found else ""

    def table(self, element_id: str = "identity") -> dict[str, str]:
        rows = self.tree.xpath(f"//table[@id='{element_id}']//tr")
        result = {}
        for row in rows:
            cells = row.xpath("./th|./td")
            if len(cells) == 2:
                result[cells[0].text_content().strip()] = cells[1].text_content().strip()
        return result


@dataclass
class Form:
    action: str
    fields: dict[str, str]
    element_id: str


class Browser:
    def __init__(self) -> None:
        self.client = httpx.Client(follow_redirects=True, timeout=30)

    def close(self) -> None:
        self.client.close()

    def _page(self, response: httpx.Response) -> Page:
        return Page(str(response.url), response.status_code, response.text)

    def get(self, url: str) -> Page:
        return self._page(self.client.get(url))

    def post(self, url: str, data: dict[str, str]) -> Page:
        return self._page(self.client.post(url, data=data))

    def submit(self, page: Page, index: int = 0, **values: str) -> Page:
        form = page.form(index)
        return self.post(form.action, {**form.fields, **values})

    def follow_autoposts(self, page: Page, *, limit: int = 4) -> Page:
        """Submit auto-POST pages like a browser with scripts on."""
        for _ in range(limit):
            if not page.is_autopost:
                return page
            page = self.submit(page)
        return page
