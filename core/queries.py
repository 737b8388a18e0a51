"""Read models for the conversation and the web: proposals with their exact supporter counts, read from the
tallies (core/tallies.py) so that no list or detail counts the votes table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import panels, tallies
from core.citizens import Actor
from core.directory import department_names
from core.models import Call, Citizen, DepartmentReview, Proposal, RoomMessage, RoomThread, StatusEvent
from core.panels import PanelResult
from core.proposals import get_proposal
from core.reviews import latest_review
from core.statuses import Status

PUBLIC_LIST_STATUSES = tuple(s.value for s in Status if s not in (Status.HIDDEN, Status.WITHDRAWN))


@dataclass(frozen=True)
class Card:
    id: int
    title: str
    status: str
    category: str
    department: str
    votes: int
    created_at: datetime
    review_deadline: datetime | None


@dataclass(frozen=True)
class Detail:
    card: Card
    description: str
    author_name: str
    author_id: int
    review: DepartmentReview | None
    history: list[StatusEvent]
    followers: int
    panels: list[PanelResult] = field(default_factory=list)
    panel_deadline: datetime | None = None
    names: dict[int, str] = field(default_factory=dict)
    """Display names of the people in `history` (who decided each step)."""
    departments: dict[str, dict[str, str]] = field(default_factory=dict)
    """Both names of the departments `history` routed between."""


def _card_query() -> Select[Proposal, int]:
    """Cards with their exact supporters, from the tallies (core/tallies.py): no count of the votes table."""
    return select(Proposal, tallies.exact_votes(Proposal.id).label("votes"))


def _card(p: Proposal, votes: int) -> Card:
    return Card(p.id, p.title, p.status, p.category_code, p.department_code, int(votes), p.created_at,
                p.review_deadline)


async def list_cards(
    session: AsyncSession, *, order: str = "new", category: str | None = None, offset: int = 0, limit: int = 5
) -> tuple[list[Card], int]:
    """`new`: newest first; `top`: most supported first; `list`: open ones, newest first.

    Each page reads a few index entries and the total comes from the counts table, however many proposals
    and votes there are.
    """
    statuses = (Status.OPEN.value,) if order == "list" else PUBLIC_LIST_STATUSES
    # `status || ''` on purpose: the status index would read every proposal of those statuses and sort them
    # (SQLite, without statistics, takes it); without it the id or tally order is walked until a page is full.
    where: list[ColumnElement[bool]] = [Proposal.status.concat("").in_(statuses)]
    if category:
        where.append(Proposal.category_code == category)
    total = await tallies.proposal_total(session, statuses, category)
    if order == "top":
        ranked = await tallies.top(session, where, offset, limit)
        if not ranked:
            return [], total
        found = {p.id: p for p in (await session.scalars(
            select(Proposal).where(Proposal.id.in_([pid for pid, _ in ranked])))).all()}
        return [_card(found[pid], votes) for pid, votes in ranked if pid in found], total
    query = _card_query().where(*where).order_by(Proposal.id.desc())
    rows = (await session.execute(query.offset(offset).limit(limit))).all()
    return [_card(p, n) for p, n in rows], total


async def card(session: AsyncSession, proposal_id: int) -> Card:
    """One proposal with its exact supporters (what `/show` promises)."""
    proposal = await get_proposal(session, proposal_id)
    return _card(proposal, await tallies.votes_of(session, proposal_id))


async def detail(session: AsyncSession, proposal_id: int) -> Detail:
    c = await card(session, proposal_id)
    proposal = await get_proposal(session, proposal_id)
    author = await session.get(Citizen, proposal.author_id)
    history = list(
        (await session.scalars(
            select(StatusEvent).where(StatusEvent.proposal_id == proposal_id).order_by(StatusEvent.id)
        )).all()
    )
    followers = await tallies.followers_of(session, proposal_id)
    actor_ids = {e.actor_id for e in history if e.actor_id is not None}
    names = ({cid: name for cid, name in (await session.execute(
        select(Citizen.id, Citizen.display_name).where(Citizen.id.in_(actor_ids)))).all()} if actor_ids else {})
    scored = await panels.results(session, proposal_id) if proposal.panel_deadline is not None else []
    routed = {code for e in history for code in ((e.details or {}).get("routed") or {}).values()}
    departments = {str(code): await department_names(session, str(code)) for code in routed}
    return Detail(c, proposal.description, author.display_name if author else "", proposal.author_id,
                  await latest_review(session, proposal_id), history, int(followers or 0), scored,
                  proposal.panel_deadline, names, departments)


async def my_cards(session: AsyncSession, citizen_id: int, limit: int = 20) -> list[Card]:
    query = _card_query().where(Proposal.author_id == citizen_id).order_by(Proposal.id.desc()).limit(limit)
    return [_card(p, n) for p, n in (await session.execute(query)).all()]


async def review_queue(session: AsyncSession, actor: Actor, limit: int = 20) -> list[Card]:
    """Proposals under review in the actor's departments (all of them for an admin), oldest deadline first."""
    query = _card_query().where(Proposal.status == Status.UNDER_REVIEW.value)
    if not actor.is_admin:
        query = query.where(Proposal.department_code.in_(actor.departments()))
    query = query.order_by(Proposal.review_deadline.asc(), Proposal.id.asc()).limit(limit)
    return [_card(p, n) for p, n in (await session.execute(query)).all()]



