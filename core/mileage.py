"""Mileage (PRODUCT.md §6): an append-only ledger of points per citizen.

Every entry is keyed by the act that earned or took back its points (`vote:<proposal>:<when>`,
`comment:<message id>`, `proposal:<id>`, and `<act>:reversed`), unique per citizen, so no act counts twice, whatever is
delivered again; a reversal is an entry of its own, never an edit. The point values (OASIS_MILEAGE_*)
travel with the process's sessions (`session.info`), so every use case and reaction awards the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import MileageEntry
from core.upsert import insert_ignore, insert_rows

INFO_KEY = "oasis.mileage"


@dataclass(frozen=True)
class Mileage:
    proposal: int = 10
    vote: int = 1
    comment: int = 2
    comments_per_day: int = 10
    review: int = 20
    adopted: int = 100
    implemented: int = 50


LEVELS = ((500, "oasis"), (200, "devoted"), (50, "citizen"), (0, "sprout"))
"""(from balance, level), highest first."""


def values(session: AsyncSession) -> Mileage:
    found = session.info.get(INFO_KEY)
    return found if isinstance(found, Mileage) else Mileage()


def level(balance: int) -> tuple[str, int | None]:
    """(this level, the balance where the next one starts, if any)."""
    for index, (start, name) in enumerate(LEVELS):
        if balance >= start:
            return name, LEVELS[index - 1][0] if index > 0 else None
    return LEVELS[-1][1], LEVELS[-2][0]


async def award(session: AsyncSession, citizen_id: int, act: str, reason: str, points: int,
                proposal_id: int | None = None) -> bool:
    """One entry for one act; False if that act is in the ledger already."""
    if not points:
        return False
    return await insert_ignore(session, MileageEntry, citizen_id=citizen_id, act=act, reason=reason, points=points,
                               proposal_id=proposal_id, created_at=utcnow())


def vote_act(proposal_id: int, voted_at: datetime) -> str:
    """A vote is the act of that person on that proposal at that moment (a vote taken back and given again
    is a new act; a row id is no name for it, as SQLite gives a deleted row's id to the next one)."""
    return f"vote:{proposal_id}:{voted_at.isoformat(timespec='microseconds')}"


async def award_votes(session: AsyncSession, votes: Iterable[tuple[int, int, datetime]]) -> None:
    """+vote for each new vote (proposal, citizen, when), in one statement: this is on the vote path."""
    points = values(session).vote
    now = utcnow()
    rows = [{"citizen_id": cid, "act": vote_act(pid, at), "reason": "vote", "points": points, "proposal_id": pid,
             "created_at": now} for pid, cid, at in votes]
    if points:
        await insert_rows(session, MileageEntry, rows)


async def take_back_vote(session: AsyncSession, citizen_id: int, proposal_id: int, voted_at: datetime) -> bool:
    """The vote's point goes back with it (only if it earned one)."""
    return await take_back(session, citizen_id, vote_act(proposal_id, voted_at), "unvote", proposal_id)


async def take_back(session: AsyncSession, citizen_id: int, act: str, reason: str, proposal_id: int | None) -> bool:
    """Reverse what `act` earned, once (nothing if it earned nothing)."""
    earned = await session.scalar(select(MileageEntry.points).where(
        MileageEntry.citizen_id == citizen_id, MileageEntry.act == act))
    if not earned:
        return False
    return await award(session, citizen_id, f"{act}:reversed", reason, -int(earned), proposal_id)


async def award_comment(session: AsyncSession, citizen_id: int, message_id: int, proposal_id: int | None) -> bool:
    """+comment, for at most `comments_per_day` comments in 24 hours."""
    mileage = values(session)
    today = await session.scalar(select(func.count()).where(
        MileageEntry.citizen_id == citizen_id, MileageEntry.reason == "comment",
        MileageEntry.created_at > utcnow() - timedelta(days=1)))
    if int(today or 0) >= mileage.comments_per_day:
        return False
    return await award(session, citizen_id, f"comment:{message_id}", "comment", mileage.comment, proposal_id)


async def balance(session: AsyncSession, citizen_id: int) -> int:
    total = await session.scalar(select(func.coalesce(func.sum(MileageEntry.points), 0)).where(
        MileageEntry.citizen_id == citizen_id))
    return int(total or 0)


async def recent(session: AsyncSession, citizen_id: int, limit: int = 10) -> list[MileageEntry]:
    rows = await session.scalars(select(MileageEntry).where(MileageEntry.citizen_id == citizen_id)
                                 .order_by(MileageEntry.id.desc()).limit(limit))
    return list(rows.all())
