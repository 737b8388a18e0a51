"""Re-routing: officials send a proposal to another department (the first routing, by category and
keywords, is core/directory.py's `route_for`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.citizens import Actor
from core.clock import utcnow
from core.directory import get_department
from core.errors import Forbidden, InvalidState
from core.events import Routed, publish
from core.models import StatusEvent
from core.proposals import get_proposal
from core.rules import Rules
from core.statuses import Status

ROUTABLE = frozenset({Status.OPEN.value, Status.UNDER_REVIEW.value})


async def reroute(session: AsyncSession, actor: Actor, proposal_id: int, department: str, rules: Rules) -> StatusEvent:
    """`/route`: officials of the current department, or admins, send an open or under-review proposal to
    another department; recorded as a status event, and under review its deadline starts again there."""
    proposal = await get_proposal(session, proposal_id, for_update=True)
    if not actor.may_review(proposal.department_code):
        if actor.departments():
            raise Forbidden("not_your_department", id=proposal.id, department=proposal.department_code)
        raise Forbidden("staff_only")
    target = await get_department(session, department.strip().lower())
    if proposal.status not in ROUTABLE:
        raise InvalidState("route_not_now", id=proposal.id, status=proposal.status)
    if target.code == proposal.department_code:
        raise InvalidState("route_same", id=proposal.id, department=target.code)
    previous, now = proposal.department_code, utcnow()
    proposal.department_code = target.code
    deadline: datetime | None = None
    if proposal.status == Status.UNDER_REVIEW:
        proposal.review_deadline = deadline = now + timedelta(days=rules.review_days)
    event = StatusEvent(proposal_id=proposal.id, from_status=proposal.status, to_status=proposal.status,
                        actor_id=actor.citizen_id, created_at=now,
                        details={"routed": {"from": previous, "to": target.code}})
    session.add(event)
    await session.flush()
    await publish(session, Routed(proposal.id, event.id, previous, target.code, deadline, actor.citizen_id))
    return event
