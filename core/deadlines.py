"""Deadlines of the department (OASIS_REVIEW_DAYS) and of the expert panels (OASIS_PANEL_DAYS): reminders
to the people responsible before them (OASIS_REMINDER_DAYS), and the admins told once one passes.

Every notice is keyed by the proposal, the stage, the deadline and (for a reminder) the days left, and
written only if that key is new, so the check can run any number of times, from any number of processes,
and after any downtime: it catches up with one notice, never a burst of stale ones (of the reminders
due, only the most urgent is sent).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import panels
from core.citizens import admins, officials_of
from core.directory import department_names
from core.models import PanelEvaluation, Proposal
from core.outbox import notify_once
from core.rules import Rules
from core.statuses import Status

REVIEW, PANEL = "review", "panel"


async def check_deadlines(session: AsyncSession, rules: Rules, now: datetime) -> int:
    """Write the reminders and overdue notices now due; returns how many notices were written."""
    written = 0
    officials: dict[str, list[int]] = {}  # per department: many proposals share one
    under_review = await session.scalars(select(Proposal).where(
        Proposal.status == Status.UNDER_REVIEW.value, Proposal.review_deadline.is_not(None)))
    for proposal in under_review.all():
        assert proposal.review_deadline is not None
        if proposal.department_code not in officials:
            officials[proposal.department_code] = await officials_of(session, proposal.department_code)
        written += await _stage(session, proposal, REVIEW, proposal.review_deadline,
                                officials[proposal.department_code], rules, now)
    with_panel = (await session.scalars(select(Proposal).where(
        Proposal.status == Status.PANEL_REVIEW.value, Proposal.panel_deadline.is_not(None)))).all()
    seated = await panels.members(session) if with_panel else []
    for proposal in with_panel:
        assert proposal.panel_deadline is not None
        scored = set((await session.scalars(select(PanelEvaluation.member_id).where(
            PanelEvaluation.proposal_id == proposal.id))).all())
        waiting = [m for m in seated if m not in scored]
        written += await _stage(session, proposal, PANEL, proposal.panel_deadline, waiting, rules, now)
    return written


async def _stage(session: AsyncSession, proposal: Proposal, stage: str, deadline: datetime, responsible: list[int],
                 rules: Rules, now: datetime) -> int:
    when = deadline.isoformat(timespec="minutes")
    params: dict[str, object] = {"id": proposal.id, "title": proposal.title, "stage": stage, "deadline": when,
                                 "department": proposal.department_code}
    if now >= deadline:
        params["department_names"] = await department_names(session, proposal.department_code)
        return await notify_once(session, await admins(session), f"overdue:{stage}:{proposal.id}:{when}",
                                 "deadline_overdue", params)
    due = [days for days in rules.reminder_days if now >= deadline - timedelta(days=days)]
    if not due or not responsible:
        return 0
    days = min(due)
    return await notify_once(session, responsible, f"remind:{stage}:{proposal.id}:{days}:{when}",
                             "deadline_reminder", {**params, "days": days})
