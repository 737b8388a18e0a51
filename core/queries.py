"""Read models for the conversation and the web: proposals with their derived vote counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import panels
from core.citizens import Actor
from core.directory import department_names
from core.models import Citizen, DepartmentReview, Follow, Proposal, StatusEvent, Vote
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


def _votes_subquery() -> Select[int, int]:
    return select(Vote.proposal_id, func.count().label("n")).group_by(Vote.proposal_id)


def _card_query() -> Select[Proposal, int]:
    counts = _votes_subquery().subquery()
    votes = func.coalesce(counts.c.n, 0).label("votes")
    return select(Proposal, votes).outerjoin(counts, counts.c.proposal_id == Proposal.id)


def _card(p: Proposal, votes: int) -> Card:
    return Card(p.id, p.title, p.status, p.category_code, p.department_code, int(votes), p.created_at,
                p.review_deadline)


async def list_cards(
    session: AsyncSession, *, order: str = "new", category: str | None = None, offset: int = 0, limit: int = 5
) -> tuple[list[Card], int]:
    """`new`: newest first; `top`: most supported first; `list`: open ones, newest first."""
    query = _card_query()
    total_q = select(func.count()).select_from(Proposal)
    statuses = (Status.OPEN.value,) if order == "list" else PUBLIC_LIST_STATUSES
    query = query.where(Proposal.status.in_(statuses))
    total_q = total_q.where(Proposal.status.in_(statuses))
    if category:
        query = query.where(Proposal.category_code == category)
        total_q = total_q.where(Proposal.category_code == category)
    if order == "top":
        query = query.order_by(query.selected_columns.votes.desc(), Proposal.id.desc())
    else:
        query = query.order_by(Proposal.id.desc())
    rows = (await session.execute(query.offset(offset).limit(limit))).all()
    total = int(await session.scalar(total_q) or 0)
    return [_card(p, n) for p, n in rows], total


async def card(session: AsyncSession, proposal_id: int) -> Card:
    proposal = await get_proposal(session, proposal_id)
    votes = await session.scalar(select(func.count()).where(Vote.proposal_id == proposal_id))
    return _card(proposal, int(votes or 0))


async def detail(session: AsyncSession, proposal_id: int) -> Detail:
    c = await card(session, proposal_id)
    proposal = await get_proposal(session, proposal_id)
    author = await session.get(Citizen, proposal.author_id)
    history = list(
        (await session.scalars(
            select(StatusEvent).where(StatusEvent.proposal_id == proposal_id).order_by(StatusEvent.id)
        )).all()
    )
    followers = await session.scalar(select(func.count()).where(Follow.proposal_id == proposal_id))
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

