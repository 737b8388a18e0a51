"""`GET /stats`, `GET /departments` and `GET /api/stats.json` through aiohttp's test client on both databases,
from proposals built through the core's own functions at controlled times: the seed's table with exact
numbers (withdrawn counted, hidden not, the year in the city's time zone), the total, by category and
department, the median days to opinion, overdue now, the SVG charts, escaping, the JSON schema, the cache."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from adapters.web.rendering import PageConfig, PageRenderer
from adapters.web.stats import StatisticsPages
from core import reviews, statistics, tallies
from core.db import Sessions, make_reader, make_sessions
from core.models import Category, Department
from core.proposals import get_proposal, record_transition
from core.rules import Rules
from core.statuses import Status
from tests.integration import factories as f
from tests.integration.web_client import serving

NOW = datetime(2026, 6, 1, 3, 0)  # when "overdue now" is measured
SVG = "{http://www.w3.org/2000/svg}"


class SetClock:
    """The time core's writes stamp (submit, votes, review, transitions): set by hand, so a test builds
    proposals received in past years and opinions a known number of days after review began."""

    def __init__(self) -> None:
        self.at = datetime(2024, 1, 1)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SetClock:
    made = SetClock()
    for module in ("core.proposals", "core.votes", "core.reviews"):
        monkeypatch.setattr(f"{module}.utcnow", made)
    monkeypatch.setattr("core.statistics.utcnow", lambda: NOW)
    return made


def make_pages(sessions: Sessions) -> StatisticsPages:
    renderer = PageRenderer(PageConfig("https://oasis.test", "en", 5, "Asia/Seoul", bot_username=lambda: None))
    return StatisticsPages(sessions, renderer, cache=statistics.StatisticsCache(
        sessions, timezone="Asia/Seoul", seconds=0))  # every read computes: the tests change data between reads


@pytest.fixture
async def client(sessions: Sessions) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(make_pages(sessions)) as test_client:
        yield test_client


async def get_html(client: TestClient[Any, Any], path: str) -> str:
    response = await client.get(path)
    assert response.status == 200 and response.content_type == "text/html"
    return await response.text()


def table(html: str, table_id: str) -> list[list[str]]:
    """The cells' text of a table, row by row (headers included)."""
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert found, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(0), re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows]


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(chunk) for chunk in re.findall(r"<svg\b.*?</svg>", html, re.S)]


async def move(sessions: Sessions, clock: SetClock, pid: int, target: Status, at: datetime, actor: int) -> None:
    clock.at = at
    async with sessions() as s, s.begin():
        await record_transition(s, await get_proposal(s, pid), target, actor_id=actor, reason_text="decided")


async def opinion(sessions: Sessions, clock: SetClock, pid: int, official: f.Person, at: datetime,
                  recommendation: str = "forward") -> None:
    clock.at = at
    async with sessions() as s, s.begin():
        await reviews.review(s, official.actor, pid, reviews.Opinion(
            recommendation, necessity="Needed", explanation="Our opinion.",
            reason_code="budget" if recommendation == "reject" else None))


async def reviewed_from(sessions: Sessions, clock: SetClock, received: datetime, entered: datetime, *,
                        category: str = "transport", review_days: int = 14) -> int:
    """A proposal received at `received` that entered review at `entered`."""
    author = await f.citizen(sessions, "author")
    clock.at = received
    voter = await f.citizen(sessions, "supporter")
    pid = await f.proposal(sessions, author, category=category)
    clock.at = entered
    rules = Rules(vote_threshold=1, review_days=review_days)
    await f.vote(sessions, voter, pid, rules)
    assert await f.start_review(sessions, pid, rules)
    return pid


async def received_at(sessions: Sessions, clock: SetClock, at: datetime, *, category: str = "transport") -> int:
    clock.at = at
    return await f.proposal(sessions, await f.citizen(sessions, "author"), category=category)


