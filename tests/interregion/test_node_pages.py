"""The node's pages speak Chinese first and English: refusals, the recognised page, templates.

The four real node apps run in process (tests/interregion/inprocess.py) and a
small browser clicks through them; the catalogue of refusal texts is checked
against the source, so a new refusal without a Chinese text fails here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import httpx
import pytest
from lxml import html

import signing.errors
from interregion.web import refusals
from interregion.web.pages import TEMPLATES
from tests.interregion.browser import Browser, Page
from tests.interregion.cluster import Cluster
from tests.interregion.flows import captured_response, full_login, person
from tests.interregion.inprocess import InProcessFederation, in_process_federation, node_url

HOME, SP, OTHER_SP = "310000", "320000", "330000"
ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


class Urls:
    """What tests/interregion/flows.py needs of a cluster: each node's base URL."""

    def url(self, code: str) -> str:
        return node_url(code)


URLS = cast(Cluster, Urls())


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with in_process_federation(tmp_path_factory.mktemp("node-pages")) as federation:
        yield federation


@pytest.fixture
def browser(fed: InProcessFederation) -> Iterator[Browser]:
    session = Browser()
    session.client = httpx.Client(transport=fed.routed(), follow_redirects=True, timeout=30)
    try:
        yield session
    finally:
        session.close()


def block(page: Page, element_id: str) -> str:
    found = page.tree.xpath(f"//*[@id='{element_id}']")
    assert found, f"no #{element_id} on {page.url} ({page.status}):\n{page.text[:1500]}"
    return " ".join(found[0].text_content().split())


def assert_refusal(page: Page, *, reason: str, zh: list[str], en: list[str]) -> None:
    assert page.status in (403, 404), f"{page.status} {page.url}\n{page.text[:1500]}"
    assert page.text_of("reason") == reason
    shown = block(page, "refusal-explanation") + " " + block(page, "refusal-detail")
    for text in zh + en:
        assert text in shown, f"{text!r} not in {shown!r}"
    # Chinese first: each paragraph opens in Chinese, the English follows marked lang="en".
    for element_id in ("refusal-explanation", "refusal-detail"):
        paragraph = page.tree.xpath(f"//*[@id='{element_id}']")[0]
        english = paragraph.xpath("./span[@lang='en']")
        assert len(english) == 1 and LATIN_WORD.search(english[0].text_content()), element_id
        assert CJK.search(paragraph.text or ""), f"#{element_id} does not open in Chinese"


# --- the recognised page ------------------------------------------------------------------------


def test_the_recognised_page_shows_each_fact_once_in_both_languages(browser: Browser) -> None:
    who = person(HOME, "resident")
    page = full_login(browser, URLS, sp=SP, who=who, home=HOME)
    assert page.url.endswith("/service") and page.status == 200, page.text[:1500]
    rows = page.table("identity")
    labels = list(rows)
    assert len(labels) == len(set(labels))
    values = list(rows.values())
    name = page.text_of("person-name")
    assert name == who.name
    assert values.count(name) == 1, rows
    assert sum("上海" in value for value in values) == 1, rows  # the home region, once
    assert not any("姓名" in label and label != "姓名 / Name" for label in labels), labels
    assert not any("户籍" in label for label in labels), labels
    # The kind of subject is a word people read, in both languages, not the code "resident".
    assert "个人 / resident" in values, rows
    assert "resident" not in [value.strip() for value in values]
    for label in labels:
        assert CJK.search(label) and " / " in label, label


# --- refusals: reason and detail in Chinese and English -----------------------------------------


def test_a_replayed_response_is_refused_in_both_languages(browser: Browser) -> None:
    captured = captured_response(browser, URLS, sp=SP, home=HOME, who=person(HOME, "resident"))
    first = browser.post(captured.form.action, captured.form.fields)
    assert first.url.endswith("/service")
    again = browser.post(captured.form.action, captured.form.fields)
    assert_refusal(
        again, reason="replayed",
        zh=["该登录凭证已被使用过"], en=["This login response has already been used.",
                                   "this login response has already been used"],
    )  # fmt: skip


