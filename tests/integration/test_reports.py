"""The monthly and annual reports (core/reports.py) on both databases, with the times of every step set by
hand: what was proposed, how it was handled, the trends against the previous period, examples of adopted
proposals; hidden proposals nowhere. Then the pages `/reports`, `/reports/<YYYY-MM>`, `/reports/<YYYY>`
through aiohttp's test client, and the Markdown the CLI writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from adapters.web.reports import KEEP_MAX, Recent, ReportPages
from bots.i18n import Translator
from bots.report_text import markdown
from core import panels, reports, reviews
from core.db import Sessions
from core.models import DepartmentReview, Proposal, StatusEvent
from core.proposals import get_proposal, record_transition
from core.reports import Period
from core.rules import Rules
from core.statuses import Status
from tests.integration import factories as f
from tests.integration.web_client import fetch, renderer, serving

ZONE = "Asia/Seoul"
NOW = datetime(2026, 11, 15, 3, 0)  # naive UTC, as stored: mid-November in Seoul
TITLE = '<script>alert("x")</script> Night buses & more'
ADOPTION = "Funded from the 2027 budget <soon>"


def kst(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment in Seoul, as the database keeps it (naive UTC)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(UTC).replace(tzinfo=None)


async def dated(sessions: Sessions, pid: int, received: datetime, steps: dict[str, datetime] | None = None,
                opinion: datetime | None = None) -> None:
    """Move a proposal's times to the test's calendar: when it was received, when it reached each status,
    when its department's opinion was published."""
    async with sessions() as s, s.begin():
        await s.execute(update(Proposal).where(Proposal.id == pid).values(created_at=received))
        await s.execute(update(StatusEvent).where(StatusEvent.proposal_id == pid, StatusEvent.from_status.is_(None))
                        .values(created_at=received))
        for status, moment in (steps or {}).items():
            await s.execute(update(StatusEvent).where(StatusEvent.proposal_id == pid, StatusEvent.to_status == status)
                            .values(created_at=moment))
        if opinion is not None:
            await s.execute(update(DepartmentReview).where(DepartmentReview.proposal_id == pid)
                            .values(created_at=opinion))


@dataclass
class City:
    adopted: int
    rejected: int
    open_top: int
    hidden: int
    late: int
    november: int
    september: int


async def city(sessions: Sessions) -> City:
    """September: one proposal. October (Seoul time): four received (one at 00:30 on the 1st, one at 23:30 on
    the 31st), two into review, one forwarded and adopted, one rejected for its budget; a fifth hidden.
    November: one received at 00:10 on the 1st."""
    author = await f.citizen(sessions, "author")
    transport, environment = await f.official(sessions, "transport"), await f.official(sessions, "environment")
    admin = await f.admin(sessions)
    voters = [await f.citizen(sessions, f"voter {n}") for n in range(5)]

    september = await f.proposal(sessions, author, title="Older idea")
    await dated(sessions, september, kst(2026, 9, 10))

    adopted = await f.under_review(sessions, author, voters=voters[:2], title=TITLE)
    async with sessions() as s, s.begin():
        await reviews.review(s, transport.actor, adopted, reviews.Opinion("forward", necessity="Many ride at night"))
    async with sessions() as s, s.begin():
        await panels.decide(s, admin.actor, adopted, "adopt", ADOPTION, Rules(panel_quorum=0))
    await dated(sessions, adopted, kst(2026, 10, 1, 0, 30), {
        Status.UNDER_REVIEW.value: kst(2026, 10, 3), Status.PANEL_REVIEW.value: kst(2026, 10, 8),
        Status.ADOPTED.value: kst(2026, 10, 20)}, opinion=kst(2026, 10, 8))

    rejected = await f.under_review(sessions, author, voters=voters[:1], category="environment")
    async with sessions() as s, s.begin():
        await reviews.review(s, environment.actor, rejected, reviews.Opinion(
            "reject", reason_code="budget", explanation="Not this year."))
    await dated(sessions, rejected, kst(2026, 10, 5), {
        Status.UNDER_REVIEW.value: kst(2026, 10, 6), Status.REJECTED.value: kst(2026, 10, 9)},
        opinion=kst(2026, 10, 9))

    open_top = await f.proposal(sessions, author, title="Bike parking")
    for voter in voters[:3]:
        await f.vote(sessions, voter, open_top, Rules(vote_threshold=50))
    await dated(sessions, open_top, kst(2026, 10, 10))

    hidden = await f.proposal(sessions, author, title="Secret <plan>", category="safety")
    for voter in voters:
        await f.vote(sessions, voter, hidden, Rules(vote_threshold=50))
    async with sessions() as s, s.begin():
        await record_transition(s, await get_proposal(s, hidden), Status.HIDDEN, actor_id=admin.id,
                                reason_text="personal data")
    await dated(sessions, hidden, kst(2026, 10, 12), {Status.HIDDEN.value: kst(2026, 10, 13)})

    late = await f.proposal(sessions, author, title="Late night idea", category="welfare")
    await dated(sessions, late, kst(2026, 10, 31, 23, 30))
    november = await f.proposal(sessions, author, title="November idea")
    await dated(sessions, november, kst(2026, 11, 1, 0, 10))
    return City(adopted, rejected, open_top, hidden, late, november, september)


