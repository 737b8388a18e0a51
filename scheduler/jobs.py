"""Timed jobs (APScheduler 3, in-memory job store: never shared between processes), each one named.

Every job is idempotent and looks at the database's state rather than at what it did before, so it catches
up after downtime (each runs at start-up too) and may run in several processes: on PostgreSQL a run takes
`pg_try_advisory_xact_lock` for its job and skips if another process holds it. Each run is recorded in
`job_runs`, so `oasis jobs list` (another process) shows each job's last and next run, and `oasis jobs run
NAME` runs one now.

- `review_sweep`: moves proposals whose votes reached the threshold but were not moved at vote time (a
  crash between commit and settle); `start_review_if_due` locks and re-checks, so only one moves it.
- `deadlines`: reminders before the department's and the panels' deadlines, admins told when one passes
  (core/deadlines.py).
- `calls`: themed calls opened, closing soon and closed are announced to subscribers; a closed call's
  proposals go to review together (core/calls.py).
- `reports`: in the first days of a month (OASIS_TIMEZONE), publishes the previous month's report once, and in
  January the previous year's too, and announces each to `reports` subscribers (core/report_publication.py).
- `inbox_pruning`: forgets platform event ids, and web chat messages, older than OASIS_INBOX_DAYS.
- `tallies`: folds the supporter, follower and proposal count changes the database triggers appended into
  the tallies (core/tallies.py), so reads stay a lookup plus a few changes however many votes there are.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select, text

from core import web_messages
from core.calls import run_calls
from core.clock import utcnow
from core.db import Sessions
from core.deadlines import check_deadlines
from core.inbox import prune
from core.models import JobRun
from core.report_publication import publish_due
from core.rules import Rules
from core.tallies import FOLD_BATCH, fold
from core.votes import due_for_review, start_review_if_due

log = logging.getLogger(__name__)


class Wakeable(Protocol):
    """What a job needs from the outbox dispatcher: a nudge that new rows are committed."""

    def wake(self) -> None: ...


@dataclass
class JobEnv:
    """What the jobs work with; the clock is injected so tests move time instead of waiting for it."""

    sessions: Sessions
    rules: Rules
    inbox_days: int = 30
    clock: Callable[[], datetime] = utcnow
    timezone: str = "Asia/Seoul"
    """The city's time zone (OASIS_TIMEZONE): where a month begins, for the `reports` job."""


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    work: Callable[[JobEnv], Awaitable[int]]
    """Does the job once; returns how much it did (moved, notices written, forgotten)."""
    wakes_outbox: bool = False
    first_delay: timedelta = field(default=timedelta(0))


async def sweep_reviews(sessions: Sessions, rules: Rules) -> int:
    """Move every open proposal that has enough votes to review; returns how many moved.

    Each proposal gets its own transaction, so one bad row cannot stop the others.
    """
    async with sessions() as session:
        due = await due_for_review(session, rules)
    moved = 0
    for proposal_id in due:
        try:
            async with sessions() as session, session.begin():
                moved += await start_review_if_due(session, proposal_id, rules)
        except Exception:
            log.exception("review sweep: proposal %s could not be moved", proposal_id)
    return moved


