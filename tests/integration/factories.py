"""Helpers that build people and proposals through the core's own functions, each in its own transaction."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core import proposals, votes
from core.citizens import Actor, ensure_identity, grant_role, load_actor
from core.db import Sessions
from core.models import DepartmentReview, Follow, OutboxMessage, Proposal, StatusEvent, Vote
from core.rules import Rules

_user_ids = itertools.count(1000)


def engine_of(sessions: Sessions) -> AsyncEngine:
    """The engine behind a session factory (a test that needs a connection of its own, or the dialect)."""
    bind = sessions.kw["bind"]
    assert isinstance(bind, AsyncEngine)
    return bind


@dataclass(frozen=True)
class Person:
    platform: str
    user_id: str
    actor: Actor

    @property
    def id(self) -> int:
        return self.actor.citizen_id


async def citizen(sessions: Sessions, name: str = "", *, platform: str = "telegram") -> Person:
    """A citizen who has talked to the bot once."""
    user_id = str(next(_user_ids))
    async with sessions() as s, s.begin():
        ident = await ensure_identity(s, platform, user_id, display_name=name or f"user{user_id}")
        actor = await load_actor(s, ident.citizen_id)
    return Person(platform, user_id, actor)


async def grant(sessions: Sessions, person: Person, role: str, department: str | None = None) -> Person:
    """Grant a role to an existing person and return them with their refreshed roles."""
    async with sessions() as s, s.begin():
        await grant_role(s, person.platform, person.user_id, role, department)
        actor = await load_actor(s, person.id)
    return Person(person.platform, person.user_id, actor)


async def official(sessions: Sessions, department: str, name: str = "") -> Person:
    return await grant(sessions, await citizen(sessions, name or f"official of {department}"), "official",
                       department)


async def admin(sessions: Sessions, name: str = "admin") -> Person:
    return await grant(sessions, await citizen(sessions, name), "admin")


async def proposal(
    sessions: Sessions,
    author: Person,
    *,
    title: str | None = None,
    description: str | None = None,
    category: str = "transport",
) -> int:
    """Without a title or description, ones that no department's keywords take elsewhere than its
    category's."""
    title = title if title is not None else ("More bike lanes" if category == "transport" else "A better city")
    text = description if description is not None else (
        "Protected bike lanes on every main road." if category == "transport" else "A clear idea for the city.")
    async with sessions() as s, s.begin():
        made = await proposals.submit(s, author.actor, title=title, description=text, category=category)
        return made.id


async def vote(sessions: Sessions, person: Person, proposal_id: int, rules: Rules) -> votes.VoteResult:
    async with sessions() as s, s.begin():
        return await votes.vote(s, person.actor, proposal_id, rules)


async def start_review(sessions: Sessions, proposal_id: int, rules: Rules) -> bool:
    async with sessions() as s, s.begin():
        return await votes.start_review_if_due(s, proposal_id, rules)


async def under_review(
    sessions: Sessions,
    author: Person,
    *,
    voters: list[Person] | None = None,
    category: str = "transport",
    title: str | None = None,
    review_days: int = 14,
) -> int:
    """A proposal that reached its threshold and moved to `under_review` (titled, like `proposal`'s text, so
    that no department's keywords route it elsewhere than its category's)."""
    title = title if title is not None else ("More bike lanes" if category == "transport" else "A better city")
    voters = voters if voters is not None else [await citizen(sessions, "supporter")]
    rules = Rules(vote_threshold=len(voters), review_days=review_days)
    pid = await proposal(sessions, author, category=category, title=title)
    for voter in voters:
        await vote(sessions, voter, pid, rules)
    assert await start_review(sessions, pid, rules)
    return pid


# --- reading back -------------------------------------------------------------------------------------


async def get(sessions: Sessions, proposal_id: int) -> Proposal:
    async with sessions() as s:
        row = await s.get(Proposal, proposal_id)
        assert row is not None
        return row


async def events(sessions: Sessions, proposal_id: int) -> list[StatusEvent]:
    async with sessions() as s:
        return list((await s.scalars(
            select(StatusEvent).where(StatusEvent.proposal_id == proposal_id).order_by(StatusEvent.id)
        )).all())


async def outbox(sessions: Sessions, *, kind: str | None = None, event_key: str | None = None,
                 proposal_id: int | None = None) -> list[OutboxMessage]:
    async with sessions() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        if event_key is not None:
            query = query.where(OutboxMessage.event_key == event_key)
        rows = list((await s.scalars(query)).all())
    if proposal_id is not None:
        rows = [r for r in rows if r.params.get("id") == proposal_id]
    return rows


async def reviews(sessions: Sessions, proposal_id: int) -> list[DepartmentReview]:
    async with sessions() as s:
        return list((await s.scalars(
            select(DepartmentReview).where(DepartmentReview.proposal_id == proposal_id).order_by(DepartmentReview.id)
        )).all())


async def followers(sessions: Sessions, proposal_id: int) -> set[int]:
    async with sessions() as s:
        return set((await s.scalars(select(Follow.citizen_id).where(Follow.proposal_id == proposal_id))).all())


async def vote_count(sessions: Sessions, proposal_id: int) -> int:
    async with sessions() as s:
        return len((await s.scalars(select(Vote.id).where(Vote.proposal_id == proposal_id))).all())


def recipients(rows: list[OutboxMessage]) -> list[int]:
    return sorted(r.citizen_id for r in rows)


def params_of(rows: list[OutboxMessage]) -> list[dict[str, Any]]:
    return [r.params for r in rows]


async def withdraw(sessions: Sessions, author: Person, proposal_id: int) -> None:
    async with sessions() as s, s.begin():
        await proposals.withdraw(s, author.actor, proposal_id)