async def build_history(sessions: Sessions, clock: SetClock) -> dict[str, int]:
    """Proposals over 2024–2026 (KST); see the expected figures in the tests."""
    admin = await f.admin(sessions)
    transport = await f.official(sessions, "transport")
    environment = await f.official(sessions, "environment")
    ids: dict[str, int] = {}
    # 2024: open, withdrawn, adopted and being implemented (2 days to opinion), rejected by the department
    # (5 days), and one reviewed (4 days) then hidden: neither received nor in the median.
    ids["open"] = await received_at(sessions, clock, datetime(2024, 3, 1))
    ids["withdrawn"] = await received_at(sessions, clock, datetime(2024, 4, 1))
    clock.at = datetime(2024, 4, 2)
    async with sessions() as s, s.begin():
        proposal = await get_proposal(s, ids["withdrawn"])
        await record_transition(s, proposal, Status.WITHDRAWN, actor_id=proposal.author_id)
    ids["implementing"] = await reviewed_from(sessions, clock, datetime(2024, 5, 1), datetime(2024, 5, 10))
    await opinion(sessions, clock, ids["implementing"], transport, datetime(2024, 5, 12))
    await move(sessions, clock, ids["implementing"], Status.ADOPTED, datetime(2024, 6, 1), admin.id)
    await move(sessions, clock, ids["implementing"], Status.IMPLEMENTING, datetime(2024, 7, 1), admin.id)
    ids["rejected"] = await reviewed_from(sessions, clock, datetime(2024, 6, 1), datetime(2024, 6, 2))
    await opinion(sessions, clock, ids["rejected"], transport, datetime(2024, 6, 7), "reject")
    ids["hidden_reviewed"] = await reviewed_from(sessions, clock, datetime(2024, 7, 1), datetime(2024, 7, 1),
                                                 category="environment")
    await opinion(sessions, clock, ids["hidden_reviewed"], environment, datetime(2024, 7, 5))
    await move(sessions, clock, ids["hidden_reviewed"], Status.HIDDEN, datetime(2024, 8, 1), admin.id)
    # 2025: only a hidden proposal, so the year shows nothing received.
    ids["hidden"] = await received_at(sessions, clock, datetime(2025, 2, 1))
    await move(sessions, clock, ids["hidden"], Status.HIDDEN, datetime(2025, 2, 2), admin.id)
    # 2026: received at 01:00 on New Year's Day in Seoul (still 2025 in UTC), adopted and implemented
    # (11 days to opinion); one under review past its deadline; one under review within it.
    ids["implemented"] = await reviewed_from(sessions, clock, datetime(2025, 12, 31, 16), datetime(2026, 1, 2))
    await opinion(sessions, clock, ids["implemented"], transport, datetime(2026, 1, 13))
    await move(sessions, clock, ids["implemented"], Status.ADOPTED, datetime(2026, 2, 1), admin.id)
    await move(sessions, clock, ids["implemented"], Status.IMPLEMENTED, datetime(2026, 4, 1), admin.id)
    ids["overdue"] = await reviewed_from(sessions, clock, datetime(2026, 2, 1), datetime(2026, 2, 1),
                                         category="environment")  # due 2026-02-15
    ids["in_time"] = await reviewed_from(sessions, clock, datetime(2026, 5, 20), datetime(2026, 5, 25),
                                         category="environment")  # due 2026-06-08
    return ids


async def test_the_seeds_table_by_year_from_live_data(
    client: TestClient[Any, Any], sessions: Sessions, clock: SetClock
) -> None:
    await build_history(sessions, clock)
    html = await get_html(client, "/stats")
    assert table(html, "table-by-year") == [
        ["", "Total", "2024", "2025", "2026"],
        ["Received", "7", "4", "0", "3"],
        ["Adopted", "2", "1", "0", "1"],
        ["Adoption rate (%)", "28.57", "25.00", "–", "33.33"],
    ]
    assert '<th scope="col" class="num">2024</th>' in html and '<th scope="row">Received</th>' in html
    assert "<caption>Proposals received and adopted, by year of receipt</caption>" in html
    async with sessions() as s, s.begin():  # folding the counts changes nothing
        await tallies.fold_all(s)
    assert table(await get_html(client, "/stats"), "table-by-year")[1] == ["Received", "7", "4", "0", "3"]


async def test_by_category_and_by_department(
    client: TestClient[Any, Any], sessions: Sessions, clock: SetClock
) -> None:
    await build_history(sessions, clock)
    html = await get_html(client, "/stats")
    categories = {row[0]: row[1:] for row in table(html, "table-by-category")}
    assert categories["Category"] == ["Received", "Adopted", "Adoption rate (%)"]
    assert categories["Transport"] == ["5", "2", "40.00"]
    assert categories["Environment"] == ["2", "0", "0.00"]
    assert categories["Welfare"] == ["0", "0", "–"]
    departments = {row[0]: row[1:] for row in table(html, "table-by-department")}
    assert departments["Transport Policy Division"] == ["5", "2", "40.00"]
    assert departments["Climate and Environment Division"] == ["2", "0", "0.00"]
    korean = {row[0]: row[1:] for row in table(await get_html(client, "/stats?lang=ko"), "table-by-department")}
    assert korean["교통정책과"] == ["5", "2", "40.00"]


