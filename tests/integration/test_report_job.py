"""The `reports` job: on the 1st of a month (Seoul time) it publishes last month's report once and tells each
`reports` (or `all`) subscriber once, in their language, with the report's address; in January last year's
report too. Running it again, later, or in two processes at once pushes nothing twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bots.i18n import Translator
from bots.outbox_render import render
from core import subscriptions
from core.db import Sessions, make_engine, make_sessions
from core.models import Citizen, JobRun, OutboxMessage
from core.report_publication import publish_due
from core.rules import Rules
from scheduler.jobs import JOBS, JobEnv, run_job
from tests.dbutil import fresh_database, postgres_url_or_skip
from tests.integration import factories as f
from tests.integration.test_reports import ZONE, dated, kst

RULES = Rules()


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def env(sessions: Sessions, moment: datetime) -> JobEnv:
    return JobEnv(sessions, RULES, clock=at(moment), timezone=ZONE)


async def reader(sessions: Sessions, name: str, language: str, *topics: str) -> f.Person:
    person = await f.citizen(sessions, name)
    async with sessions() as s, s.begin():
        await s.execute(update(Citizen).where(Citizen.id == person.id).values(language=language))
        for topic in topics:
            await subscriptions.subscribe(s, person.actor, topic)
    return person


async def received_in_october(sessions: Sessions, titles: tuple[str, ...] = ("Night buses", "Shade trees")) -> None:
    author = await f.citizen(sessions, "author")
    for day, title in enumerate(titles, start=3):
        await dated(sessions, await f.proposal(sessions, author, title=title), kst(2026, 10, day))


async def notices(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as s:
        return list((await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "report_published")
                                     .order_by(OutboxMessage.event_key, OutboxMessage.citizen_id))).all())


async def published(sessions: Sessions) -> list[str]:
    async with sessions() as s:
        return sorted((await s.scalars(select(JobRun.name).where(JobRun.name.like("reports:%")))).all())


async def test_the_first_of_a_month_publishes_last_months_report_once_to_each_subscriber_in_their_language(
    sessions: Sessions
) -> None:
    assert "reports" in JOBS
    korean = await reader(sessions, "ko reader", "ko", "reports")
    english = await reader(sessions, "en reader", "en", "all")
    both = await reader(sessions, "both", "en", "reports", "all")
    await reader(sessions, "calls only", "en", "calls")
    await received_in_october(sessions)
    first = kst(2026, 11, 1, 0, 5)
    for _ in range(2):  # a second run, like a restart that runs every job again, adds nothing
        outcome = await run_job(env(sessions, first), "reports")
        assert outcome.ran and outcome.error is None
    rows = await notices(sessions)
    assert sorted(r.citizen_id for r in rows) == sorted([korean.id, english.id, both.id])
    assert {r.event_key for r in rows} == {"report:2026-10"}
    assert rows[0].params["received"] == 2 and rows[0].params["path"] == "/reports/2026-10"
    assert await published(sessions) == ["reports:2026-10"]

    late = await reader(sessions, "late", "en", "reports")  # subscribed after it was published
    await run_job(env(sessions, kst(2026, 11, 2)), "reports")
    assert late.id not in {r.citizen_id for r in await notices(sessions)} and len(await notices(sessions)) == 3

    by_person = {r.citizen_id: r for r in rows}
    ko = "".join(s.text for s in render("report_published", by_person[korean.id].params,
                                        Translator("ko", timezone=ZONE), "https://oasis.test"))
    en = "".join(s.text for s in render("report_published", by_person[english.id].params,
                                        Translator("en", timezone=ZONE), "https://oasis.test"))
    assert "2026년 10월 월간보고" in ko and "접수 2건" in ko
    assert "The monthly report for October 2026 is out." in en and "Proposals received: 2" in en
    assert ko.endswith("https://oasis.test/reports/2026-10") and en.endswith("https://oasis.test/reports/2026-10")


async def test_mid_month_nothing_is_due_and_an_empty_month_is_published_untold(sessions: Sessions) -> None:
    await reader(sessions, "reader", "en", "reports")
    await received_in_october(sessions)
    assert (await run_job(env(sessions, kst(2026, 11, 15)), "reports")).result == 0
    assert await published(sessions) == [] and await notices(sessions) == []
    await run_job(env(sessions, kst(2026, 12, 1, 9)), "reports")  # November: nothing happened
    assert await published(sessions) == ["reports:2026-11"] and await notices(sessions) == []


async def test_january_first_publishes_december_and_the_year(sessions: Sessions) -> None:
    subscriber = await reader(sessions, "reader", "ko", "reports")
    await received_in_october(sessions)
    author = await f.citizen(sessions, "december author")
    await dated(sessions, await f.proposal(sessions, author, title="Snow"), kst(2026, 12, 24))
    await run_job(env(sessions, kst(2027, 1, 1, 7)), "reports")
    assert await published(sessions) == ["reports:2026", "reports:2026-12"]
    rows = await notices(sessions)
    assert [(r.event_key, r.citizen_id, r.params["received"]) for r in rows] == [
        ("report:2026", subscriber.id, 3), ("report:2026-12", subscriber.id, 1)]
    year = "".join(s.text for s in render("report_published", rows[0].params, Translator("ko", timezone=ZONE),
                                          "https://oasis.test"))
    assert "2026년 연보가 나왔어요." in year and year.endswith("https://oasis.test/reports/2026")


@pytest.fixture
async def pg_sessions() -> AsyncIterator[Sessions]:
    engine, factory = await fresh_database(postgres_url_or_skip())
    yield factory
    await engine.dispose()


async def test_two_processes_racing_on_postgresql_push_each_report_once(pg_sessions: Sessions) -> None:
    subscriber = await reader(pg_sessions, "reader", "en", "reports")
    await received_in_october(pg_sessions)
    engines = [make_engine(postgres_url_or_skip()) for _ in range(2)]
    try:
        envs = [env(make_sessions(engine), kst(2026, 11, 1, 1)) for engine in engines]
        outcomes = await asyncio.gather(*(run_job(e, "reports") for e in envs * 3))
    finally:
        for engine in engines:
            await engine.dispose()
    assert any(o.ran for o in outcomes) and all(o.error is None for o in outcomes)
    assert [(r.citizen_id, r.event_key) for r in await notices(pg_sessions)] == [(subscriber.id, "report:2026-10")]
    assert await published(pg_sessions) == ["reports:2026-10"]


async def test_without_the_jobs_lock_the_marker_still_lets_one_transaction_publish(pg_sessions: Sessions) -> None:
    """`oasis jobs run reports` takes the job's advisory lock; should anything publish without it, the marker
    row's primary key still admits one transaction."""
    subscriber = await reader(pg_sessions, "reader", "en", "reports")
    await received_in_october(pg_sessions)
    engines = [make_engine(postgres_url_or_skip()) for _ in range(2)]

    async def publish(engine: Any) -> int:
        async with make_sessions(engine)() as s, s.begin():
            return await publish_due(s, ZONE, kst(2026, 11, 1, 1))

    try:
        results = await asyncio.gather(*(publish(engine) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(results) == [0, 2]  # one report published, one notice; the other did nothing
    assert [r.citizen_id for r in await notices(pg_sessions)] == [subscriber.id]
