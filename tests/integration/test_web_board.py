"""The board `GET /` and the open data `GET /api/proposals.json|.csv` through aiohttp's test client on both
databases: the empty database, filters, search, sorts and pages, escaping, a hidden proposal that appears
nowhere, a CSV that parses back (commas, quotes, newlines, formulas, the BOM), and no personal data."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapters.web.board import BoardPages
from adapters.web.open_data import SCHEMA, OpenData
from adapters.web.pages import PublicPages
from core import calls, proposals, reviews
from core.clock import utcnow
from core.db import Sessions
from core.proposals import get_proposal, record_transition
from core.rules import Rules
from core.statuses import Status
from tests.integration import factories as f
from tests.integration.web_client import fetch, renderer, serving

RULES = Rules(vote_threshold=5)


@pytest.fixture
async def client(sessions: Sessions) -> AsyncIterator[TestClient[Any, Any]]:
    pages = renderer()
    async with serving(PublicPages(sessions, pages), BoardPages(sessions, pages),
                       OpenData(sessions, pages.config)) as test_client:
        yield test_client




def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<h2><a href="/p/(\d+)">', html)]


async def hide(sessions: Sessions, pid: int) -> None:
    moderator = await f.admin(sessions, "moderator")
    async with sessions() as s, s.begin():
        await record_transition(s, await get_proposal(s, pid), Status.HIDDEN, actor_id=moderator.id,
                                reason_text="advertising")


async def test_the_empty_database(client: TestClient[Any, Any]) -> None:
    status, html = await fetch(client, "/")
    assert status == 200 and "No proposals yet" in html and "display name" in html
    assert '<label for="q">' in html and '<label for="status">' in html and '<label for="category">' in html
    _, filtered = await fetch(client, "/?q=%EB%B2%84%EC%8A%A4&status=open")
    assert "No proposals match these filters." in filtered
    status, body = await fetch(client, "/api/proposals.json")
    document = json.loads(body)
    assert status == 200 and document["schema"] == SCHEMA and document["proposals"] == []
    assert document["total"] == 0 and document["next"] is None
    response = await client.get("/api/proposals.csv")
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8-sig").startswith("id,url,title,")
    assert len(list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))) == 1


async def test_the_board_lists_escaped_titles_with_names_and_counts_and_never_a_hidden_one(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:
    author = await f.citizen(sessions, "Ji-woo <b>Park</b>")
    shown = await f.proposal(sessions, author, title='<script>alert("x")</script> 심야버스 & more')
    secret = await f.proposal(sessions, author, title="Secret 버스 plan", description="Nobody reads this.")
    await f.vote(sessions, await f.citizen(sessions, "v"), shown, RULES)
    await hide(sessions, secret)
    for path in ("/", "/?q=버스", "/?sort=supported", "/?status=open", "/?sort=decided&status=hidden"):
        status, html = await fetch(client, path)
        assert status == 200, path
        assert "Secret" not in html and f"/p/{secret}" not in html, path
        assert "<script>alert" not in html and author.user_id not in html, path
    _, html = await fetch(client, "/")
    assert listed(html) == [shown]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; 심야버스 &amp; more" in html
    assert "Supporters: 1" in html and "Transport" in html and "open" in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\d">received \d{4}-\d\d-\d\d</time>', html)
    _, body = await fetch(client, "/api/proposals.json?q=버스")
    assert [p["id"] for p in json.loads(body)["proposals"]] == [shown]
    response = await client.get("/api/proposals.csv")
    text = (await response.read()).decode("utf-8-sig")
    assert "Secret" not in text and "Nobody" not in text
    assert [row["id"] for row in csv.DictReader(io.StringIO(text))] == [str(shown)]
    _, korean = await fetch(client, "/?lang=ko")
    assert '<html lang="ko">' in korean and "교통" in korean and "Secret" not in korean


async def test_filters_sorts_and_pages_keep_each_other(client: TestClient[Any, Any], sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    made = [await f.proposal(sessions, author, title=f"Bus stop {n}", description="A shelter.")
            for n in range(23)]
    park = await f.proposal(sessions, author, title="공원 산책로", description="Benches.", category="environment")
    for n in range(3):
        await f.vote(sessions, await f.citizen(sessions, f"v{n}"), made[5], RULES)
    await f.vote(sessions, await f.citizen(sessions, "w"), made[7], RULES)
    _, first = await fetch(client, "/?q=bus")
    assert listed(first) == list(reversed(made))[:20]
    assert "Proposals 1–20 of 23" in first
    nxt = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert nxt is not None and "q=bus" in nxt.group(1) and "page=2" in nxt.group(1)
    _, second = await fetch(client, nxt.group(1).replace("&amp;", "&"))
    assert listed(second) == list(reversed(made))[20:] and 'rel="prev"' in second and 'rel="next"' not in second
    prev = re.search(r'<a href="([^"]+)" rel="prev">', second)
    assert prev is not None and "page" not in prev.group(1) and "q=bus" in prev.group(1)
    _, by_category = await fetch(client, "/?category=environment")
    assert listed(by_category) == [park] and 'value="environment" selected' in by_category
    _, by_department = await fetch(client, f"/?department={(await f.get(sessions, park)).department_code}")
    assert park in listed(by_department)
    _, supported = await fetch(client, "/?sort=supported")
    assert listed(supported)[:2] == [made[5], made[7]]
    _, searched_supported = await fetch(client, "/?sort=supported&q=bus")
    assert listed(searched_supported)[:2] == [made[5], made[7]]
    _, none = await fetch(client, "/?status=adopted")
    assert listed(none) == [] and "No proposals match" in none
    # Decided: the latest decision first.
    official = await f.official(sessions, "transport")
    async with sessions() as s, s.begin():
        for pid in (made[1], made[2]):
            p = await get_proposal(s, pid)
            await record_transition(s, p, Status.UNDER_REVIEW, actor_id=None)
            await record_transition(s, p, Status.REJECTED, actor_id=official.id, reason_code="budget")
    _, decided = await fetch(client, "/?sort=decided")
    assert listed(decided) == [made[2], made[1]]
    _, json_page = await fetch(client, "/api/proposals.json?q=bus&per_page=10&page=2&sort=newest")
    document = json.loads(json_page)
    assert [p["id"] for p in document["proposals"]] == list(reversed(made))[10:20]
    assert document["total"] == 23 and document["total_exact"] is True and document["per_page"] == 10
    assert document["next"].startswith("https://oasis.test/api/proposals.json?") and "page=3" in document["next"]
    _, capped = await fetch(client, "/api/proposals.json?per_page=1000")
    assert json.loads(capped)["per_page"] == 100


async def test_the_json_carries_history_and_opinion_and_no_personal_data(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:
    author = await f.citizen(sessions, "Author Name")
    official = await f.official(sessions, "transport", "Official Name")
    pid = await f.under_review(sessions, author)
    async with sessions() as s, s.begin():
        await reviews.review(s, official.actor, pid, reviews.Opinion(
            "reject", necessity="Rare", reason_code="budget", explanation="No money."))
    now = utcnow()
    async with sessions() as s, s.begin():
        call = await calls.create(s, None, department="transport", title="Cooler stops", description="",
                                  opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9))
        in_call = (await proposals.submit(s, author.actor, title="Shade", description="Trees.",
                                          category="transport", call_id=call.id)).id
    _, body = await fetch(client, "/api/proposals.json")
    document = json.loads(body)
    entry = next(p for p in document["proposals"] if p["id"] == pid)
    assert entry["status"] == "rejected" and entry["category"]["name_ko"] == "교통"
    assert [(h["from"], h["to"]) for h in entry["history"]][-1] == ("under_review", "rejected")
    assert entry["history"][-1]["reason_code"] == "budget" and entry["history"][-1]["at"].endswith("Z")
    assert entry["opinion"]["necessity"] == "Rare" and entry["opinion"]["explanation"] == "No money."
    assert "Author Name" not in body and "Official Name" not in body
    for person in (author, official):
        assert person.user_id not in body and '"citizen_id"' not in body
    _, by_call = await fetch(client, f"/api/proposals.json?call={call.id}")
    assert [p["id"] for p in json.loads(by_call)["proposals"]] == [in_call]
    assert json.loads(by_call)["proposals"][0]["call"] == {"id": call.id, "title": "Cooler stops"}
    _, board = await fetch(client, f"/?call={call.id}")
    assert listed(board) == [in_call]


async def test_the_csv_parses_back_with_commas_quotes_newlines_and_neutral_formulas(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:
    author = await f.citizen(sessions, "author")
    tricky = await f.proposal(sessions, author, title='Buses, "night" ones', description="Line one\nLine, two")
    formula = await f.proposal(sessions, author, title="=HYPERLINK(\"http://x\")", description="@SUM(A1)")
    minus = await f.proposal(sessions, author, title="-1 lanes", description="+ more")
    response = await client.get("/api/proposals.csv")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="oasis-proposals.csv"' in response.headers["Content-Disposition"]
    raw = await response.read()
    assert raw[:3] == b"\xef\xbb\xbf"
    rows = {int(row["id"]): row for row in csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline=""))}
    assert set(rows) == {tricky, formula, minus}
    assert rows[tricky]["title"] == 'Buses, "night" ones' and rows[tricky]["description"] == "Line one\nLine, two"
    assert rows[formula]["title"] == "'=HYPERLINK(\"http://x\")" and rows[formula]["description"] == "'@SUM(A1)"
    assert rows[minus]["title"] == "'-1 lanes" and rows[minus]["description"] == "'+ more"
    assert rows[tricky]["category_name_ko"] == "교통" and rows[tricky]["supporters"] == "0"
    assert rows[tricky]["url"] == f"https://oasis.test/p/{tricky}" and author.user_id not in raw.decode("utf-8")


async def test_the_csv_streams_every_public_row_in_chunks(
    client: TestClient[Any, Any], sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.web import open_data

    monkeypatch.setattr(open_data, "CSV_CHUNK", 2)
    author = await f.citizen(sessions, "author")
    made = [await f.proposal(sessions, author, title=f"Idea {n}") for n in range(5)]
    await hide(sessions, made[2])
    text = (await (await client.get("/api/proposals.csv")).read()).decode("utf-8-sig")
    assert [int(row["id"]) for row in csv.DictReader(io.StringIO(text))] == [made[0], made[1], made[3], made[4]]
