"""The public pages in Japanese and Chinese (`?lang=ja`, a browser's Accept-Language): every interface string
the English page shows is translated, and department, category and status names follow the reader."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from babel.messages.pofile import read_po

from adapters.web.pages import PublicPages
from adapters.web.rendering import LANGUAGE_TAGS
from core import calls, proposals
from core.clock import utcnow
from core.db import Sessions
from tests.integration import factories as f
from tests.integration.web_client import renderer, serving

TEMPLATE = Path(__file__).resolve().parents[2] / "bots/locales/messages.pot"


@pytest.fixture
async def client(sessions: Sessions) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(PublicPages(sessions, renderer(bot_username=lambda: "OasisCityBot"))) as test_client:
        yield test_client


class _Words(HTMLParser):
    """What a reader sees of a page: its text, and the attributes a browser shows or reads aloud."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.in_code = False

    def handle_data(self, data: str) -> None:
        if not self.in_code:
            self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_code = tag in ("script", "style")
        self.parts.extend(value for name, value in attrs if name in ("title", "aria-label", "alt") and value)

    def handle_endtag(self, tag: str) -> None:
        self.in_code = False


def visible(html: str) -> str:
    parser = _Words()
    parser.feed(html)
    return "\n".join(parser.parts)


def interface_strings() -> list[str]:
    """The message ids without placeholders: the ones a page can show word for word."""
    with TEMPLATE.open("rb") as handle:
        template = read_po(handle)
    return [m.id for m in template if isinstance(m.id, str) and m.id and "{" not in m.id]


async def text_of(client: TestClient[Any, Any], path: str, **headers: str) -> tuple[str, str]:
    response = await client.get(path, headers=headers)
    assert response.status == 200
    html = await response.text()
    return html, visible(html)


def shows(text: str, message: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(message)}(?!\w)", text) is not None


def untranslated(english: str, other: str) -> list[str]:
    shown = [s for s in interface_strings() if shows(english, s) and any(c.isalpha() for c in s)]
    assert len(shown) >= 5, shown  # the English page really shows interface strings
    return [s for s in shown if shows(other, s)]


@pytest.mark.parametrize(("lang", "open_status", "department", "category"), [
    ("ja", "賛同募集中", "交通政策課", "分野"),
    ("zh", "征集支持中", "交通政策处", "领域"),
])
async def test_a_proposal_page_in_japanese_and_chinese(
    client: TestClient[Any, Any], sessions: Sessions, lang: str, open_status: str, department: str,
    category: str
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"), category="transport")
    _, english = await text_of(client, f"/p/{pid}?lang=en")
    html, other = await text_of(client, f"/p/{pid}?lang={lang}")
    assert f'<html lang="{LANGUAGE_TAGS[lang]}">' in html
    assert open_status in other and department in other and category in other
    assert untranslated(english, other) == []
    assert "Transport Policy Division" not in other


@pytest.mark.parametrize(("accept", "lang"), [
    ("ja-JP,ja;q=0.9,en;q=0.5", "ja"), ("zh-CN,zh;q=0.9", "zh"), ("zh-Hans", "zh"), ("zh-TW,zh;q=0.8", "zh"),
])
async def test_the_browsers_language_picks_japanese_or_chinese(
    client: TestClient[Any, Any], sessions: Sessions, accept: str, lang: str
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    html, _ = await text_of(client, f"/p/{pid}", **{"Accept-Language": accept})
    assert f'<html lang="{LANGUAGE_TAGS[lang]}">' in html


@pytest.mark.parametrize(("lang", "open_now", "made"), [
    ("ja", "受付中", "寄せられた提案：1件"), ("zh", "征集中", "已收到的提案：1 件"),
])
async def test_the_calls_page_in_japanese_and_chinese(
    client: TestClient[Any, Any], sessions: Sessions, lang: str, open_now: str, made: str
) -> None:
    now = utcnow()
    author = await f.citizen(sessions, "author")
    async with sessions() as s, s.begin():
        call = await calls.create(s, None, department="environment", title="Shade at stops", description="",
                                  opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9))
        await proposals.submit(s, author.actor, title="Trees at stops", description="Shade for all.",
                               category="environment", call_id=call.id)
    _, english = await text_of(client, "/calls?lang=en")
    _, other = await text_of(client, f"/calls?lang={lang}")
    assert open_now in other and made in other
    assert ("気候環境政策課" if lang == "ja" else "气候环境政策处") in other
    assert untranslated(english, other) == []
