"""Support for proposals. The count is exact and never a hot counter row: the tallies folded every few
seconds plus the changes the votes' own statements appended (core/tallies.py), so it costs the same
however many votes a proposal has.

A vote transaction never locks the proposal: concurrent votes do not queue behind each other. The move to
`under_review` happens in `start_review_if_due`, a short transaction of its own, run as the follow-up of
a vote that came near the threshold (core/reactions.py) and by the scheduler's sweep, guarded by a
conditional status update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from core import mileage, tallies
from core.citizens import Actor
from core.clock import utcnow
from core.errors import Forbidden, InvalidState, NotFound, OasisError
from core.events import EnteredReview, Supported, publish
from core.models import Call, Follow, Proposal, ProposalTally, TallyChange, Vote
from core.proposals import get_proposal, proposal_status, record_transition
from core.rules import Rules
from core.statuses import Status
from core.upsert import insert_rows

# Concurrent voters may each count fewer votes than were cast; re-check once the count is this close.
SETTLE_WINDOW = 16


@dataclass(frozen=True)
class VoteResult:
    proposal_id: int
    changed: bool
    count: int
    needed: int
    may_enter_review: bool
    """A follow-up after the commit checks whether this vote sent the proposal to review: a caller that
    answers the voter waits for it (core.reactions.follow_up)."""
    call_closes: datetime | None = None
    """For a proposal to a themed call: when the call closes (then it goes to review, whatever its votes)."""


_STANDING = (select(Proposal.id, Proposal.status, tallies.exact_votes(Proposal.id), Call.closes_at)
             .outerjoin(Call, Call.id == Proposal.call_id).where(Proposal.id.in_(bindparam("pids", expanding=True))))
"""Each proposal's status, exact count and call: built once, as building it was a tenth of a batch's work."""


async def count_votes(session: AsyncSession, proposal_id: int) -> int:
    return await tallies.votes_of(session, proposal_id)


async def vote(session: AsyncSession, actor: Actor, proposal_id: int, rules: Rules) -> VoteResult:
    result = (await vote_many(session, [(actor, proposal_id)], rules))[0]
    if isinstance(result, OasisError):
        raise result
    return result


async def vote_many(
    session: AsyncSession, requests: Sequence[tuple[Actor, int]], rules: Rules
) -> list[VoteResult | OasisError]:
    """Support from many people at once (a storm of Support presses in one transaction).

    A fixed handful of statements however many votes: statuses with their counts, one multi-row insert
    of votes and one of follows. Each request gets its result, or the error that refuses it, as if the
    requests had been applied one by one in their order (tests/integration/test_group_commit.py). Support
    from a person no messenger account vouches for (`Actor.vouched`: a web chat visitor not linked yet) is
    refused: a cookie is not a person, and the threshold counts people. The
    count is what this transaction saw plus its own votes up to that one: a concurrent transaction's votes
    may be missing from the reply (never from the table), which is why votes near the threshold are
    settled afterwards.
    """
    seen = (await session.execute(_STANDING, {"pids": list({pid for _, pid in requests})})).all()
    statuses = {pid: status for pid, status, _, _ in seen}
    counts = {pid: int(n) for pid, _, n, _ in seen}
    closes = {pid: at for pid, _, _, at in seen if at is not None}
    results: list[VoteResult | OasisError | None] = [None] * len(requests)
    wanted: dict[tuple[int, int], int] = {}  # (proposal, citizen) → first request asking for it
    for index, (actor, pid) in enumerate(requests):
        status = statuses.get(pid)
        if status is None or status == Status.HIDDEN:
            results[index] = NotFound("proposal_not_found", id=pid)
        elif not actor.vouched:  # a browser's cookie is not a person: Support counts from a messenger account
            results[index] = Forbidden("vote_needs_linked_account")
        elif status != Status.OPEN:
            results[index] = InvalidState("vote_not_open", id=pid, status=status)
        else:
            wanted.setdefault((pid, actor.citizen_id), index)
    inserted: set[tuple[int, int]] = set()
    if wanted:
        now = utcnow()
        rows = [{"proposal_id": pid, "citizen_id": cid, "created_at": now} for pid, cid in wanted]
        returned = await insert_rows(session, Vote, rows, returning=("proposal_id", "citizen_id"))
        inserted = {(int(pid), int(cid)) for pid, cid in returned}
        await mileage.award_votes(session, [(pid, cid, now) for pid, cid in sorted(inserted)])
        await insert_rows(session, Follow, [{"proposal_id": pid, "citizen_id": cid, "created_at": now}
                                            for pid, cid in sorted(inserted)])
    # Each told the count as of their vote, as if alone; per proposal one vote asks for the move to review:
    # the one that reached the threshold in this transaction's view, else the last of those near it (a
    # concurrent transaction's votes may be missing from the view). That one is credited with the move.
    checker: dict[int, tuple[int, int]] = {}  # proposal → (index of the vote that checks, its count)
    asked: list[tuple[int, bool, int]] = []  # (index, changed, count) of each request that may vote
    for index, (actor, pid) in enumerate(requests):
        if results[index] is not None:
            continue
        key = (pid, actor.citizen_id)
        changed = key in inserted and wanted[key] == index
        if changed:
            counts[pid] += 1
            settled = pid in checker and checker[pid][1] >= rules.vote_threshold
            if rules.vote_threshold - counts[pid] < SETTLE_WINDOW and pid not in closes and not settled:
                checker[pid] = (index, counts[pid])
        asked.append((index, changed, int(counts.get(pid, 0))))
    for index, changed, count in asked:
        actor, pid = requests[index]
        checks = checker.get(pid, (-1, 0))[0] == index
        results[index] = VoteResult(pid, changed, count, max(rules.vote_threshold - count, 0),
                                    call_closes=closes.get(pid), may_enter_review=checks)
        if changed:
            await publish(session, Supported(pid, actor.citizen_id, may_enter_review=checks))
    return [r for r in results if r is not None]


async def unvote(session: AsyncSession, actor: Actor, proposal_id: int, rules: Rules) -> VoteResult:
    status = await proposal_status(session, proposal_id)
    if status != Status.OPEN:
        raise InvalidState("unvote_not_open", id=proposal_id, status=status)
    removed = (await session.execute(
        delete(Vote).where(Vote.proposal_id == proposal_id, Vote.citizen_id == actor.citizen_id)
        .returning(Vote.created_at)
    )).scalars().all()
    for voted_at in removed:
        await mileage.take_back_vote(session, actor.citizen_id, proposal_id, voted_at)
    count = await count_votes(session, proposal_id)
    return VoteResult(proposal_id, bool(removed), count, max(rules.vote_threshold - count, 0),
                      may_enter_review=False)


async def start_review_if_due(session: AsyncSession, proposal_id: int, rules: Rules, *,
                              sent_by: int | None = None) -> bool:
    """Move an open proposal with enough votes to `under_review`; True only for the caller that moved it.
    `sent_by`: the citizen whose vote asked for this check."""
    if await count_votes(session, proposal_id) < rules.vote_threshold:
        return False
    proposal = await get_proposal(session, proposal_id, for_update=True)
    if proposal.status != Status.OPEN or proposal.call_id is not None:  # a call's go to review when it closes
        return False
    deadline = utcnow() + timedelta(days=rules.review_days)
    proposal.review_deadline = deadline
    await record_transition(session, proposal, Status.UNDER_REVIEW, actor_id=None,
                            extra={"deadline": deadline.isoformat(timespec="minutes")})
    await publish(session, EnteredReview(proposal.id, deadline, sent_by))
    return True


async def due_for_review(session: AsyncSession, rules: Rules, limit: int = 100) -> list[int]:
    """Open proposals whose votes already reach the threshold (missed by a crash or a race, or a threshold
    lowered since). Only those whose folded tally reaches it, or with votes not folded yet, can: no vote
    is counted, and the cost follows the open proposals, not the votes."""
    threshold = rules.vote_threshold
    free = (Proposal.status == Status.OPEN.value, Proposal.call_id.is_(None))  # a call's wait for it to close
    folded = (select(Proposal.id.label("id")).join(ProposalTally, ProposalTally.proposal_id == Proposal.id)
              .where(ProposalTally.votes >= threshold, *free))
    pending = select(Proposal.id.label("id")).where(Proposal.id.in_(select(TallyChange.proposal_id)), *free)
    candidates = union(folded, pending).subquery()
    rows = await session.execute(select(candidates.c.id).where(tallies.exact_votes(candidates.c.id) >= threshold)
                                 .order_by(candidates.c.id).limit(limit))
    return [int(pid) for (pid,) in rows.all()]
