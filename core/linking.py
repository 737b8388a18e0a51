"""One person, one citizen across platforms: one-time link codes and the merge they allow (`/link`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import mileage
from core.citizens import Actor
from core.clock import utcnow
from core.errors import Forbidden, Invalid, InvalidState
from core.events import AccountsMerged, publish
from core.models import (
    Citizen,
    DepartmentReview,
    Follow,
    Identity,
    LinkAttempt,
    LinkCode,
    MileageEntry,
    OutboxMessage,
    PanelEvaluation,
    Proposal,
    RoleGrant,
    RoomMessage,
    StatusEvent,
    Vote,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand
CODE_LENGTH = 8
CODE_LIFETIME = timedelta(minutes=10)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class LinkResult:
    citizen_id: int
    votes_moved: int
    votes_dropped: int
    proposals_voted: list[int]


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


async def issue_code(session: AsyncSession, actor: Actor, platform: str) -> str:
    """A fresh code for this citizen; any older unused code of theirs stops working."""
    now = utcnow()
    await session.execute(
        update(LinkCode).where(LinkCode.citizen_id == actor.citizen_id, LinkCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(LinkCode(code=code, citizen_id=actor.citizen_id, platform=platform, created_at=now,
                         expires_at=now + CODE_LIFETIME))
    await session.flush()
    return code


async def _check_not_locked(session: AsyncSession, citizen_id: int) -> None:
    since = utcnow() - FAILURE_WINDOW
    failures = await session.scalar(
        select(func.count()).where(LinkAttempt.citizen_id == citizen_id, LinkAttempt.at >= since)
    )
    if int(failures or 0) >= MAX_FAILURES:
        raise Forbidden("link_locked", minutes=int(FAILURE_WINDOW.total_seconds() // 60))


async def redeem_code(session: AsyncSession, actor: Actor, code: str) -> LinkResult | None:
    """Join the redeeming account's citizen into the code's citizen.

    Returns None for a wrong, used or expired code, after recording the failed attempt: the caller must
    commit that (and answer) so that guessing stays limited.
    """
    await _check_not_locked(session, actor.citizen_id)
    now = utcnow()
    row = await session.get(LinkCode, normalize_code(code), with_for_update=True)
    if row is None or row.used_at is not None or row.expires_at < now:
        session.add(LinkAttempt(citizen_id=actor.citizen_id, at=now))
        return None
    if row.citizen_id == actor.citizen_id:
        raise InvalidState("link_same_account")
    row.used_at = now
    return await merge_citizens(session, keep=row.citizen_id, gone=actor.citizen_id)


async def _move(session: AsyncSession, model: type, column: str, keep: int, gone: int,
                unique_with: str | None = None) -> tuple[int, int]:
    """Re-point `column` from `gone` to `keep`; rows that would duplicate one of `keep`'s are dropped."""
    col = getattr(model, column)
    dropped = 0
    if unique_with is not None:
        other: Any = aliased(model)
        dup = exists().where(and_(getattr(other, column) == keep,
                                  getattr(other, unique_with) == getattr(model, unique_with)))
        result = await session.execute(delete(model).where(col == gone, dup))
        dropped = int(result.rowcount or 0)  # type: ignore[attr-defined]
    moved = await session.execute(update(model).where(col == gone).values({column: keep}))
    return int(moved.rowcount or 0), dropped  # type: ignore[attr-defined]


async def merge_citizens(session: AsyncSession, *, keep: int, gone: int) -> LinkResult:
    """Everything `gone` did becomes `keep`'s; one vote per person per proposal survives."""
    voted = list((await session.scalars(select(Vote.proposal_id).where(Vote.citizen_id == gone))).all())
    kept_too = select(Vote.proposal_id).where(Vote.citizen_id == keep).scalar_subquery()
    doubled = (await session.execute(select(Vote.proposal_id, Vote.created_at).where(
        Vote.citizen_id == gone, Vote.proposal_id.in_(kept_too)))).all()
    votes_moved, votes_dropped = await _move(session, Vote, "citizen_id", keep, gone, "proposal_id")
    await _move(session, MileageEntry, "citizen_id", keep, gone, "act")
    await _move(session, PanelEvaluation, "member_id", keep, gone, "proposal_id")
    for proposal_id, voted_at in doubled:  # one vote per person survives, and so does one point for it
        await mileage.take_back_vote(session, keep, int(proposal_id), voted_at)
    await _move(session, Follow, "citizen_id", keep, gone, "proposal_id")
    await _move(session, RoleGrant, "citizen_id", keep, gone, "role")
    await _move(session, OutboxMessage, "citizen_id", keep, gone, "event_key")
    for model, column in ((Identity, "citizen_id"), (RoomMessage, "citizen_id"), (Proposal, "author_id"),
                          (DepartmentReview, "official_id"), (StatusEvent, "actor_id"),
                          (LinkCode, "citizen_id"), (LinkAttempt, "citizen_id")):
        await _move(session, model, column, keep, gone)
    kept = await session.get(Citizen, keep)
    lost = await session.get(Citizen, gone)
    if kept is not None and lost is not None:
        kept.language = kept.language or lost.language
        kept.notify_platform = kept.notify_platform or lost.notify_platform
        await session.delete(lost)
    await session.flush()
    await publish(session, AccountsMerged(keep, tuple(sorted(set(voted)))))
    return LinkResult(keep, votes_moved, votes_dropped, sorted(set(voted)))


async def set_notify_platform(session: AsyncSession, actor: Actor, platform: str) -> None:
    """Send notifications to this platform; only one where the citizen has an account."""
    has = await session.scalar(
        select(func.count()).where(Identity.citizen_id == actor.citizen_id, Identity.platform == platform)
    )
    if not has:
        raise Invalid("notify_no_account", platform=platform)
    citizen = await session.get(Citizen, actor.citizen_id)
    if citizen is not None:
        citizen.notify_platform = platform
