"""Deadlines (core/deadlines.py through the `deadlines` job), on SQLite and PostgreSQL: one reminder at
each of OASIS_REMINDER_DAYS before the department's and the panels' deadlines, one overdue notice to the
admins once one passes, however often the job runs, after downtime, and with two runners racing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from core import panels, reviews
from core.db import Sessions, make_engine, make_sessions
from core.rules import Rules
from scheduler.jobs import JobEnv, job_runs, run_job
from tests.clock import Clock
from tests.dbutil import fresh_database, postgres_url_or_skip
from tests.integration import factories as f

RULES = Rules(vote_threshold=1, review_days=14, panel_days=14, reminder_days=(3, 1))
DAY = timedelta(days=1).total_seconds()


async def kinds_to(sessions: Sessions, person: f.Person) -> list[tuple[str, object, object]]:
    rows = [r for r in await f.outbox(sessions) if r.citizen_id == person.id and r.kind.startswith("deadline")]
    return [(r.kind, r.params.get("stage"), r.params.get("days")) for r in rows]


async def test_reminders_and_the_overdue_notice_come_once_each_whatever_the_runs(sessions: Sessions) -> None:
    official = await f.official(sessions, "transport")
    admin = await f.admin(sessions)
    pid = await f.under_review(sessions, await f.citizen(sessions, "author"), review_days=14)
    clock = Clock()
    env = JobEnv(sessions, RULES, clock=clock)
    for _ in range(2):
        assert (await run_job(env, "deadlines")).result == 0  # 14 days left: nothing yet
    clock.advance(11.5 * DAY)  # 2.5 days left: the 3-day reminder
    for _ in range(3):
        await run_job(env, "deadlines")
    assert await kinds_to(sessions, official) == [("deadline_reminder", "review", 3)]
    clock.advance(2 * DAY)  # half a day left
    await run_job(env, "deadlines")
    await run_job(env, "deadlines")
    assert await kinds_to(sessions, official) == [("deadline_reminder", "review", 3),
                                                  ("deadline_reminder", "review", 1)]
    assert await kinds_to(sessions, admin) == []
    clock.advance(1 * DAY)  # past it
    for _ in range(2):
        await run_job(env, "deadlines")
    assert await kinds_to(sessions, admin) == [("deadline_overdue", "review", None)]
    [overdue] = [r for r in await f.outbox(sessions) if r.kind == "deadline_overdue"]
    assert overdue.params["id"] == pid and overdue.params["department_names"]["en"]
    runs = await job_runs(sessions)
    assert runs["deadlines"].runs == 9 and runs["deadlines"].last_status == "ok"


async def test_after_downtime_only_the_most_urgent_reminder_is_sent(sessions: Sessions) -> None:
    official = await f.official(sessions, "transport")
    await f.under_review(sessions, await f.citizen(sessions, "author"), review_days=14)
    clock = Clock()
    clock.advance(13.5 * DAY)  # down since before the 3-day mark: half a day left at start-up
    await run_job(JobEnv(sessions, RULES, clock=clock), "deadlines")
    assert await kinds_to(sessions, official) == [("deadline_reminder", "review", 1)]


async def test_the_panels_deadline_reminds_only_who_has_not_scored(sessions: Sessions) -> None:
    inside = await f.grant(sessions, await f.citizen(sessions, "in"), "panel_internal")
    outside = await f.grant(sessions, await f.citizen(sessions, "out"), "panel_external")
    admin = await f.admin(sessions)
    pid = await f.under_review(sessions, await f.citizen(sessions, "author"))
    official = await f.official(sessions, "transport")
    async with sessions() as s, s.begin():
        await reviews.review(s, official.actor, pid, reviews.Opinion("forward", necessity="Yes."), panel_days=14)
    async with sessions() as s, s.begin():
        await panels.evaluate(s, inside.actor, pid, panels.Scores(4, 4, 4, 4))
    clock = Clock()
    clock.advance(13.5 * DAY)
    await run_job(JobEnv(sessions, RULES, clock=clock), "deadlines")
    assert await kinds_to(sessions, inside) == []
    assert await kinds_to(sessions, outside) == [("deadline_reminder", "panel", 1)]
    clock.advance(1 * DAY)
    await run_job(JobEnv(sessions, RULES, clock=clock), "deadlines")
    assert await kinds_to(sessions, admin) == [("deadline_overdue", "panel", None)]


@pytest.fixture
async def pg_sessions() -> AsyncIterator[Sessions]:
    engine, factory = await fresh_database(postgres_url_or_skip())
    yield factory
    await engine.dispose()


async def test_two_runners_racing_on_postgresql_write_each_notice_once(pg_sessions: Sessions) -> None:
    official = await f.official(pg_sessions, "transport")
    await f.under_review(pg_sessions, await f.citizen(pg_sessions, "author"), review_days=14)
    clock = Clock()
    clock.advance(13.5 * DAY)
    engines = [make_engine(postgres_url_or_skip()) for _ in range(2)]
    try:
        envs = [JobEnv(make_sessions(engine), RULES, clock=clock) for engine in engines]
        outcomes = await asyncio.gather(*(run_job(env, "deadlines") for env in envs * 3))
    finally:
        for engine in engines:
            await engine.dispose()
    assert any(o.ran for o in outcomes)
    assert await kinds_to(pg_sessions, official) == [("deadline_reminder", "review", 1)]