async def build(sessions: Sessions, key: str) -> reports.Report:
    async with sessions() as s:
        return await reports.build(s, Period.parse(key), ZONE, NOW)


def test_periods_parse_and_step_in_the_citys_time_zone() -> None:
    october = Period.parse("2026-10")
    assert october.key == "2026-10" and october.previous() == Period(2026, 9)
    assert Period(2026, 1).previous() == Period(2025, 12) and Period.parse("2026").previous() == Period(2025)
    assert october.bounds(ZONE) == (datetime(2026, 9, 30, 15), datetime(2026, 10, 31, 15))
    for bad in ("2026-13", "2026-1", "26-10", "2026-00", "1999", "abcd", "2026-10-01", ""):
        with pytest.raises(ValueError):
            Period.parse(bad)
    assert reports.last_complete_month(datetime(2026, 11, 30, 16), ZONE) == Period(2026, 11)  # Dec 1st in Seoul
    assert not reports.has_begun(Period(2026, 12), NOW, ZONE) and reports.has_begun(Period(2026, 11), NOW, ZONE)


async def test_a_months_report_counts_what_happened_in_it_and_never_a_hidden_proposal(sessions: Sessions) -> None:
    made = await city(sessions)
    report = await build(sessions, "2026-10")
    assert report.complete
    assert report.counts == reports.Counts(received=4, entered_review=2, opinions=2, forwarded=1, adopted=1,
                                           rejected=1, implemented=0, median_days_to_opinion=4.0)
    assert [(c.category.code, c.received) for c in report.by_category] == [
        ("transport", 2), ("environment", 1), ("welfare", 1)]  # the hidden one (safety) is not there
    assert report.rejected_by_reason == (("budget", 1),)
    assert [(p.id, p.supporters) for p in report.most_supported] == [
        (made.open_top, 3), (made.adopted, 2), (made.rejected, 1)]
    assert [(a.id, a.title, a.department.code, a.reason) for a in report.adopted_examples] == [
        (made.adopted, TITLE, "transport", ADOPTION)]
    assert made.hidden not in {p.id for p in report.most_supported}


async def test_the_trends_compare_with_the_previous_month_and_a_year_with_the_previous_year(
    sessions: Sessions
) -> None:
    await city(sessions)
    october = await build(sessions, "2026-10")
    assert october.before.received == 1 and october.before.opinions == 0  # 30 September 15:30 UTC is October
    trends = {t.name: t for t in october.trends()}
    assert (trends["received"].current, trends["received"].previous, trends["received"].change) == (4, 1, 3)
    assert trends["median_days_to_opinion"].change is None
    november = await build(sessions, "2026-11")
    assert not november.complete and november.counts.received == 1 and november.before.received == 4
    assert {t.name: t.change for t in november.trends()}["received"] == -3
    year = await build(sessions, "2026")
    assert year.counts.received == 6 and year.counts.adopted == 1 and year.before.received == 0
    with pytest.raises(ValueError):
        await build(sessions, "2026-12")  # has not begun at NOW


async def test_the_index_lists_every_month_from_the_first_with_data(sessions: Sessions) -> None:
    async with sessions() as s:
        assert await reports.available(s, ZONE, NOW) == reports.Available((), ())
    await city(sessions)
    async with sessions() as s:
        found = await reports.available(s, ZONE, NOW)
    assert [(m.key, n) for m, n in found.months] == [("2026-11", 1), ("2026-10", 4), ("2026-09", 1)]
    assert [y.key for y in found.years] == ["2026"]