async def test_departments_publish_their_response_times(
    client: TestClient[Any, Any], sessions: Sessions, clock: SetClock
) -> None:
    await build_history(sessions, clock)
    html = await get_html(client, "/departments")
    assert "Oasis publishes how long each department takes to answer" in html
    rows = {row[0]: row[1:] for row in table(html, "table-departments")}
    assert rows["Department"] == ["Proposals received", "Median days to opinion", "Opinions", "Overdue now",
                                  "Adoption rate (%)"]
    # Transport: opinions after 2, 5 and 11 days; nothing waiting.
    assert rows["Transport Policy Division"] == ["5", "5.0", "3", "0", "40.00"]
    # Environment: its only opinion was on a proposal hidden since; one under review past its deadline.
    assert rows["Climate and Environment Division"] == ["2", "–", "0", "1", "0.00"]
    assert rows["Welfare Policy Division"] == ["0", "–", "0", "0", "–"]


async def test_the_median_is_of_days_from_review_to_opinion(sessions: Sessions, clock: SetClock) -> None:
    official = await f.official(sessions, "welfare")
    start = datetime(2025, 3, 1)
    for waited in (20.25, 1.5, 10.0, 3.0):  # an even count: the median is the mean of the middle two
        pid = await reviewed_from(sessions, clock, start, start, category="welfare")
        await opinion(sessions, clock, pid, official, start + timedelta(days=waited))
    await reviewed_from(sessions, clock, start, start, category="welfare")  # no opinion yet: left out
    async with sessions() as s:
        records = {r.code: r for r in await statistics.department_records(s, now=NOW)}
    assert records["welfare"].opinions == 4
    assert records["welfare"].median_days_to_opinion == pytest.approx(6.5)
    assert records["welfare"].measure == statistics.Measure(5, 0)
    pid = await reviewed_from(sessions, clock, start, start, category="welfare")  # an odd count: the middle one
    await opinion(sessions, clock, pid, official, start + timedelta(days=9))
    async with sessions() as s:
        assert await statistics.days_to_opinion(s) == {"welfare": (5, pytest.approx(9.0))}


