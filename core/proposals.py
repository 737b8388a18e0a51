"""Submitting, withdrawing and following proposals (their discussion: core/room.py)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.citizens import Actor
from core.clock import utcnow
from core.directory import get_category, route_for
from core.errors import Forbidden, InvalidState, NotFound
from core.events import ProposalSubmitted, StatusChanged, publish
from core.models import Follow, Proposal, StatusEvent
from core.rules import DESCRIPTION_MAX, TITLE_MAX, checked_text
from core.search import index_proposal
from core.statuses import Status, can_move
from core.upsert import insert_ignore

HIDDEN_FROM_DISCUSSION = {Status.HIDDEN.value, Status.WITHDRAWN.value}


async def get_proposal(session: AsyncSession, proposal_id: int, *, for_update: bool = False) -> Proposal:
    if for_update:
        proposal = await session.get(Proposal, proposal_id, with_for_update=True, populate_existing=True)
    else:
        proposal = await session.get(Proposal, proposal_id)
    if proposal is None or proposal.status == Status.HIDDEN:
        raise NotFound("proposal_not_found", id=proposal_id)
    return proposal


async def proposal_status(session: AsyncSession, proposal_id: int) -> str:
    """Just the status: the vote path needs no more of the row."""
    status = await session.scalar(select(Proposal.status).where(Proposal.id == proposal_id))
    if status is None or status == Status.HIDDEN:
        raise NotFound("proposal_not_found", id=proposal_id)
    return str(status)


def validate_title(title: str) -> str:
    return checked_text(title, "title", TITLE_MAX, single_line=True)


def validate_description(description: str) -> str:
    return checked_text(description, "description", DESCRIPTION_MAX)


async def submit(
    session: AsyncSession, actor: Actor, *, title: str, description: str, category: str, call_id: int | None = None
) -> Proposal:
    """A new open proposal, routed to its category's department (a themed call's go to the call's); the
    author follows it."""
    clean_title = validate_title(title)
    clean_description = validate_description(description)
    cat = await get_category(session, category)
    words: list[str] = []
    if call_id is not None:
        from core.calls import open_call  # calls record transitions: bound at call time

        department = (await open_call(session, call_id)).department_code
    else:
        department, words = await route_for(session, cat, clean_title, clean_description)
    now = utcnow()
    proposal = Proposal(
        author_id=actor.citizen_id,
        title=clean_title,
        description=clean_description,
        category_code=cat.code,
        department_code=department,
        call_id=call_id,
        kind="call" if call_id is not None else "free",
        status=Status.OPEN.value,
        created_at=now,
        status_changed_at=now,
    )
    session.add(proposal)
    await session.flush()
    session.add(StatusEvent(proposal_id=proposal.id, from_status=None, to_status=Status.OPEN.value,
                            actor_id=actor.citizen_id, created_at=now,
                            details={"routed_by": words} if words else None))
    session.add(Follow(proposal_id=proposal.id, citizen_id=actor.citizen_id, created_at=now))
    await session.flush()
    await index_proposal(session, proposal.id, clean_title, clean_description)
    await publish(session, ProposalSubmitted(proposal.id, actor.citizen_id))
    return proposal


async def routed_by(session: AsyncSession, proposal_id: int) -> list[str]:
    """The keywords that sent a new proposal to a department other than its category's (none if none)."""
    details = await session.scalar(select(StatusEvent.details).where(
        StatusEvent.proposal_id == proposal_id, StatusEvent.from_status.is_(None)))
    return [str(w) for w in (details or {}).get("routed_by", ())]


async def record_transition(
    session: AsyncSession,
    proposal: Proposal,
    target: Status,
    *,
    actor_id: int | None,
    reason_code: str | None = None,
    reason_text: str | None = None,
    extra: dict[str, object] | None = None,
    exclude: tuple[int, ...] = (),
) -> StatusEvent:
    """Move a proposal and record the public event (its followers are told: core/reactions.py)."""
    current = Status(proposal.status)
    if not can_move(current, target):
        raise InvalidState("bad_transition", status=current.value, target=target.value, id=proposal.id)
    now = utcnow()
    proposal.status = target.value
    proposal.status_changed_at = now
    event = StatusEvent(proposal_id=proposal.id, from_status=current.value, to_status=target.value,
                        actor_id=actor_id, reason_code=reason_code, reason_text=reason_text, created_at=now)
    session.add(event)
    await session.flush()
    await publish(session, StatusChanged(
        proposal.id, event.id, proposal.title, current.value, target.value, reason_code, reason_text,
        findings=dict(extra or {}), not_told=exclude))
    return event


async def withdraw(session: AsyncSession, actor: Actor, proposal_id: int) -> Proposal:
    proposal = await get_proposal(session, proposal_id, for_update=True)
    if proposal.author_id != actor.citizen_id:
        raise Forbidden("not_author", id=proposal_id)
    if proposal.status != Status.OPEN:
        raise InvalidState("withdraw_not_open", id=proposal_id, status=proposal.status)
    await record_transition(session, proposal, Status.WITHDRAWN, actor_id=actor.citizen_id,
                            exclude=(actor.citizen_id,))
    return proposal


async def follow(session: AsyncSession, actor: Actor, proposal_id: int) -> bool:
    await get_proposal(session, proposal_id)
    return await insert_ignore(session, Follow, proposal_id=proposal_id, citizen_id=actor.citizen_id,
                               created_at=utcnow())


async def unfollow(session: AsyncSession, actor: Actor, proposal_id: int) -> bool:
    await get_proposal(session, proposal_id)
    result = await session.execute(
        delete(Follow).where(Follow.proposal_id == proposal_id, Follow.citizen_id == actor.citizen_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
