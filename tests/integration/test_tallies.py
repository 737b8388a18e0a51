"""The tallies (core/tallies.py) on SQLite and PostgreSQL: every read is exact whether or not the changes
the triggers appended have been folded, the fold moves each change once, and the triggers exist at head."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import func, select, text

from core import linking, proposals, queries, tallies, votes
from core.db import Sessions, make_engine, make_sessions
from core.migrate import alembic_config, upgrade
from core.models import Follow, Proposal, ProposalCount, ProposalTally, TallyChange, Vote
from core.rules import Rules
from core.statuses import Status
from scheduler.jobs import JobEnv, run_job
from tests.dbutil import empty_database
from tests.integration import factories as f
from tests.integration.test_migrations import NOW, run

RULES = Rules(vote_threshold=1000)
TRIGGERS = {"tally_votes_insert", "tally_votes_delete", "tally_votes_move", "tally_follows_insert",
            "tally_follows_delete", "tally_follows_move", "tally_proposals_insert", "tally_proposals_update",
            "tally_proposals_delete"}


async def _truth(sessions: Sessions) -> dict[int, tuple[int, int]]:
    """(supporters, followers) of every proposal, counted the slow way."""
    async with sessions() as s:
        pids = (await s.scalars(select(Proposal.id))).all()
        return {pid: (int(await s.scalar(select(func.count()).where(Vote.proposal_id == pid)) or 0),
                      int(await s.scalar(select(func.count()).where(Follow.proposal_id == pid)) or 0))
                for pid in pids}


async def _read(sessions: Sessions) -> dict[int, tuple[int, int]]:
    async with sessions() as s:
        pids = (await s.scalars(select(Proposal.id))).all()
        return {pid: (await tallies.votes_of(s, pid), await tallies.followers_of(s, pid)) for pid in pids}


async def _fold(sessions: Sessions) -> int:
    async with sessions() as s, s.begin():
        return await tallies.fold_all(s)


async def _pending(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(TallyChange)) or 0)


async def test_counts_are_exact_before_and_after_the_fold(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    a, b = await f.proposal(sessions, author), await f.proposal(sessions, author, category="welfare")
    people = [await f.citizen(sessions) for _ in range(5)]
    for person in people:
        await f.vote(sessions, person, a, RULES)
    await f.vote(sessions, people[0], b, RULES)
    assert await _read(sessions) == await _truth(sessions) == {a: (5, 6), b: (1, 2)}
    assert await _pending(sessions) > 0
    assert await _fold(sessions) > 0
    assert await _pending(sessions) == 0
    assert await _read(sessions) == {a: (5, 6), b: (1, 2)}
    async with sessions() as s:
        folded = {row.proposal_id: (row.votes, row.followers) for row in (await s.scalars(select(ProposalTally)))}
    assert folded == {a: (5, 6), b: (1, 2)}

    # Taking support back and unfollowing after the fold: the negative changes count at once.
    async with sessions() as s, s.begin():
        await votes.unvote(s, people[1].actor, a, RULES)
        await proposals.unfollow(s, people[2].actor, a)
    assert await _read(sessions) == await _truth(sessions) == {a: (4, 5), b: (1, 2)}
    await _fold(sessions)
    assert await _read(sessions) == {a: (4, 5), b: (1, 2)}


async def test_a_batch_of_votes_is_counted_exactly_and_a_repeated_vote_not_at_all(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    people = [await f.citizen(sessions) for _ in range(30)]
    async with sessions() as s, s.begin():
        await votes.vote_many(s, [(p.actor, pid) for p in people] + [(people[0].actor, pid)], RULES)
    async with sessions() as s, s.begin():
        await votes.vote_many(s, [(p.actor, pid) for p in people[:10]], RULES)  # all already counted
    assert (await _read(sessions))[pid] == (30, 31)
    async with sessions() as s:
        changes = (await s.scalars(select(TallyChange).where(TallyChange.proposal_id == pid))).all()
    assert sum(c.votes for c in changes) == 30 and sum(c.followers for c in changes) == 31
    # PostgreSQL: one change row per statement (the batch's votes are one multi-row insert); SQLite: per row.
    dialect = sessions.kw["bind"].dialect.name
    assert len([c for c in changes if c.votes]) == (1 if dialect == "postgresql" else 30)


async def test_linking_two_accounts_that_both_voted_counts_one_supporter(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    await _fold(sessions)
    on_telegram = await f.citizen(sessions, "Mina", platform="telegram")
    on_slack = await f.citizen(sessions, "Mina", platform="slack")
    await f.vote(sessions, on_telegram, pid, RULES)
    await f.vote(sessions, on_slack, pid, RULES)
    await _fold(sessions)
    async with sessions() as s, s.begin():
        code = await linking.issue_code(s, on_telegram.actor, "telegram")
    async with sessions() as s, s.begin():
        await linking.redeem_code(s, on_slack.actor, code.lower())
    assert await _read(sessions) == await _truth(sessions)
    assert (await _read(sessions))[pid][0] == 1


async def test_totals_follow_submissions_and_status_changes(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    moderator = await f.citizen(sessions)
    ids = [await f.proposal(sessions, author, category=c) for c in ("transport", "transport", "welfare")]

    async def total(statuses: tuple[str, ...], category: str | None = None) -> int:
        async with sessions() as s:
            return await tallies.proposal_total(s, statuses, category)

    public = queries.PUBLIC_LIST_STATUSES
    assert (await total(public), await total(public, "transport"), await total(("open",), "welfare")) == (3, 2, 1)
    await _fold(sessions)
    async with sessions() as s, s.begin():
        p = await proposals.get_proposal(s, ids[0], for_update=True)
        await proposals.record_transition(s, p, Status.HIDDEN, actor_id=moderator.id, reason_text="spam")
    await f.withdraw(sessions, author, ids[2])
    assert (await total(public), await total(public, "transport"), await total(("hidden",))) == (1, 1, 1)
    await _fold(sessions)
    assert (await total(public), await total(("withdrawn",), "welfare"), await total(("hidden",))) == (1, 1, 1)
    async with sessions() as s:
        rows = {(r.status, r.category_code): r.proposals for r in (await s.scalars(select(ProposalCount)))}
    assert rows == {("open", "transport"): 1, ("hidden", "transport"): 1, ("open", "welfare"): 0,
                    ("withdrawn", "welfare"): 1}


async def _ballot(sessions: Sessions, plan: list[int]) -> list[int]:
    """Proposals with these numbers of supporters, in this order."""
    author = await f.citizen(sessions)
    people = [await f.citizen(sessions) for _ in range(max(plan))]
    ids = []
    for n in plan:
        pid = await f.proposal(sessions, author)
        for person in people[:n]:
            await f.vote(sessions, person, pid, RULES)
        ids.append(pid)
    return ids


async def test_top_is_exact_with_changes_not_folded_yet(sessions: Sessions) -> None:
    a, b, c, d = await _ballot(sessions, [3, 1, 2, 0])
    await _fold(sessions)
    late = [await f.citizen(sessions) for _ in range(3)]
    for person in late:  # d: 0 → 3 after the fold; a: 3 → 2
        await f.vote(sessions, person, d, RULES)
    async with sessions() as s, s.begin():
        first_voter = (await s.scalars(select(Vote.citizen_id).where(Vote.proposal_id == a))).first()
        assert first_voter is not None
        await s.execute(Vote.__table__.delete().where(Vote.proposal_id == a, Vote.citizen_id == first_voter))
    async with sessions() as s:
        ranked = await tallies.top(s, [Proposal.status == "open"], 0, 4)
        page = await tallies.top(s, [Proposal.status == "open"], 1, 2)
    assert ranked == [(d, 3), (c, 2), (a, 2), (b, 1)]  # ties: newest first
    assert page == [(c, 2), (a, 2)]
    async with sessions() as s:
        cards, total = await queries.list_cards(s, order="top", limit=2)
    assert [(card.id, card.votes) for card in cards] == [(d, 3), (c, 2)] and total == 4


async def test_top_falls_back_to_the_folded_order_when_a_fold_is_overdue(sessions: Sessions,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = await _ballot(sessions, [2, 1, 0])
    await _fold(sessions)
    for person in [await f.citizen(sessions) for _ in range(3)]:
        await f.vote(sessions, person, c, RULES)
        await f.vote(sessions, person, b, RULES)
    monkeypatch.setattr(tallies, "EXACT_TOP_MAX", 1)
    async with sessions() as s:
        cards, _ = await queries.list_cards(s, order="top", limit=3)
    assert [(card.id, card.votes) for card in cards] == [(a, 2), (b, 4), (c, 3)]  # folded order, exact counts
    await _fold(sessions)
    async with sessions() as s:
        cards, _ = await queries.list_cards(s, order="top", limit=3)
    assert [(card.id, card.votes) for card in cards] == [(b, 4), (c, 3), (a, 2)]


async def test_the_tallies_job_folds_everything_pending(sessions: Sessions) -> None:
    await _ballot(sessions, [2, 1])
    before = await _truth(sessions)
    outcome = await run_job(JobEnv(sessions, RULES), "tallies")
    assert outcome.ran and outcome.error is None and outcome.result and outcome.result > 0
    assert await _pending(sessions) == 0
    async with sessions() as s:
        folded = {r.proposal_id: (r.votes, r.followers) for r in (await s.scalars(select(ProposalTally)))}
    assert folded == before


async def test_rebuild_counts_everything_again(sessions: Sessions) -> None:
    await _ballot(sessions, [3, 0, 1])
    before = await _truth(sessions)
    async with sessions() as s, s.begin():
        await s.execute(ProposalTally.__table__.update().values(votes=99))  # as after a load without triggers
        await tallies.rebuild(s)
    assert await _pending(sessions) == 0
    assert await _read(sessions) == before


async def test_the_triggers_exist_at_head(sessions: Sessions, db_url: str) -> None:
    async with sessions() as s:
        if s.bind.dialect.name == "postgresql":
            query = "SELECT DISTINCT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'tally_%'"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tally_%'"
        names = set((await s.scalars(text(query))).all())
    assert names == TRIGGERS


async def test_the_migration_counts_what_was_stored_before_it(db_url: str) -> None:
    await empty_database(db_url)
    await upgrade(db_url, revision="0009")
    await run(db_url, "INSERT INTO departments (code, name_ko, name_en) VALUES ('transport', '교통', 'Transport')")
    await run(db_url, "INSERT INTO categories (code, name_ko, name_en, department_code, position) VALUES "
              "('transport', '교통', 'Transport', 'transport', 0)")
    await run(db_url, "INSERT INTO citizens (id, display_name, created_at) VALUES (1, 'A', :t), (2, 'B', :t), "
              "(3, 'C', :t)", t=NOW)
    for pid, status in ((1, "open"), (2, "adopted")):
        await run(db_url, "INSERT INTO proposals (id, author_id, kind, title, description, category_code, "
                  "department_code, status, created_at, status_changed_at) VALUES "
                  "(:id, 1, 'free', 'T', 'D', 'transport', 'transport', :s, :t, :t)", id=pid, s=status, t=NOW)
    for pid, cid in ((1, 2), (1, 3), (2, 3)):
        await run(db_url, "INSERT INTO votes (proposal_id, citizen_id, created_at) VALUES (:p, :c, :t)",
                  p=pid, c=cid, t=NOW)
        await run(db_url, "INSERT INTO follows (proposal_id, citizen_id, created_at) VALUES (:p, :c, :t)",
                  p=pid, c=cid, t=NOW)
    await upgrade(db_url)
    assert [tuple(r) for r in await run(db_url, "SELECT proposal_id, votes, followers FROM proposal_tallies "
                                        "ORDER BY proposal_id")] == [(1, 2, 2), (2, 1, 1)]
    assert sorted(tuple(r) for r in await run(db_url, "SELECT status, proposals FROM proposal_counts")) == [
        ("adopted", 1), ("open", 1)]
    engine = make_engine(db_url)
    try:
        sessions = make_sessions(engine)
        await run(db_url, "DELETE FROM votes WHERE proposal_id = 1 AND citizen_id = 2")
        assert (await _read(sessions))[1] == (1, 2)
    finally:
        await engine.dispose()
    await asyncio.to_thread(command.downgrade, alembic_config(db_url), "0009")
    await empty_database(db_url)  # the next test migrates again