def test_a_response_for_another_service_is_refused_in_both_languages(browser: Browser) -> None:
    captured = captured_response(browser, URLS, sp=SP, home=HOME, who=person(HOME, "resident"))
    page = browser.post(f"{node_url(OTHER_SP)}/saml/acs", captured.form.fields)
    assert_refusal(
        page, reason="wrong-destination",
        zh=["该登录凭证是发给其他服务的", "应答是发给其他服务的"],
        en=["the response was meant for another service"],
    )  # fmt: skip


def test_a_malformed_message_names_the_field_in_both_languages(browser: Browser) -> None:
    page = browser.post(f"{node_url(SP)}/saml/acs", {"SAMLResponse": "@@not base64@@"})
    assert_refusal(
        page, reason="malformed",
        zh=["消息格式错误", "SAMLResponse不是base64编码"], en=["SAMLResponse is not base64"],
    )  # fmt: skip


def test_an_unknown_home_region_is_refused_in_both_languages(browser: Browser) -> None:
    page = browser.get(f"{node_url(SP)}/sso/start?{urlencode({'home': '999999'})}")
    assert_refusal(
        page, reason="unknown-region",
        zh=["未知的地区", "该地区没有身份认证节点"], en=["there is no home node for this region"],
    )  # fmt: skip


def test_a_detail_with_values_is_translated_with_its_words() -> None:
    assert refusals.detail("the service needs high, the home region asserted low") == (
        "服务要求高等级，所属地区认证为低等级",
        "the service needs high, the home region asserted low",
    )
    assert (
        refusals.detail("expected exactly one Subject, found 2")[0]
        == "Subject应恰有一个，实际有2个"
    )
    # An already bilingual message is shown as it is; an unknown code still gets a sentence.
    both = "登录已过期 / This login expired"
    assert refusals.detail(both) == ("", both)
    assert refusals.explanation("no-such-reason") == refusals.GENERIC


# --- every refusal in the source has its Chinese text ---------------------------------------------


