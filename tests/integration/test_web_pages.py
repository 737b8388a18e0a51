"""`GET /p/<id>`, the page every share link opens, through aiohttp's test client on both databases: the
detail `/show` gives, escaped; link previews; sharing; the reader's language; a hidden proposal that shows
none of its content; a missing one; no personal data."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapters.web.pages import PublicPages
from core import calls, moderation, proposals, reviews, room
from core.clock import utcnow
from core.db import Sessions
from core.proposals import get_proposal, record_transition
from core.rules import Rules
from core.statuses import Status
from tests.integration import factories as f
from tests.integration.web_client import renderer, serving

TITLE = '<script>alert("x")</script> Night buses & more'
DESCRIPTION = "Buses every 20 minutes after midnight <b>on the main lines</b>."


@pytest.fixture
async def client(sessions: Sessions) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(PublicPages(sessions, renderer(bot_username=lambda: "OasisCityBot"))) as test_client:
        yield test_client


async def page(client: TestClient[Any, Any], path: str, **headers: str) -> tuple[int, str, Any]:
    response = await client.get(path, headers=headers)
    return response.status, await response.text(), response


async def test_a_proposal_page_shows_the_detail_escaped_with_previews_and_sharing(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:
    author = await f.citizen(sessions, "Min-ji <i>Kim</i>")
    pid = await f.proposal(sessions, author, title=TITLE, description=DESCRIPTION)
    status, html, response = await page(client, f"/p/{pid}")
    assert status == 200 and response.content_type == "text/html"
    assert "<script>alert" not in html and "<b>on the main lines</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Night buses &amp; more" in html
    assert "&lt;b&gt;on the main lines&lt;/b&gt;" in html
    assert '<html lang="en">' in html
    assert re.search(rf'<meta property="og:title" content="#{pid} &lt;script&gt;[^"]*\(open\)">', html)
    assert '<meta property="og:description" content="Buses every 20 minutes' in html
    assert f'<meta property="og:url" content="https://oasis.test/p/{pid}">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert f"https://t.me/share/url?url=https%3A%2F%2Foasis.test%2Fp%2F{pid}" in html
    assert f'href="https://t.me/OasisCityBot?start=p{pid}"' in html
    assert f'value="https://oasis.test/p/{pid}"' in html  # the link to copy, without JavaScript too
    assert "display name" in html  # the page says what is published
    assert author.user_id not in html  # no platform id, only the display name where one is shown


async def test_the_page_speaks_the_readers_language_and_remembers_a_choice(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    status, html, response = await page(client, f"/p/{pid}?lang=ko")
    assert status == 200 and '<html lang="ko">' in html and "공감" in html
    assert response.cookies["oasis_lang"].value == "ko"
    _, again, _ = await page(client, f"/p/{pid}")  # the test client keeps the cookie
    assert '<html lang="ko">' in again
    client.session.cookie_jar.clear()
    _, browser, _ = await page(client, f"/p/{pid}", **{"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"})
    assert '<html lang="ko">' in browser
    _, english, _ = await page(client, f"/p/{pid}", **{"Accept-Language": "fr-FR, en;q=0.8"})
    assert '<html lang="en">' in english


async def test_a_decided_proposal_shows_the_opinion_and_its_dated_history(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:
    author = await f.citizen(sessions, "author")
    official = await f.official(sessions, "transport")
    pid = await f.under_review(sessions, author)
    async with sessions() as s, s.begin():
        await reviews.review(s, official.actor, pid, reviews.Opinion(
            "reject", necessity="Night travel is <rare>", reason_code="budget",
            explanation="The city cannot fund it this year."))
    _, html, _ = await page(client, f"/p/{pid}")
    assert "Necessity: Night travel is &lt;rare&gt;" in html
    assert "The city cannot fund it this year." in html
    assert "History" in html and "under review → rejected" in html and "Not adopted: budget" in html


async def test_a_hidden_proposal_says_when_and_why_and_shows_nothing_of_it(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"), title="Secret <plan>",
                           description="Nobody should read this.")
    moderator = await f.admin(sessions)
    async with sessions() as s, s.begin():
        proposal = await get_proposal(s, pid)
        await record_transition(s, proposal, Status.HIDDEN, actor_id=moderator.id,
                                reason_text="Personal data of a <neighbour>")
    status, html, _ = await page(client, f"/p/{pid}")
    assert status == 200
    assert "hidden by a moderator" in html and "Personal data of a &lt;neighbour&gt;" in html
    assert "Secret" not in html and "Nobody should read this" not in html and "og:title" not in html


async def test_a_missing_proposal_is_a_404_page(client: TestClient[Any, Any]) -> None:
    for path in ("/p/999", "/p/abc", "/p/99999999999999999999"):
        status, html, _ = await page(client, path)
        assert status == 404 and "Not found" in html, path
    _, korean, _ = await page(client, "/p/999?lang=ko")
    assert "제안 #999" in korean or "#999" in korean


async def test_the_threshold_shown_is_the_configured_one(client: TestClient[Any, Any], sessions: Sessions) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    await f.vote(sessions, await f.citizen(sessions, "v"), pid, Rules(vote_threshold=5))
    _, html, _ = await page(client, f"/p/{pid}")
    assert "4 more" in html or "of 5" in html


async def test_the_discussion_shows_in_order_with_a_hidden_message_as_a_placeholder(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    _, empty, _ = await page(client, f"/p/{pid}")
    assert "No one has written about this proposal yet." in empty
    ari, bora = await f.citizen(sessions, "Ari <b>"), await f.citizen(sessions, "Bora")
    moderator = await f.grant(sessions, await f.citizen(sessions, "mod"), "moderator")
    async with sessions() as s, s.begin():
        await room.comment(s, ari.actor, pid, "First <script>x</script>\nsecond line", platform="telegram")
        rude = await room.comment(s, bora.actor, pid, "Something rude", platform="slack")
        gone = await room.comment(s, bora.actor, pid, "Never mind", platform="slack")
        await room.comment(s, ari.actor, pid, "Last word", platform="telegram")
    async with sessions() as s, s.begin():
        await moderation.hide(s, moderator.actor, rude.id, "insult")
        await room.delete(s, bora.actor, gone.id)
    _, html, _ = await page(client, f"/p/{pid}")
    said = html[html.index('id="discussion"'):html.index('class="share"')]
    assert said.index("First &lt;script&gt;x&lt;/script&gt;\nsecond line") < said.index("[hidden by a moderator]") \
        < said.index("Last word")
    assert "Something rude" not in html and "insult" not in said and "Never mind" not in html
    assert "<strong>Ari &lt;b&gt;</strong>" in said and "<strong>Bora</strong>" in said
    _, korean, _ = await page(client, f"/p/{pid}?lang=ko")
    assert "[관리자가 숨김]" in korean


async def test_calls_lists_open_coming_and_closed_calls_with_their_public_proposals(
    client: TestClient[Any, Any], sessions: Sessions
) -> None:
    status, empty, _ = await page(client, "/calls")
    assert status == 200 and empty.count("None.") == 3  # an empty database: three empty sections
    author = await f.citizen(sessions, "author")
    now = utcnow()
    async with sessions() as s, s.begin():
        shade = await calls.create(s, None, department="transport", title="Cooler <bus> stops",
                                   description="Shade & water.", opens_at=now - timedelta(days=1),
                                   closes_at=now + timedelta(days=9))
        await calls.create(s, None, department="transport", title="Winter roads", description="",
                           opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=30))
        past = await calls.create(s, None, department="transport", title="Spring parks", description="",
                                  opens_at=now - timedelta(days=20), closes_at=now + timedelta(days=1))
        past.closes_at, past.closed_at = now - timedelta(days=2), now - timedelta(days=2)
        trees = await proposals.submit(s, author.actor, title="Trees at <stops>", description="Shade for all.",
                                       category="transport", call_id=shade.id)
        hidden = await proposals.submit(s, author.actor, title="Hidden one", description="Not for the board.",
                                        category="transport", call_id=shade.id)
        await record_transition(s, hidden, Status.HIDDEN, actor_id=None, reason_text="spam")
    _, html, _ = await page(client, "/calls")
    open_now, coming, closed = (html[html.index(f'id="calls-{k}"'):] for k in ("open", "coming", "closed"))
    assert open_now.index("Cooler &lt;bus&gt; stops") < open_now.index('id="calls-coming"')
    assert coming.index("Winter roads") < coming.index('id="calls-closed"') and "Spring parks" in closed
    assert f'<a href="/p/{trees.id}">#{trees.id} Trees at &lt;stops&gt;</a> · open' in html
    assert "Proposals made to it: 1" in html and "Hidden one" not in html
    _, korean, _ = await page(client, "/calls?lang=ko")
    assert "접수 중" in korean and "접수된 제안: 1건" in korean
