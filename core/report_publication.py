"""Publishing the reports (the `reports` job, scheduler/jobs.py): in the first days of each month, in the city's
time zone, the previous month's report is published once and announced to `reports` subscribers (and to
those of `all`); in January's first days, the previous year's annual report too.

"Once" holds across runs, restarts and processes: publishing a period inserts its marker row in `job_runs`
(`reports:2026-10`, a primary key, so only one transaction can) in the same transaction as the notices, and
the notices themselves are written with `notify_once` under one event key per period. A run that finds the
marker does nothing; a subscriber who subscribes afterwards gets the next report, not this one.

The notice carries the figures of its summary and the report's address; the words are chosen at send time
in each reader's language (bots/outbox_render.py). A period in which nothing at all happened is published
(its page exists) but not announced: there is nothing to tell.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import JobRun
from core.outbox import notify_once
from core.reports import Period, Report, build, last_complete_month
from core.subscriptions import subscribers
from core.upsert import insert_ignore

KIND = "report_published"
TOPIC = "reports"
CATCH_UP_DAYS = 7
"""A month's report is published on the 1st, or on a later day up to this one should Oasis have been down:
a new installation in mid-month does not announce an old month."""


def marker(period: Period) -> str:
    return f"reports:{period.key}"


def event_key(period: Period) -> str:
    return f"report:{period.key}"


def notice_params(report: Report) -> dict[str, Any]:
    counts = report.counts
    return {"period": report.period.key, "path": f"/reports/{report.period.key}", "received": counts.received,
            "entered_review": counts.entered_review, "adopted": counts.adopted, "rejected": counts.rejected,
            "implemented": counts.implemented}


def due(now: datetime, timezone: str) -> list[Period]:
    """The periods whose reports are due at `now`: last month's, and last year's once December is over."""
    local = now.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))
    if local.day > CATCH_UP_DAYS:
        return []
    month = last_complete_month(now, timezone)
    return [month, Period(month.year)] if month.month == 12 else [month]


async def publish(session: AsyncSession, period: Period, timezone: str, now: datetime) -> int | None:
    """Publish one period's report and announce it, unless it was published before (None). Returns how many
    notices were written."""
    if not await insert_ignore(session, JobRun, name=marker(period), runs=1, last_started_at=now,
                               last_finished_at=now, last_status="ok", last_result=0):
        return None
    report = await build(session, period, timezone, now)
    written = 0
    if not report.empty:
        written = await notify_once(session, await subscribers(session, TOPIC), event_key(period), KIND,
                                    notice_params(report))
    await session.execute(update(JobRun).where(JobRun.name == marker(period)).values(last_result=written))
    return written


async def publish_due(session: AsyncSession, timezone: str, now: datetime) -> int:
    """The `reports` job's work: publish what is due and not published yet; returns how many periods were
    published plus how many notices were written."""
    done = 0
    for period in due(now, timezone):
        written = await publish(session, period, timezone, now)
        if written is not None:
            done += 1 + written
    return done
