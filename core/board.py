"""The public board's read model: one filtered, sorted page of proposals (the `/` page and
`/api/proposals.json` read the same function), their public histories and opinions, and every public
proposal in id order for the CSV export.

Hidden proposals are never read here. Withdrawn ones are listed (their page is public too).

Cost at 100,000 proposals: a page walks an index (id, the tally order, or `status_changed_at`) until it is
full; the total comes from the counts table (core/tallies.py) when only status, category and department
filter, else it is counted up to COUNT_LIMIT matches and shown as "more than" beyond. A filter the counts
table says matches nothing returns at once, without walking anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import tallies
from core.models import (
    DECIDED_SQL,
    Call,
    Category,
    Department,
    DepartmentReview,
    Proposal,
    ProposalCount,
    ProposalCountChange,
    StatusEvent,
)
from core.search import matching_ids, query_terms
from core.statuses import Status

PUBLIC_STATUSES = tuple(s.value for s in Status if s != Status.HIDDEN)
DECIDED_STATUSES = (Status.ADOPTED.value, Status.REJECTED.value, Status.IMPLEMENTING.value,
                    Status.IMPLEMENTED.value)  # as DECIDED_SQL says
"""`decided` sorts these by when they last changed status: every step out of a decision leads to another of
them (adopted → implementing → implemented), so that is when the latest decision step was taken."""
SORTS = ("newest", "supported", "decided")
SEARCH_RANDOM_PAGE_COST = 1.1
COUNT_LIMIT = 300
"""A search or a themed call's filter counts its matches up to here; beyond, the total is a lower bound
(the count reads each match's row: its cost grows with this limit, whatever the page)."""


@dataclass(frozen=True)
class BoardFilter:
    """What the reader asked for; values already checked by the adapter (unknown codes simply match none)."""

    status: str | None = None
    category: str | None = None
    department: str | None = None
    call: int | None = None
    q: str = ""
    sort: str = "newest"
    page: int = 1
    per_page: int = 20

    @property
    def offset(self) -> int:
        return (max(self.page, 1) - 1) * self.per_page


@dataclass(frozen=True)
class BoardItem:
    id: int
    title: str
    description: str
    status: str
    category: str
    department: str
    call_id: int | None
    supporters: int
    created_at: datetime
    status_changed_at: datetime


@dataclass(frozen=True)
class BoardPage:
    items: list[BoardItem]
    total: int
    total_exact: bool
    """False when `total` is a lower bound (a search or a call's filter with more than COUNT_LIMIT matches)."""
    has_next: bool


def _statuses(f: BoardFilter) -> tuple[str, ...]:
    statuses = PUBLIC_STATUSES if f.status is None else tuple(s for s in PUBLIC_STATUSES if s == f.status)
    return tuple(s for s in statuses if s in DECIDED_STATUSES) if f.sort == "decided" else statuses


def _where(f: BoardFilter, statuses: Sequence[str], words: Sequence[str], *,
           postgres: bool = False) -> list[ColumnElement[bool]]:
    # The search's list first: SQLite tests the conditions in this order, and a list is cheaper to probe
    # than a proposal's row is to read.
    where: list[ColumnElement[bool]] = [Proposal.id.in_(matching_ids(words))] if words else []
    # `status || ''`: keeps SQLite (without statistics) from reading every proposal of those statuses through
    # the status index and sorting them; it walks the order's index instead (as core.queries.list_cards).
    # PostgreSQL, which keeps statistics, estimates a plain condition better (and walks the order anyway).
    where.append((Proposal.status if postgres else Proposal.status.concat("")).in_(statuses))
    if f.sort == "decided" and postgres:  # the partial index's own condition, so that PostgreSQL uses it
        where.append(literal_column(DECIDED_SQL, Boolean()))
    if f.category:
        where.append(Proposal.category_code == f.category)
    if f.department:
        where.append(Proposal.department_code == f.department)
    if f.call is not None:
        where.append(Proposal.call_id == f.call)
    return where


async def _counted(session: AsyncSession, f: BoardFilter, statuses: Sequence[str]) -> int:
    """How many proposals match status, category and department, exactly, from the counts table."""
    folded = select(func.sum(ProposalCount.proposals)).where(ProposalCount.status.in_(statuses))
    pending = select(func.sum(ProposalCountChange.delta)).where(ProposalCountChange.status.in_(statuses))
    if f.category:
        folded = folded.where(ProposalCount.category_code == f.category)
        pending = pending.where(ProposalCountChange.category_code == f.category)
    if f.department:
        folded = folded.where(ProposalCount.department_code == f.department)
        pending = pending.where(ProposalCountChange.department_code == f.department)
    both = func.coalesce(folded.scalar_subquery(), 0) + func.coalesce(pending.scalar_subquery(), 0)
    return int(await session.scalar(select(both)) or 0)


async def board(session: AsyncSession, f: BoardFilter) -> BoardPage:
    """One page of the public board."""
    statuses = _statuses(f)
    words = query_terms(f.q) if f.q.strip() else []
    if not statuses or (f.q.strip() and not words):
        return BoardPage([], 0, True, False)
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    if postgres and words:
        # Plan each search for its own terms: after five runs of one prepared statement PostgreSQL may keep
        # a generic plan, which guesses how many rows a term's range holds (a 10× slower plan, measured).
        # And price a row looked up by id as what it is here, a cached page (the default assumes a spinning
        # disk and scans every proposal rather than look up a few thousand matches).
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        await session.execute(text(f"SET LOCAL random_page_cost = {SEARCH_RANDOM_PAGE_COST}"))
    where = _where(f, statuses, words, postgres=postgres)
    limit = f.per_page + 1  # one more tells whether there is a next page
    if words or f.call is not None:
        # The matches, up to COUNT_LIMIT + 1, with what they sort by: the count, and when that is all of
        # them, the page too, from one read.
        found = (await session.execute(select(Proposal.id, Proposal.status_changed_at).where(*where)
                                       .limit(COUNT_LIMIT + 1))).all()
        total, exact = min(len(found), COUNT_LIMIT), len(found) <= COUNT_LIMIT
        if exact and f.sort != "supported":
            key = (lambda row: (row[1], row[0])) if f.sort == "decided" else (lambda row: row[0])
            ids = [int(row[0]) for row in sorted(found, key=key, reverse=True)[f.offset:f.offset + limit]]
            return BoardPage(await _items(session, ids[:f.per_page]), total, exact, len(ids) > f.per_page)
        if exact:  # most supported among these few
            where = [Proposal.id.in_([int(row[0]) for row in found])]
    else:
        total, exact = await _counted(session, f, statuses), True
    if exact and f.offset >= total:
        return BoardPage([], total, exact, False)
    if f.sort == "supported":
        ranked = await tallies.top(session, where, f.offset, limit, few=bool(words) or f.call is not None)
        ids = [pid for pid, _ in ranked]
    else:
        ids = list((await session.scalars(_ordered(f, where).offset(f.offset).limit(limit))).all())
    items = await _items(session, ids[:f.per_page])
    return BoardPage(items, total, exact, len(ids) > f.per_page)


def _ordered(f: BoardFilter, where: list[ColumnElement[bool]]) -> Select[Any]:
    if f.sort == "decided":
        return select(Proposal.id).where(*where).order_by(Proposal.status_changed_at.desc(), Proposal.id.desc())
    return select(Proposal.id).where(*where).order_by(Proposal.id.desc())


async def _items(session: AsyncSession, ids: Sequence[int]) -> list[BoardItem]:
    """The proposals `ids`, in that order, with their exact supporters."""
    if not ids:
        return []
    rows = (await session.execute(select(Proposal, tallies.exact_votes(Proposal.id))
                                  .where(Proposal.id.in_(ids)))).all()
    found = {p.id: _item(p, votes) for p, votes in rows if p.status != Status.HIDDEN}
    return [found[pid] for pid in ids if pid in found]


def _item(p: Proposal, votes: Any) -> BoardItem:
    return BoardItem(p.id, p.title, p.description, p.status, p.category_code, p.department_code, p.call_id,
                     int(votes or 0), p.created_at, p.status_changed_at)


async def public_chunk(session: AsyncSession, after_id: int, limit: int) -> list[BoardItem]:
    """Up to `limit` public proposals with ids above `after_id`, in id order (the CSV export, chunk by chunk)."""
    rows = (await session.execute(
        select(Proposal, tallies.exact_votes(Proposal.id))
        .where(Proposal.id > after_id, Proposal.status.concat("").in_(PUBLIC_STATUSES))
        .order_by(Proposal.id).limit(limit))).all()
    return [_item(p, votes) for p, votes in rows]


@dataclass(frozen=True)
class HistoryStep:
    from_status: str | None
    to_status: str
    at: datetime
    reason_code: str | None
    reason_text: str | None


async def histories(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[HistoryStep]]:
    """Each proposal's public status history, oldest step first (no actors: open data names no one)."""
    found: dict[int, list[HistoryStep]] = {pid: [] for pid in ids}
    if ids:
        for e in (await session.scalars(select(StatusEvent).where(StatusEvent.proposal_id.in_(ids))
                                        .order_by(StatusEvent.proposal_id, StatusEvent.id))).all():
            found[e.proposal_id].append(HistoryStep(e.from_status, e.to_status, e.created_at, e.reason_code,
                                                    e.reason_text))
    return found


async def opinions(session: AsyncSession, ids: Sequence[int]) -> dict[int, DepartmentReview]:
    """The latest department opinion of each proposal that has one (what its public page shows)."""
    found: dict[int, DepartmentReview] = {}
    if ids:
        for review in (await session.scalars(select(DepartmentReview).where(DepartmentReview.proposal_id.in_(ids))
                                             .order_by(DepartmentReview.id))).all():
            found[review.proposal_id] = review
    return found


@dataclass(frozen=True)
class Directory:
    """Names for the filters and the rows: categories and departments in both languages, themed calls."""

    categories: dict[str, tuple[str, str]]
    departments: dict[str, tuple[str, str]]
    calls: dict[int, str]


async def directory(session: AsyncSession) -> Directory:
    categories = {code: (ko, en) for code, ko, en in (await session.execute(
        select(Category.code, Category.name_ko, Category.name_en).order_by(Category.position))).all()}
    departments = {code: (ko, en) for code, ko, en in (await session.execute(
        select(Department.code, Department.name_ko, Department.name_en).order_by(Department.code))).all()}
    calls = {int(cid): title for cid, title in (await session.execute(
        select(Call.id, Call.title).order_by(Call.id.desc()))).all()}
    return Directory(categories, departments, calls)
