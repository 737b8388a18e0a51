"""Themed calls (공모): a department asks for proposals on one subject between two times.

A proposal to a call stays `open` until the call closes: the vote threshold never moves it, neither at
vote time nor in the review sweep (core/votes.py). When the call closes, all its open proposals move to
`under_review` together, at the call's department, whatever their votes. The `calls` job (scheduler/jobs.py)
announces the opening, "closing soon" and the closing to subscribers, each once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.citizens import Actor
from core.clock import utcnow
from core.directory import department_names, get_department
from core.errors import Forbidden, Invalid, InvalidState, NotFound
from core.events import EnteredReview, publish
from core.models import Call, Proposal
from core.outbox import notify_once
from core.proposals import record_transition
from core.rules import DESCRIPTION_MAX, TITLE_MAX, Rules, checked_text, clean_text
from core.statuses import Status
from core.subscriptions import subscribers

CLOSING_SOON = timedelta(days=2)


async def create(session: AsyncSession, actor: Actor | None, *, department: str, title: str, description: str,
                 opens_at: datetime, closes_at: datetime) -> Call:
    """A new call (times naive UTC). `actor` None: the operator at the command line."""
    dep = await get_department(session, department.strip().lower())
    if actor is not None and not actor.may_review(dep.code):
        if actor.departments():
            raise Forbidden("call_not_your_department", department=dep.code)
        raise Forbidden("staff_only")
    clean_title = checked_text(title, "call_title", TITLE_MAX, single_line=True)
    text = clean_text(description)
    if len(text) > DESCRIPTION_MAX:
        raise Invalid("description_too_long", length=len(text), limit=DESCRIPTION_MAX)
    if closes_at <= opens_at:
        raise Invalid("call_closes_before_it_opens")
    if closes_at <= utcnow():
        raise Invalid("call_closes_in_the_past")
    call = Call(department_code=dep.code, title=clean_title, description=text, opens_at=opens_at,
                closes_at=closes_at, created_by=actor.citizen_id if actor is not None else None, created_at=utcnow())
    session.add(call)
    await session.flush()
    return call


async def open_calls(session: AsyncSession, now: datetime | None = None) -> list[Call]:
    """Calls taking proposals now, closing soonest first."""
    at = now or utcnow()
    rows = await session.scalars(select(Call).where(Call.opens_at <= at, Call.closes_at > at,
                                                    Call.closed_at.is_(None)).order_by(Call.closes_at, Call.id))
    return list(rows.all())


async def open_call(session: AsyncSession, call_id: int, now: datetime | None = None) -> Call:
    call = await session.get(Call, call_id)
    if call is None:
        raise NotFound("call_not_found", id=call_id)
    at = now or utcnow()
    if not (call.opens_at <= at < call.closes_at) or call.closed_at is not None:
        raise InvalidState("call_not_open", id=call_id, title=call.title)
    return call


async def call_of(session: AsyncSession, proposal_id: int) -> Call | None:
    call_id = await session.scalar(select(Proposal.call_id).where(Proposal.id == proposal_id))
    return await session.get(Call, call_id) if call_id is not None else None


def _params(call: Call) -> dict[str, object]:
    return {"call_id": call.id, "title": call.title, "department": call.department_code,
            "opens": call.opens_at.isoformat(timespec="minutes"),
            "closes": call.closes_at.isoformat(timespec="minutes")}


async def run_calls(session: AsyncSession, rules: Rules, now: datetime) -> int:
    """Announce what opened, what closes soon, and close what is due (its proposals go to review together).
    Returns how many things happened (notices written, proposals moved)."""
    done = 0
    calls = (await session.scalars(select(Call).where(Call.closed_at.is_(None)))).all()
    for call in calls:
        if call.opens_at > now:
            continue
        readers = await subscribers(session, "calls")
        params = {**_params(call), "department_names": await department_names(session, call.department_code)}
        if call.opened_at is None:
            call.opened_at = now
            done += await notify_once(session, readers, f"call-opened:{call.id}", "call_opened", params)
        if now >= call.closes_at:
            done += await _close(session, call, rules, now)
            done += await notify_once(session, readers, f"call-closed:{call.id}", "call_closed", params)
        elif now >= call.closes_at - CLOSING_SOON:
            done += await notify_once(session, readers, f"call-closing:{call.id}", "call_closing", params)
    await session.flush()
    return done


async def _close(session: AsyncSession, call: Call, rules: Rules, now: datetime) -> int:
    call.closed_at = now
    entered = (await session.scalars(select(Proposal).where(
        Proposal.call_id == call.id, Proposal.status == Status.OPEN.value).order_by(Proposal.id)
        .with_for_update())).all()
    deadline = now + timedelta(days=rules.review_days)
    for proposal in entered:
        proposal.department_code = call.department_code
        proposal.review_deadline = deadline
        await record_transition(session, proposal, Status.UNDER_REVIEW, actor_id=None,
                                extra={"deadline": deadline.isoformat(timespec="minutes"), "call": call.title})
        await publish(session, EnteredReview(proposal.id, deadline))
    return len(entered)