async def test_the_markdown_report_escapes_titles_and_speaks_the_readers_language(sessions: Sessions) -> None:
    made = await city(sessions)
    report = await build(sessions, "2026-10")
    text = markdown(report, Translator("en", timezone=ZONE), "https://oasis.test")
    assert text.startswith("# Citizens' Voice: October 2026\n")
    assert "Proposals received: **4**" in text and "| Transport | 2 |" in text
    assert "| Proposals received | 4 | 1 | +3 |" in text
    assert "&lt;script&gt;alert(\"x\")&lt;/script&gt; Night buses &amp; more" in text and "<script>" not in text
    assert f"](https://oasis.test/p/{made.adopted})" in text and "Funded from the 2027 budget &lt;soon&gt;" in text
    assert "Secret" not in text and "author" not in text
    korean = markdown(report, Translator("ko", timezone=ZONE), "https://oasis.test")
    assert korean.startswith("# 시민의 목소리: 2026년 10월\n") and "접수건수" in korean


# --- the pages ------------------------------------------------------------------------------------------


@pytest.fixture
async def client(sessions: Sessions) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(ReportPages(sessions, renderer(timezone=ZONE))) as test_client:
        yield test_client




async def test_the_pages_on_an_empty_database(client: TestClient[Any, Any]) -> None:
    status, index = await fetch(client, "/reports")
    assert status == 200 and "No reports yet" in index
    status, html = await fetch(client, "/reports/2025-03")
    assert status == 200 and "Citizens&#39; Voice: March 2025" in html and "None in this period." in html
    status, html = await fetch(client, "/reports/2025")
    assert status == 200 and "Year 2025" in html


async def test_a_bad_or_future_period_is_a_clear_404_in_the_readers_language(client: TestClient[Any, Any]) -> None:
    for path in ("/reports/2026-13", "/reports/abc", "/reports/2999-01", "/reports/2999", "/reports/1999",
                 "/reports/%3Cb%3E"):
        status, html = await fetch(client, path)
        assert status == 404 and "There is no report for" in html, path
        assert "<b>" not in html
    status, korean = await fetch(client, "/reports/2999-01?lang=ko")
    assert status == 404 and '<html lang="ko">' in korean and "보고서는 없습니다" in korean


async def test_a_months_page_shows_the_report_escaped(client: TestClient[Any, Any], sessions: Sessions) -> None:
    made = await city(sessions)
    status, html = await fetch(client, "/reports/2026-10")
    assert status == 200 and '<html lang="en">' in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Night buses &amp; more" in html
    assert f'<a href="/p/{made.adopted}">' in html and "Funded from the 2027 budget &lt;soon&gt;" in html
    assert '<strong class="received">4</strong>' in html
    assert "Trends against September 2026" in html and "Secret" not in html and "author" not in html
    assert 'href="/reports/2026-09"' in html and 'href="/reports/2026"' in html
    assert '<a href="/reports" aria-current="page">' in html  # the site's navigation says where one is
    assert '<a href="/" aria-current="page">' not in html
    status, korean = await fetch(client, "/reports/2026-10?lang=ko")
    assert status == 200 and "시민의 목소리: 2026년 10월" in korean and "채택된 제안 사례" in korean
    status, year = await fetch(client, "/reports/2026?lang=en")  # the cookie says ko now
    assert status == 200 and "Annual report" in year and "Trends against Year 2025" in year
    status, index = await fetch(client, "/reports")
    assert status == 200 and 'href="/reports/2026-10"' in index and 'href="/reports/2026"' in index
    assert "proposals received: 4" in index


def test_a_built_report_is_kept_for_a_few_minutes_and_only_the_last_few() -> None:
    now = [0.0]
    recent = Recent(300, clock=lambda: now[0])
    recent.put("2026-10", "october")
    now[0] = 299.0
    assert recent.get("2026-10") == "october"
    now[0] = 300.0
    assert recent.get("2026-10") is None
    for n in range(KEEP_MAX + 1):
        recent.put(str(n), n)
    assert recent.get("0") is None and recent.get(str(KEEP_MAX)) == KEEP_MAX