@dataclass(frozen=True)
class PublicMessage:
    """A message of a proposal's discussion as the public sees it: a hidden one keeps its place, without
    its words; one its author deleted is gone."""

    seq: int
    author: str
    origin: str
    created_at: datetime
    body: str | None
    """None when a moderator hid it."""
    edited: bool


async def public_discussion(session: AsyncSession, proposal_id: int, limit: int = 500) -> list[PublicMessage]:
    """The first `limit` messages of the proposal's discussion, in the thread's order."""
    rows = await session.execute(
        select(RoomMessage.seq, Citizen.display_name, RoomMessage.origin, RoomMessage.created_at, RoomMessage.body,
               RoomMessage.hidden_at, RoomMessage.edited_at)
        .join(RoomThread, RoomThread.id == RoomMessage.thread_id).join(Citizen, Citizen.id == RoomMessage.citizen_id)
        .where(RoomThread.proposal_id == proposal_id, RoomMessage.deleted_at.is_(None))
        .order_by(RoomMessage.seq).limit(limit))
    return [PublicMessage(int(seq), name or "?", origin, created, None if hidden else body, edited is not None)
            for seq, name, origin, created, body, hidden, edited in rows.all()]


@dataclass(frozen=True)
class PublicCall:
    """A themed call as the public board lists it, with its public proposals (newest first)."""

    call: Call
    proposals: list[tuple[int, str, str]]
    """(id, title, status) of at most `PROPOSALS_PER_CALL`; `count` is all of them."""
    count: int


PROPOSALS_PER_CALL = 50


async def public_calls(session: AsyncSession) -> list[PublicCall]:
    """Every themed call, the latest to close first, with the proposals made to it (none hidden or withdrawn)."""
    calls = list((await session.scalars(select(Call).order_by(Call.closes_at.desc(), Call.id.desc()))).all())
    if not calls:
        return []
    shown = (Proposal.call_id.in_([c.id for c in calls]), Proposal.status.in_(PUBLIC_LIST_STATUSES))
    counts = {int(cid or 0): int(n) for cid, n in (await session.execute(
        select(Proposal.call_id, func.count()).where(*shown).group_by(Proposal.call_id))).all()}
    ranked = (select(Proposal.call_id, Proposal.id, Proposal.title, Proposal.status,
                     func.row_number().over(partition_by=Proposal.call_id, order_by=Proposal.id.desc()).label("n"))
              .where(*shown).subquery())
    listed: dict[int, list[tuple[int, str, str]]] = {}
    for cid, pid, title, status in (await session.execute(
            select(ranked.c.call_id, ranked.c.id, ranked.c.title, ranked.c.status)
            .where(ranked.c.n <= PROPOSALS_PER_CALL).order_by(ranked.c.call_id, ranked.c.id.desc()))).all():
        listed.setdefault(int(cid), []).append((int(pid), title, status))
    return [PublicCall(c, listed.get(c.id, []), counts.get(c.id, 0)) for c in calls]