async def test_the_charts_are_well_formed_svg_with_a_text_alternative(
    client: TestClient[Any, Any], sessions: Sessions, clock: SetClock
) -> None:
    await build_history(sessions, clock)
    html = await get_html(client, "/stats")
    charts = svgs(html)
    assert len(charts) == 5  # three by year, one by category, one by department
    for chart in charts:
        assert chart.get("role") == "img"
        title, desc = chart.find(f"{SVG}title"), chart.find(f"{SVG}desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert chart.get("aria-labelledby") == title.get("id")
        assert chart.get("aria-describedby") == desc.get("id")
    received, adopted, rate, categories, departments = charts
    assert received.find(f"{SVG}title").text == "Proposals received per year"  # type: ignore[union-attr]
    assert "2024: 4; 2025: 0; 2026: 3." in (received.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    assert len(received.findall(f"{SVG}rect")) == 2  # an empty year draws no bar
    assert "2024: 1; 2025: 0; 2026: 1." in (adopted.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    assert "2024: 25.00; 2025: –; 2026: 33.33." in (rate.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    heights = [float(r.get("height", "0")) for r in rate.findall(f"{SVG}rect")]
    assert heights[0] < heights[1]  # 25 % drawn lower than 33 %
    assert categories.findtext(f"{SVG}title") == "Proposals received per category"
    assert "Transport: 5; Environment: 2; Welfare: 0;" in (categories.findtext(f"{SVG}desc") or "")
    widths = [float(r.get("width", "0")) for r in categories.findall(f"{SVG}rect")]
    assert len(widths) == 2 and widths[0] == pytest.approx(widths[1] * 5 / 2)
    assert departments.findtext(f"{SVG}title") == "Adoption rate per department (%)"
    assert "Transport Policy Division: 40.00; Climate and Environment Division: 0.00; Welfare Policy Division: –;" \
        in (departments.findtext(f"{SVG}desc") or "")


async def test_an_empty_database(client: TestClient[Any, Any]) -> None:
    html = await get_html(client, "/stats")
    assert table(html, "table-by-year") == [["", "Total"], ["Received", "0"], ["Adopted", "0"],
                                            ["Adoption rate (%)", "–"]]
    assert "No proposals yet." in html and "<svg" not in html
    assert {row[0]: row[1:] for row in table(html, "table-by-category")}["Transport"] == ["0", "0", "–"]
    departments = await get_html(client, "/departments")
    assert {row[0]: row[1:] for row in table(departments, "table-departments")}["Transport Policy Division"] == [
        "0", "–", "0", "0", "–"]
    document = await (await client.get("/api/stats.json")).json()
    assert document["by_year"] == {"years": [], "total": {"received": 0, "adopted": 0, "adoption_rate": None}}
    assert all(d["median_days_to_opinion"] is None and d["overdue"] == 0 for d in document["by_department"])


async def test_names_from_the_directory_come_out_escaped(
    client: TestClient[Any, Any], sessions: Sessions, clock: SetClock
) -> None:
    async with sessions() as s, s.begin():
        await s.execute(update(Department).where(Department.code == "transport").values(
            name_en='<script>alert("d")</script> Buses & Trams'))
        await s.execute(update(Category).where(Category.code == "transport").values(name_en="<b>Transit</b>"))
    await received_at(sessions, clock, datetime(2024, 3, 1))
    for path in ("/stats", "/departments"):
        html = await get_html(client, path)
        assert "<script>alert" not in html and "<b>Transit</b>" not in html, path
        assert "&lt;script&gt;alert(&#34;d&#34;)&lt;/script&gt; Buses &amp; Trams" in html, path
    assert "&lt;b&gt;Transit&lt;/b&gt;" in await get_html(client, "/stats")
    document = await (await client.get("/api/stats.json")).json()
    assert document["by_category"][0]["name_en"] == "<b>Transit</b>"  # JSON carries the data as it is


async def test_the_open_data_document(client: TestClient[Any, Any], sessions: Sessions, clock: SetClock) -> None:
    await build_history(sessions, clock)
    response = await client.get("/api/stats.json")
    assert response.status == 200 and response.content_type == "application/json"
    document = await response.json()
    assert document["schema"] == "oasis.stats/1"
    assert document["timezone"] == "Asia/Seoul" and document["generated_at"] == "2026-06-01T03:00:00Z"
    assert document["by_year"]["years"] == [
        {"year": 2024, "received": 4, "adopted": 1, "adoption_rate": 0.25},
        {"year": 2025, "received": 0, "adopted": 0, "adoption_rate": None},
        {"year": 2026, "received": 3, "adopted": 1, "adoption_rate": pytest.approx(1 / 3, abs=1e-6)},
    ]
    assert document["by_year"]["total"] == {"received": 7, "adopted": 2, "adoption_rate": pytest.approx(2 / 7,
                                                                                                       abs=1e-6)}
    categories = {c["code"]: c for c in document["by_category"]}
    assert categories["transport"] == {"code": "transport", "name_ko": "교통", "name_en": "Transport",
                                       "received": 5, "adopted": 2, "adoption_rate": 0.4}
    departments = {d["code"]: d for d in document["by_department"]}
    assert departments["transport"] == {
        "code": "transport", "name_ko": "교통정책과", "name_en": "Transport Policy Division", "received": 5,
        "adopted": 2, "adoption_rate": 0.4, "opinions": 3, "median_days_to_opinion": 5.0, "overdue": 0}
    assert departments["environment"]["overdue"] == 1
    assert departments["environment"]["median_days_to_opinion"] is None
    assert set(departments) == set(categories)  # every department of the directory, with or without proposals


async def test_the_cache_serves_its_figures_and_refreshes_in_the_background(
    sessions: Sessions, clock: SetClock
) -> None:
    ticks = [0.0]
    now: Callable[[], float] = lambda: ticks[0]  # noqa: E731
    cache = statistics.StatisticsCache(sessions, timezone="Asia/Seoul", seconds=30, clock=now)
    assert (await cache.get()).by_year.total.received == 0
    await received_at(sessions, clock, datetime(2024, 3, 1))
    ticks[0] = 29.0
    assert (await cache.get()).by_year.total.received == 0  # still fresh
    ticks[0] = 31.0
    assert (await cache.get()).by_year.total.received == 0  # aged: the previous figures, at once...
    assert cache._refresh is not None
    await cache._refresh  # ...while one refresh runs
    assert (await cache.get()).by_year.total.received == 1


async def test_the_statistics_read_beside_a_writer(db_url: str, sessions: Sessions, clock: SetClock) -> None:
    """The reader engine computes while a transaction holds the write lock (SQLite's main engine takes it
    at BEGIN), and sees the data as it was before that transaction."""
    await received_at(sessions, clock, datetime(2024, 3, 1))
    reader = make_reader(db_url)
    try:
        async with sessions() as writer, writer.begin():
            await writer.execute(update(Department).where(Department.code == "transport").values(name_en="Renamed"))
            async with make_sessions(reader)() as s:
                figures = await statistics.compute(s, timezone="Asia/Seoul", now=NOW)
        assert figures.by_year.total == statistics.Measure(1, 0)
        assert {g.code: g.name_en for g in figures.by_department}["transport"] == "Transport Policy Division"
    finally:
        await reader.dispose()
