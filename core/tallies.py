"""Counts that grow, read without counting: supporters and followers per proposal, proposals per status.

Database triggers (migration 0011) append a change row in the same transaction as every vote, follow and
proposal written, whatever code wrote it; the `tallies` job (scheduler/jobs.py) folds those rows into
`proposal_tallies` and `proposal_counts` every few seconds, deleting what it folded in the same transaction.
So at every moment, in any one statement's snapshot:

    exact count = folded tally + the changes not folded yet

and a read costs an index lookup plus the few changes since the last fold, however many votes there are.
No row is updated per vote: the vote path only appends (one change row per proposal per statement on
PostgreSQL, one per row on SQLite), and the fold updates each changed tally once per run.

`/top` is exact too: the folded tallies give the order through an index, and the proposals with changes
not folded yet are re-ranked with their exact counts (`top`). Only when more than EXACT_TOP_MAX proposals
have unfolded changes (a fold is overdue under heavy voting) does the order fall back to the folded
tallies alone, which lag by at most one fold; the counts shown stay exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.models import Follow, Proposal, ProposalCount, ProposalCountChange, ProposalTally, TallyChange, Vote
from core.upsert import Rows, dialect_of

FOLD_BATCH = 20_000
"""Changes folded per transaction: the fold holds SQLite's one writer for its duration."""
EXACT_TOP_MAX = 200
"""Proposals with unfolded changes that `top` re-ranks exactly; beyond it the folded order is used."""


def exact_votes(proposal_id: Any) -> ColumnElement[int]:
    """A proposal's supporters, exactly, as an expression (usable in a select list or a filter)."""
    return _exact(ProposalTally.votes, TallyChange.votes, proposal_id)


def exact_followers(proposal_id: Any) -> ColumnElement[int]:
    return _exact(ProposalTally.followers, TallyChange.followers, proposal_id)


def _exact(folded: Any, change: Any, proposal_id: Any) -> ColumnElement[int]:
    base = select(folded).where(ProposalTally.proposal_id == proposal_id).scalar_subquery()
    pending = select(func.sum(change)).where(TallyChange.proposal_id == proposal_id).scalar_subquery()
    return func.coalesce(base, 0) + func.coalesce(pending, 0)


async def votes_of(session: AsyncSession, proposal_id: int) -> int:
    return int(await session.scalar(select(exact_votes(proposal_id))) or 0)


async def followers_of(session: AsyncSession, proposal_id: int) -> int:
    return int(await session.scalar(select(exact_followers(proposal_id))) or 0)


async def proposal_total(session: AsyncSession, statuses: Sequence[str], category: str | None = None) -> int:
    """How many proposals have one of `statuses` (and `category`), exactly, from the counts table."""
    folded = select(func.sum(ProposalCount.proposals)).where(ProposalCount.status.in_(statuses))
    pending = select(func.sum(ProposalCountChange.delta)).where(ProposalCountChange.status.in_(statuses))
    if category:
        folded = folded.where(ProposalCount.category_code == category)
        pending = pending.where(ProposalCountChange.category_code == category)
    both = func.coalesce(folded.scalar_subquery(), 0) + func.coalesce(pending.scalar_subquery(), 0)
    return int(await session.scalar(select(both)) or 0)


async def top(session: AsyncSession, where: Sequence[ColumnElement[bool]], offset: int,
              limit: int, *, few: bool = False) -> list[tuple[int, int]]:
    """(proposal id, exact supporters) of the `offset`..`offset + limit` most supported proposals
    matching `where` (conditions on Proposal, best not served by an index of their own: see
    queries.list_cards), most supported first, ties newest first. `few`: `where` itself picks few
    proposals (a search), so the ranking starts from them rather than from the tally index.

    The true first k = offset + limit are among the first k + p by folded tally plus the p proposals with
    unfolded changes: every other proposal has its exact count and is outranked by at least k proposals
    of that list whose counts are exact too.
    """
    k = offset + limit
    # Two index-driven steps rather than a join, whose plan would depend on the churning table's statistics.
    changed = list((await session.scalars(
        select(TallyChange.proposal_id).distinct().limit(EXACT_TOP_MAX + 1))).all())
    overdue = len(changed) > EXACT_TOP_MAX
    pending: list[int] = []
    if changed and not overdue:  # else a fold is overdue: the folded order, with exact counts
        pending = list((await session.scalars(select(Proposal.id).where(Proposal.id.in_(changed), *where))).all())
    if few:  # a join: the planner starts from the few matches and sorts them
        chosen = (select(ProposalTally.proposal_id, ProposalTally.votes)
                  .join(Proposal, Proposal.id == ProposalTally.proposal_id).where(*where))
    else:  # EXISTS, not a join: both databases then walk the tally index in order and look each proposal up.
        matches = select(Proposal.id).where(Proposal.id == ProposalTally.proposal_id, *where).exists()
        chosen = select(ProposalTally.proposal_id, ProposalTally.votes).where(matches)
    ranked = (await session.execute(
        chosen.order_by(ProposalTally.votes.desc(), ProposalTally.proposal_id.desc()).limit(k + len(pending)))).all()
    counts = {int(pid): int(votes) for pid, votes in ranked}
    if pending:
        found = await session.execute(select(Proposal.id, exact_votes(Proposal.id)).where(Proposal.id.in_(pending)))
        counts.update({int(pid): int(votes) for pid, votes in found.all()})
    page = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)[offset:k]
    if overdue and page:
        rows = await session.execute(select(Proposal.id, exact_votes(Proposal.id)).where(
            Proposal.id.in_([pid for pid, _ in page])))
        exact = {int(pid): int(votes) for pid, votes in rows.all()}
        page = [(pid, exact.get(pid, votes)) for pid, votes in page]
    return page


