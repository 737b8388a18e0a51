"""Periodic jobs (APScheduler 3, in-memory job store: never shared between processes).

The review sweep catches proposals whose votes reached the threshold but that were not moved to
`under_review` at vote time (a crash between commit and settle, or a race between voters). It is
safe to run in several instances at once: `start_review_if_due` locks the proposal and re-checks
its status, so only one transaction moves it and only that one writes the notices.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.clock import utcnow
from core.db import Sessions
from core.inbox import prune
from core.rules import Rules
from core.votes import due_for_review, start_review_if_due

log = logging.getLogger(__name__)

REVIEW_SWEEP_SECONDS = 30
INBOX_PRUNE_HOURS = 6


class Wakeable(Protocol):
    """What a job needs from the outbox dispatcher: a nudge that new rows are committed."""

    def wake(self) -> None: ...


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
    """Forget platform events older than `keep_days` (OASIS_INBOX_DAYS); returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    async with sessions() as session, session.begin():
        pruned = await prune(session, cutoff)
    if pruned:
        log.info("inbox: forgot %d events received before %s", pruned, cutoff.date())
    return pruned


def build_scheduler(sessions: Sessions, rules: Rules, dispatcher: Wakeable, *,
                    inbox_days: int = 30) -> AsyncIOScheduler:
    """The process's scheduler with its jobs added; the caller starts it inside the running loop."""
    scheduler = AsyncIOScheduler(timezone=UTC)

    async def inbox_pruning() -> None:
        await prune_inbox(sessions, inbox_days)

    scheduler.add_job(inbox_pruning, "interval", hours=INBOX_PRUNE_HOURS, id="inbox_pruning", max_instances=1,
                      coalesce=True, next_run_time=datetime.now(UTC) + timedelta(minutes=1))

    async def review_sweep() -> None:
        if await sweep_reviews(sessions, rules):
            dispatcher.wake()

    scheduler.add_job(
        review_sweep,
        "interval",
        seconds=REVIEW_SWEEP_SECONDS,
        id="review_sweep",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),  # at start-up too: catch up on anything missed while down
    )
    return scheduler