def _template(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def refusals_in_source() -> tuple[set[str], set[str]]:
    """Reason codes and message templates of every refusal raised or shown in interregion."""
    reasons: set[str] = set()
    messages: set[str] = set()
    kebab = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
    for path in sorted((ROOT / "interregion").rglob("*.py")):
        saml = "saml" in path.parts
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name.endswith("Refused") or name == "refusal":
                    args: list[Any] = [] if name == "refusal" else list(node.args)
                    keywords = {k.arg: k.value for k in node.keywords}
                    reason = _literal(keywords.get("reason", args[0] if args else None))
                    message = _template(keywords.get("message", args[1] if len(args) > 1 else None))
                    reasons.update([reason] if reason else [])
                    messages.update([message] if message else [])
            # The SAML checks also name refusals in (reason, message) pairs and assignments.
            elif saml and isinstance(node, ast.Tuple) and len(node.elts) == 2:
                reason, message = _literal(node.elts[0]), _template(node.elts[1])
                if reason and kebab.match(reason) and message and " " in message:
                    reasons.add(reason)
                    messages.add(message)
            elif saml and isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                target = node.targets[0].id
                if target == "message" and _template(node.value):
                    messages.add(cast(str, _template(node.value)))
                if target == "reason" and _literal(node.value):
                    reasons.add(cast(str, _literal(node.value)))
    return reasons, messages


def test_the_scan_finds_the_refusals_it_must() -> None:
    reasons, messages = refusals_in_source()
    # One from each shape: a call, a keyword call, a (reason, message) pair, an assignment.
    assert {"replayed", "csrf", "declined", "signature-wrapping"} <= reasons
    assert "the {} was changed after it was signed" in messages
    assert "the person declined to share their data" in messages
    assert len(messages) > 150


def test_every_refusal_reason_has_a_chinese_and_english_explanation() -> None:
    reasons, _ = refusals_in_source()
    signing_reasons = {
        cls.reason for cls in vars(signing.errors).values()
        if isinstance(cls, type) and issubclass(cls, signing.errors.SigningError)
        and isinstance(getattr(cls, "reason", None), str)
    }  # fmt: skip
    missing = sorted((reasons | signing_reasons) - set(refusals.REASONS))
    assert missing == []
    for reason, (zh, en) in refusals.REASONS.items():
        assert CJK.search(zh) and LATIN_WORD.search(en), reason


def test_every_refusal_detail_has_a_chinese_text() -> None:
    _, messages = refusals_in_source()
    english_only = {m for m in messages if not (CJK.search(m) and " / " in m)}
    missing = sorted(english_only - set(refusals.DETAILS))
    assert missing == []
    for english, chinese in refusals.DETAILS.items():
        assert CJK.search(chinese), english
        assert chinese.format(*["x"] * english.count("{}"))  # placeholders line up


# --- the templates and the stylesheet -------------------------------------------------------------

BLOCKS = (
    "title",
    "h1",
    "h2",
    "p",
    "li",
    "th",
    "label",
    "button",
    "option",
    "a",
    "footer",
    "legend",
)
# Paths, file names and URLs are the same in both languages; so are acronyms (SAML, SHA-256).
TECHNICAL = re.compile(r"[!-~]*[/.][!-~]*")
ENGLISH_WORD = re.compile(r"\b[A-Za-z][a-z]{2,}\b")


def template_texts(path: Path) -> Iterator[str]:
    """The text a template writes itself (Jinja removed), per outermost block and attribute."""
    source = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", " ", path.read_text("utf-8"), flags=re.S)
    tree = html.fromstring(source) if "<html" in source else html.fromstring(f"<div>{source}</div>")
    for element in tree.iter(*BLOCKS):
        # A link inside a sentence is read with its sentence.
        if not any(parent.tag in BLOCKS for parent in element.iterancestors()):
            yield " ".join(element.text_content().split())
    for element in tree.iter():
        for attribute in ("alt", "title", "placeholder", "aria-label"):
            if element.get(attribute):
                yield element.get(attribute)


def chinese_first(text: str) -> bool:
    """No English words, or Chinese before the first of them."""
    english = ENGLISH_WORD.search(TECHNICAL.sub(" ", text))
    chinese = CJK.search(TECHNICAL.sub(" ", text))
    return english is None or (chinese is not None and chinese.start() < english.start())


def test_the_template_check_tells_bilingual_from_english_only() -> None:
    assert chinese_first("原因代码 / Reason") and chinese_first("SAML元数据 / SAML metadata")
    assert chinese_first("/saml/metadata") and chinese_first("SHA-256")
    assert not chinese_first("Registry") and not chinese_first("Log in / 登录")


def test_every_template_string_is_chinese_first_with_english() -> None:
    offenders = [
        f"{path.name}: {text[:80]}"
        for path in sorted(TEMPLATES.glob("*.html"))
        for text in template_texts(path)
        if not chinese_first(text)
    ]
    assert offenders == []


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def css_colour(css: str, selector: str, prop: str) -> str:
    rule = re.search(rf"(?m)^{re.escape(selector)}\s*\{{([^}}]*)\}}", css)
    assert rule, selector
    found = re.search(rf"(?:^|;)\s*{prop}\s*:\s*(#[0-9a-fA-F]{{6}})", rule.group(1))
    assert found, f"{selector} {prop}"
    return found.group(1)


def test_the_footer_text_meets_wcag_aa_contrast() -> None:
    assert round(contrast("#8a939d", "#f5f7fa"), 1) == 2.9  # the old footer colour fails
    css = (TEMPLATES.parent / "static" / "node.css").read_text("utf-8")
    background = css_colour(css, "body", "background")
    for selector in ("footer", ".note"):
        assert contrast(css_colour(css, selector, "color"), background) >= 4.5, selector
    assert contrast(css_colour(css, "footer", "color"), "#ffffff") >= 4.5