async def prune_inbox(sessions: Sessions, keep_days: int, now: datetime | None = None) -> int:
    """Forget platform events and web chat messages older than `keep_days` (OASIS_INBOX_DAYS); returns how
    many rows went."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    async with sessions() as session, session.begin():
        pruned = await prune(session, cutoff)
        messages = await web_messages.prune(session, cutoff)
    if pruned or messages:
        log.info("inbox: forgot %d events and %d web chat messages from before %s", pruned, messages,
                 cutoff.date())
    return pruned + messages


async def _review_sweep(env: JobEnv) -> int:
    return await sweep_reviews(env.sessions, env.rules)


async def _deadlines(env: JobEnv) -> int:
    async with env.sessions() as session, session.begin():
        return await check_deadlines(session, env.rules, env.clock())


async def _calls(env: JobEnv) -> int:
    async with env.sessions() as session, session.begin():
        return await run_calls(session, env.rules, env.clock())


async def _reports(env: JobEnv) -> int:
    async with env.sessions() as session, session.begin():
        return await publish_due(session, env.timezone, env.clock())


FOLD_ROUNDS = 20


async def fold_tallies(sessions: Sessions) -> int:
    """Fold every pending tally change, a bounded batch per transaction (SQLite has one writer: a storm's
    votes wait for no more than one batch); returns how many changes were folded."""
    folded = 0
    for _ in range(FOLD_ROUNDS):  # a storm cannot keep one run going: the next run takes the rest
        async with sessions() as session, session.begin():
            done = await fold(session)
        folded += done
        if done < FOLD_BATCH:
            break
    return folded


async def _tallies(env: JobEnv) -> int:
    return await fold_tallies(env.sessions)


async def _inbox_pruning(env: JobEnv) -> int:
    return await prune_inbox(env.sessions, env.inbox_days, env.clock())


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("review_sweep", timedelta(seconds=30), _review_sweep, wakes_outbox=True),
    Job("deadlines", timedelta(minutes=10), _deadlines, wakes_outbox=True),
    Job("calls", timedelta(minutes=1), _calls, wakes_outbox=True),
    Job("reports", timedelta(hours=1), _reports, wakes_outbox=True),
    Job("inbox_pruning", timedelta(hours=6), _inbox_pruning, first_delay=timedelta(minutes=1)),
    Job("tallies", timedelta(seconds=2), _tallies),
)}


@dataclass(frozen=True)
class Outcome:
    ran: bool
    """False when another process was running the same job (PostgreSQL)."""
    result: int | None = None
    error: str | None = None


def lock_key(name: str) -> int:
    """A stable advisory lock key per job name (the same in every process)."""
    return 0x6F61_0000_0000 + zlib.crc32(name.encode())


async def run_job(env: JobEnv, name: str) -> Outcome:
    """Run one job now, unless another process is running it; record the run either way it ends."""
    job = JOBS[name]
    async with env.sessions() as session:
        postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    if not postgres:  # one process writes an embedded database: nothing to exclude
        return await _run_and_record(env, job)
    async with env.sessions() as holder, holder.begin():  # held for the run: released at its end
        if not await holder.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}):
            log.info("job %s: running in another process, skipped here", name)
            return Outcome(ran=False)
        return await _run_and_record(env, job)


async def _run_and_record(env: JobEnv, job: Job) -> Outcome:
    started = env.clock()
    result: int | None = None
    error: str | None = None
    try:
        result = await job.work(env)
    except Exception as exc:
        log.exception("job %s failed", job.name)
        error = f"{type(exc).__name__}: {exc}"[:1000]
    finished = env.clock()
    try:
        async with env.sessions() as session, session.begin():
            row = await session.get(JobRun, job.name)
            if row is None:
                row = JobRun(name=job.name, runs=0)
                session.add(row)
            row.runs += 1
            row.last_started_at, row.last_finished_at = started, finished
            row.last_status, row.last_result, row.last_error = ("failed" if error else "ok"), result, error
            row.next_run_at = finished + job.every
    except Exception:
        log.warning("job %s: its run could not be recorded", job.name, exc_info=True)
    return Outcome(ran=True, result=result, error=error)


async def job_runs(sessions: Sessions) -> dict[str, JobRun]:
    async with sessions() as session:
        return {row.name: row for row in (await session.scalars(select(JobRun))).all()}


def build_scheduler(sessions: Sessions, rules: Rules, dispatcher: Wakeable, *,
                    inbox_days: int = 30, timezone: str = "Asia/Seoul") -> AsyncIOScheduler:
    """The process's scheduler with every job added; the caller starts it inside the running loop."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    env = JobEnv(sessions, rules, inbox_days, timezone=timezone)
    for job in JOBS.values():
        async def tick(job: Job = job) -> None:
            outcome = await run_job(env, job.name)
            if job.wakes_outbox and outcome.result:
                dispatcher.wake()

        scheduler.add_job(tick, "interval", seconds=job.every.total_seconds(), id=job.name, max_instances=1,
                          coalesce=True, next_run_time=datetime.now(UTC) + job.first_delay)  # at start: catch up
    return scheduler