async def fold(session: AsyncSession, limit: int = FOLD_BATCH) -> int:
    """Fold up to `limit` changes of each kind into the tallies and counts; returns how many were folded.

    The changes are deleted and added in one transaction (the caller's), so a reader sees them in one
    place or the other, never both or neither. Safe to run in several processes at once: a change row is
    deleted, and so folded, by one of them only.
    """
    # Core statements on the session's connection: the ORM would make an object of each returned row.
    connection = await session.connection()
    changes = await _take(connection, TallyChange, limit, "proposal_id", "votes", "followers")
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pid, votes, followers in changes:
        sums[int(pid)][0] += int(votes)
        sums[int(pid)][1] += int(followers)
    if sums:
        rows = [{"proposal_id": pid, "votes": v, "followers": f} for pid, (v, f) in sorted(sums.items())]
        await connection.execute(_adding(session, ProposalTally), rows)
    count_changes = await _take(connection, ProposalCountChange, limit,
                                "status", "category_code", "department_code", "delta")
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for status, category, department, delta in count_changes:
        totals[(str(status), str(category), str(department))] += int(delta)
    if totals:
        counts = [{"status": s, "category_code": c, "department_code": d, "proposals": n}
                  for (s, c, d), n in sorted(totals.items())]
        await connection.execute(_adding(session, ProposalCount), counts)
    return len(changes) + len(count_changes)


async def _take(connection: AsyncConnection, model: Any, limit: int, *columns: str) -> Rows:
    """Delete the oldest `limit` change rows of `model`'s table, returning `columns` of each."""
    table: Table = model.__table__
    picked = select(table.c.id).order_by(table.c.id).limit(limit).scalar_subquery()
    deleted = delete(table).where(table.c.id.in_(picked)).returning(*(table.c[name] for name in columns))
    return (await connection.execute(deleted)).all()


async def fold_all(session: AsyncSession) -> int:
    """Fold until nothing is left (a run after downtime, a test); returns how many were folded."""
    total = 0
    while folded := await fold(session):
        total += folded
    return total


async def rebuild(session: AsyncSession) -> None:
    """Count everything again from the votes, follows and proposals tables (after a bulk load that bypassed
    the triggers): a full scan, for operators and benchmarks, never on a hot path."""
    await session.execute(delete(TallyChange))
    await session.execute(delete(ProposalCountChange))
    await session.execute(delete(ProposalTally))
    await session.execute(delete(ProposalCount))
    votes = select(func.count()).where(Vote.proposal_id == Proposal.id).scalar_subquery()
    follows = select(func.count()).where(Follow.proposal_id == Proposal.id).scalar_subquery()
    await session.execute(insert(ProposalTally).from_select(
        ["proposal_id", "votes", "followers"], select(Proposal.id, votes, follows)))
    grouped = (select(Proposal.status, Proposal.category_code, Proposal.department_code, func.count())
               .group_by(Proposal.status, Proposal.category_code, Proposal.department_code))
    await session.execute(insert(ProposalCount).from_select(
        ["status", "category_code", "department_code", "proposals"], grouped))


def _adding(session: AsyncSession, model: Any) -> Any:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + excluded.count, for every counted column
    of `model`; built once per dialect and table, run with one parameter set per row."""
    return _adding_for(dialect_of(session), model)


@cache
def _adding_for(dialect: str, model: Any) -> Any:
    insert_ = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    table = model.__table__
    keys = list(table.primary_key.columns)
    counted = {c.name: c + insert_.excluded[c.name] for c in table.columns if c not in keys}
    return insert_.on_conflict_do_update(index_elements=keys, set_=counted)
