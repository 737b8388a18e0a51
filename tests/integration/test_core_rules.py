"""The rules of a proposal's life (PRODUCT.md §1–§2), on SQLite and PostgreSQL, through the real schema."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import proposals, votes
from core.citizens import ensure_identity, find_identity, grant_role, load_actor, revoke_role
from core.clock import utcnow
from core.db import Sessions
from core.dialogs import clear_state, get_state, set_state
from core.errors import Forbidden, Invalid, InvalidState, NotFound
from core.inbox import claim_event
from core.models import Citizen, Comment, DepartmentReview, Identity, OutboxMessage, RoleGrant, StatusEvent
from core.reviews import Opinion, review
from core.rules import Rules
from core.statuses import Status
from tests.integration import factories as f

THRESHOLD_5 = Rules(vote_threshold=5, review_days=14)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


# --- submit -------------------------------------------------------------------------------------------


async def test_submit_creates_an_open_proposal_routed_to_its_department(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "Ana")
    before = utcnow()
    async with sessions() as s, s.begin():
        made = await proposals.submit(s, author.actor, title="  Shade\x00 trees\n on  school roads ",
                                      description="Plant trees.\n\nMany of them.", category="environment")
        pid = made.id
    p = await f.get(sessions, pid)
    assert p.status == "open"
    assert p.title == "Shade trees on school roads"
    assert p.description == "Plant trees.\n\nMany of them."
    assert p.category_code == "environment"
    assert p.department_code == "environment"
    assert p.author_id == author.id
    assert p.review_deadline is None
    assert before - timedelta(seconds=1) <= p.created_at <= utcnow() + timedelta(seconds=1)

    history = await f.events(sessions, pid)
    assert [(e.from_status, e.to_status, e.actor_id) for e in history] == [(None, "open", author.id)]
    assert await f.followers(sessions, pid) == {author.id}
    assert await f.outbox(sessions) == []  # nobody to tell yet


async def test_submit_routes_each_category_to_its_configured_department(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author, category="welfare")
    assert (await f.get(sessions, pid)).department_code == "welfare"


async def test_submit_refuses_an_unknown_category_and_writes_nothing(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    with pytest.raises(Invalid) as info:
        async with sessions() as s, s.begin():
            await proposals.submit(s, author.actor, title="t", description="d", category="space_program")
    assert info.value.code == "unknown_category"
    assert info.value.params == {"category": "space_program"}
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(StatusEvent)) == 0


@pytest.mark.parametrize(("title", "description", "code"), [
    ("", "d", "title_empty"),
    ("x" * 101, "d", "title_too_long"),
    ("t", " ", "description_empty"),
    ("t", "d" * 4001, "description_too_long"),
])
async def test_submit_checks_the_limits(sessions: Sessions, title: str, description: str, code: str) -> None:
    author = await f.citizen(sessions)
    with pytest.raises(Invalid) as info:
        async with sessions() as s, s.begin():
            await proposals.submit(s, author.actor, title=title, description=description, category="transport")
    assert info.value.code == code


# --- votes --------------------------------------------------------------------------------------------


async def test_voting_twice_counts_once_and_the_voter_follows(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    first = await f.vote(sessions, voter, pid, THRESHOLD_5)
    assert (first.changed, first.count, first.needed) == (True, 1, 4)
    second = await f.vote(sessions, voter, pid, THRESHOLD_5)
    assert (second.changed, second.count, second.needed) == (False, 1, 4)
    assert not second.settle  # nothing changed, nothing to settle
    assert await f.vote_count(sessions, pid) == 1
    assert await f.followers(sessions, pid) == {author.id, voter.id}


async def test_unvote_removes_the_vote(sessions: Sessions) -> None:
    author, a, b = await f.citizen(sessions), await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    await f.vote(sessions, a, pid, THRESHOLD_5)
    await f.vote(sessions, b, pid, THRESHOLD_5)
    async with sessions() as s, s.begin():
        result = await votes.unvote(s, a.actor, pid, THRESHOLD_5)
    assert (result.changed, result.count, result.needed) == (True, 1, 4)
    assert await f.vote_count(sessions, pid) == 1
    async with sessions() as s, s.begin():
        again = await votes.unvote(s, a.actor, pid, THRESHOLD_5)
    assert (again.changed, again.count) == (False, 1)
    # Voting again after taking it back counts again.
    assert (await f.vote(sessions, a, pid, THRESHOLD_5)).changed


async def test_vote_on_a_missing_proposal_is_not_found(sessions: Sessions) -> None:
    voter = await f.citizen(sessions)
    with pytest.raises(NotFound) as info:
        await f.vote(sessions, voter, 4242, THRESHOLD_5)
    assert info.value.code == "proposal_not_found"


async def test_vote_and_unvote_only_while_open(sessions: Sessions) -> None:
    author, voter, late = await f.citizen(sessions), await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.under_review(sessions, author, voters=[voter])
    with pytest.raises(InvalidState) as info:
        await f.vote(sessions, late, pid, THRESHOLD_5)
    assert info.value.code == "vote_not_open"
    assert info.value.params["status"] == "under_review"
    with pytest.raises(InvalidState) as un:
        async with sessions() as s, s.begin():
            await votes.unvote(s, voter.actor, pid, THRESHOLD_5)
    assert un.value.code == "unvote_not_open"
    assert await f.vote_count(sessions, pid) == 1


async def test_vote_on_a_withdrawn_proposal_is_refused(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        await proposals.withdraw(s, author.actor, pid)
    with pytest.raises(InvalidState) as info:
        await f.vote(sessions, voter, pid, THRESHOLD_5)
    assert info.value.code == "vote_not_open"


# --- the threshold ------------------------------------------------------------------------------------


async def test_the_fifth_vote_sends_the_proposal_to_review(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    transport = await f.official(sessions, "transport")
    welfare = await f.official(sessions, "welfare")
    pid = await f.proposal(sessions, author, category="transport")
    voters = [await f.citizen(sessions, f"voter {i}") for i in range(5)]

    for i, voter in enumerate(voters[:4]):
        result = await f.vote(sessions, voter, pid, THRESHOLD_5)
        assert (result.count, result.needed) == (i + 1, 4 - i)
        assert not await f.start_review(sessions, pid, THRESHOLD_5)
    assert (await f.get(sessions, pid)).status == "open"
    assert await f.outbox(sessions) == []

    fifth = await f.vote(sessions, voters[4], pid, THRESHOLD_5)
    assert (fifth.changed, fifth.count, fifth.needed, fifth.settle) == (True, 5, 0, True)
    assert (await f.get(sessions, pid)).status == "open"  # the vote itself never moves it

    before = utcnow()
    assert await f.start_review(sessions, pid, THRESHOLD_5)
    p = await f.get(sessions, pid)
    assert p.status == "under_review"
    assert p.review_deadline is not None
    expected = before + timedelta(days=14)
    assert abs(p.review_deadline - expected) <= timedelta(minutes=1)

    moved = [e for e in await f.events(sessions, pid) if e.to_status == "under_review"]
    assert len(moved) == 1
    assert (moved[0].from_status, moved[0].actor_id) == ("open", None)

    changed = await f.outbox(sessions, kind="status_changed")
    assert f.recipients(changed) == sorted([author.id, *(v.id for v in voters)])
    assert {r.event_key for r in changed} == {f"status:{moved[0].id}"}
    for row in changed:
        assert row.status == "pending"
        assert row.params["id"] == pid
        assert (row.params["from"], row.params["to"]) == ("open", "under_review")
        assert row.params["title"] == "More bike lanes"
        assert row.params["deadline"] == p.review_deadline.isoformat(timespec="minutes")

    queued = await f.outbox(sessions, kind="review_queued")
    assert f.recipients(queued) == [transport.id]  # not the welfare official
    assert welfare.id not in f.recipients(await f.outbox(sessions))
    assert queued[0].params["department"] == "transport"
    assert queued[0].params["id"] == pid

    # Once moved, another call changes nothing and writes nothing.
    rows_before = len(await f.outbox(sessions))
    assert not await f.start_review(sessions, pid, THRESHOLD_5)
    assert len(await f.outbox(sessions)) == rows_before
    assert len(await f.events(sessions, pid)) == 2


async def test_review_days_set_the_deadline(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    before = utcnow()
    pid = await f.under_review(sessions, author, voters=[voter], review_days=3)
    deadline = (await f.get(sessions, pid)).review_deadline
    assert deadline is not None
    assert abs(deadline - (before + timedelta(days=3))) <= timedelta(minutes=1)


async def test_start_review_is_atomic_with_its_notifications(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    await f.official(sessions, "transport")
    rules = Rules(vote_threshold=1)
    pid = await f.proposal(sessions, author)
    await f.vote(sessions, voter, pid, rules)
    with pytest.raises(Boom):
        async with sessions() as s, s.begin():
            assert await votes.start_review_if_due(s, pid, rules)
            raise Boom
    assert (await f.get(sessions, pid)).status == "open"
    assert (await f.get(sessions, pid)).review_deadline is None
    assert len(await f.events(sessions, pid)) == 1
    assert await f.outbox(sessions) == []
    # and the sweep finds it again
    async with sessions() as s:
        assert await votes.due_for_review(s, rules) == [pid]


async def test_due_for_review_finds_proposals_that_reached_the_threshold_but_never_moved(
    sessions: Sessions,
) -> None:
    author = await f.citizen(sessions)
    people = [await f.citizen(sessions) for _ in range(5)]
    enough = await f.proposal(sessions, author, title="enough")
    too_few = await f.proposal(sessions, author, title="too few")
    moved = await f.proposal(sessions, author, title="moved")
    for person in people:
        await f.vote(sessions, person, enough, THRESHOLD_5)
        await f.vote(sessions, person, moved, THRESHOLD_5)
    for person in people[:4]:
        await f.vote(sessions, person, too_few, THRESHOLD_5)
    assert await f.start_review(sessions, moved, THRESHOLD_5)

    async with sessions() as s:
        assert await votes.due_for_review(s, THRESHOLD_5) == [enough]
        assert sorted(await votes.due_for_review(s, Rules(vote_threshold=4))) == sorted([enough, too_few])
        assert await votes.due_for_review(s, Rules(vote_threshold=6)) == []

    # The sweep then moves it.
    for pid in [enough]:
        assert await f.start_review(sessions, pid, THRESHOLD_5)
    async with sessions() as s:
        assert await votes.due_for_review(s, THRESHOLD_5) == []


async def test_concurrent_votes_then_concurrent_settles_move_it_exactly_once(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    await f.official(sessions, "transport")
    pid = await f.proposal(sessions, author)
    voters = [await f.citizen(sessions, f"voter {i}") for i in range(10)]

    results = await asyncio.gather(*(f.vote(sessions, v, pid, THRESHOLD_5) for v in voters))
    assert all(r.changed for r in results)
    # Under concurrency a voter may see fewer votes than were cast (never more, never zero)...
    assert all(1 <= r.count <= 10 for r in results)
    # ...so every vote this near the threshold asks its caller to settle.
    assert all(r.settle for r in results)

    moved = await asyncio.gather(*(f.start_review(sessions, pid, THRESHOLD_5) for _ in voters))
    assert moved.count(True) == 1

    assert (await f.get(sessions, pid)).status == "under_review"
    assert await f.vote_count(sessions, pid) == 10
    to_review = [e for e in await f.events(sessions, pid) if e.to_status == "under_review"]
    assert len(to_review) == 1
    assert len(await f.outbox(sessions, kind="status_changed")) == 11  # author + 10 voters, once each
    assert len(await f.outbox(sessions, kind="review_queued")) == 1


async def test_concurrent_vote_and_settle_race_moves_it_exactly_once(sessions: Sessions) -> None:
    """The real flow: each voter votes, commits, then settles if told to; all ten at once."""
    author = await f.citizen(sessions, "author")
    pid = await f.proposal(sessions, author)
    voters = [await f.citizen(sessions, f"voter {i}") for i in range(10)]

    async def vote_then_settle(voter: f.Person) -> tuple[str, bool]:
        try:
            result = await f.vote(sessions, voter, pid, THRESHOLD_5)
        except InvalidState as error:
            assert error.code == "vote_not_open"
            return "refused", False
        moved = await f.start_review(sessions, pid, THRESHOLD_5) if result.settle else False
        return "counted", moved

    outcomes = await asyncio.gather(*(vote_then_settle(v) for v in voters))
    assert [moved for _, moved in outcomes].count(True) == 1
    counted = sum(1 for what, _ in outcomes if what == "counted")
    assert 5 <= counted <= 10
    assert await f.vote_count(sessions, pid) == counted
    assert (await f.get(sessions, pid)).status == "under_review"
    assert len([e for e in await f.events(sessions, pid) if e.to_status == "under_review"]) == 1
    # Exactly one notice per follower for the one transition.
    changed = await f.outbox(sessions, kind="status_changed")
    assert len(changed) == len({r.citizen_id for r in changed})


# --- department review: permissions -------------------------------------------------------------------

REJECT_BUDGET = Opinion("reject", necessity="Useful", feasibility="Hard", budget_krw=1_200_000_000,
                        reason_code="budget", explanation="The 2026 budget is fully committed.")
FORWARD = Opinion("forward", necessity="High", effectiveness="Good", feasibility="Feasible",
                  budget_krw=50_000_000, explanation="Worth a pilot on two roads.")


async def _review(sessions: Sessions, person: f.Person, pid: int, opinion: Opinion) -> DepartmentReview:
    async with sessions() as s, s.begin():
        return await review(s, person.actor, pid, opinion)


async def test_a_plain_citizen_cannot_review(sessions: Sessions) -> None:
    author, someone = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.under_review(sessions, author)
    with pytest.raises(Forbidden) as info:
        await _review(sessions, someone, pid, REJECT_BUDGET)
    assert info.value.code == "staff_only"
    moderator = await f.grant(sessions, await f.citizen(sessions), "moderator")
    with pytest.raises(Forbidden) as mod:
        await _review(sessions, moderator, pid, REJECT_BUDGET)
    assert mod.value.code == "staff_only"
    assert (await f.get(sessions, pid)).status == "under_review"


async def test_an_official_of_another_department_cannot_review(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    welfare = await f.official(sessions, "welfare")
    pid = await f.under_review(sessions, author, category="transport")
    with pytest.raises(Forbidden) as info:
        await _review(sessions, welfare, pid, REJECT_BUDGET)
    assert info.value.code == "not_your_department"
    assert info.value.params == {"id": pid, "department": "transport"}
    assert await f.reviews(sessions, pid) == []


async def test_the_departments_official_and_an_admin_may_review(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    boss = await f.admin(sessions)
    first = await f.under_review(sessions, author, title="first")
    second = await f.under_review(sessions, author, title="second")
    row = await _review(sessions, transport, first, FORWARD)
    assert (row.official_id, row.department_code) == (transport.id, "transport")
    assert (await f.get(sessions, first)).status == "panel_review"
    admin_row = await _review(sessions, boss, second, REJECT_BUDGET)
    assert admin_row.official_id == boss.id
    assert (await f.get(sessions, second)).status == "rejected"


async def test_an_official_of_several_departments_reviews_in_each(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    both = await f.grant(sessions, await f.official(sessions, "transport"), "official", "welfare")
    pid = await f.under_review(sessions, author, category="welfare")
    await _review(sessions, both, pid, FORWARD)
    assert (await f.get(sessions, pid)).status == "panel_review"


async def test_no_review_while_open_or_after_the_opinion(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    open_pid = await f.proposal(sessions, author)
    with pytest.raises(InvalidState) as info:
        await _review(sessions, transport, open_pid, FORWARD)
    assert info.value.code == "review_not_under_review"
    assert info.value.params["status"] == "open"

    pid = await f.under_review(sessions, author)
    await _review(sessions, transport, pid, FORWARD)
    with pytest.raises(InvalidState) as again:
        await _review(sessions, transport, pid, REJECT_BUDGET)
    assert again.value.code == "review_not_under_review"
    assert again.value.params["status"] == "panel_review"
    assert len(await f.reviews(sessions, pid)) == 1


@pytest.mark.parametrize(("opinion", "code"), [
    (Opinion("reject", reason_code="budget", explanation=""), "explanation_empty"),
    (Opinion("reject", reason_code="budget", explanation=" \x00\n "), "explanation_empty"),
    (Opinion("reject", reason_code="money", explanation="Too expensive."), "unknown_reason_code"),
    (Opinion("reject", reason_code=None, explanation="Too expensive."), "unknown_reason_code"),
    (Opinion("reject", reason_code="law", explanation="x" * 4001), "explanation_too_long"),
    (Opinion("forward"), "opinion_empty"),
    (Opinion("maybe", explanation="hmm"), "unknown_recommendation"),
])
async def test_a_bad_opinion_is_refused_and_changes_nothing(
    sessions: Sessions, opinion: Opinion, code: str
) -> None:
    author = await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    pid = await f.under_review(sessions, author)
    rows_before = len(await f.outbox(sessions))
    with pytest.raises(Invalid) as info:
        await _review(sessions, transport, pid, opinion)
    assert info.value.code == code
    assert (await f.get(sessions, pid)).status == "under_review"
    assert await f.reviews(sessions, pid) == []
    assert len(await f.outbox(sessions)) == rows_before


# --- department review: effects -----------------------------------------------------------------------


async def test_reject_records_the_review_the_event_and_tells_every_follower(sessions: Sessions) -> None:
    author, voter, follower = await f.citizen(sessions), await f.citizen(sessions), await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    pid = await f.under_review(sessions, author, voters=[voter])
    async with sessions() as s, s.begin():
        assert await proposals.follow(s, follower.actor, pid)

    await _review(sessions, transport, pid, REJECT_BUDGET)

    assert (await f.get(sessions, pid)).status == "rejected"
    [row] = await f.reviews(sessions, pid)
    assert (row.recommendation, row.reason_code, row.explanation) == \
        ("reject", "budget", "The 2026 budget is fully committed.")
    assert (row.department_code, row.official_id, row.budget_krw) == ("transport", transport.id, 1_200_000_000)
    assert (row.necessity, row.feasibility) == ("Useful", "Hard")

    last = (await f.events(sessions, pid))[-1]
    assert (last.from_status, last.to_status, last.actor_id) == ("under_review", "rejected", transport.id)
    assert (last.reason_code, last.reason_text) == ("budget", "The 2026 budget is fully committed.")

    notices = await f.outbox(sessions, event_key=f"status:{last.id}")
    assert f.recipients(notices) == sorted([author.id, voter.id, follower.id])
    for notice in notices:
        assert notice.kind == "status_changed"
        assert notice.params["reason_code"] == "budget"
        assert notice.params["reason_text"] == "The 2026 budget is fully committed."
        assert notice.params["to"] == "rejected"
        assert notice.params["review_id"] == row.id
        assert notice.params["budget_krw"] == 1_200_000_000


async def test_reject_normalises_the_reason_code(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    pid = await f.under_review(sessions, author)
    await _review(sessions, transport, pid, Opinion("reject", reason_code=" LAW ", explanation="Ordinance 12."))
    assert (await f.reviews(sessions, pid))[0].reason_code == "law"
    assert (await f.events(sessions, pid))[-1].reason_code == "law"


async def test_review_rolled_back_leaves_no_trace(sessions: Sessions) -> None:
    """Outbox rows are written with the change: a rolled-back review leaves neither the change nor a notice."""
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    pid = await f.under_review(sessions, author, voters=[voter])
    outbox_before = [r.id for r in await f.outbox(sessions)]
    events_before = len(await f.events(sessions, pid))

    with pytest.raises(Boom):
        async with sessions() as s, s.begin():
            row = await review(s, transport.actor, pid, REJECT_BUDGET)
            # Inside the transaction everything is there...
            assert row.id is not None
            inside = (await s.scalars(select(OutboxMessage).where(OutboxMessage.id.not_in(outbox_before)))).all()
            assert sorted(r.citizen_id for r in inside) == sorted([author.id, voter.id])
            raise Boom

    # ...and after the rollback none of it is.
    assert (await f.get(sessions, pid)).status == "under_review"
    assert await f.reviews(sessions, pid) == []
    assert len(await f.events(sessions, pid)) == events_before
    assert [r.id for r in await f.outbox(sessions)] == outbox_before
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(DepartmentReview)) == 0
        assert await s.scalar(select(func.count()).where(StatusEvent.to_status == "rejected")) == 0

    # The same review then succeeds for real.
    await _review(sessions, transport, pid, REJECT_BUDGET)
    assert (await f.get(sessions, pid)).status == "rejected"


async def test_forward_moves_to_the_expert_panel(sessions: Sessions) -> None:
    author, voter = await f.citizen(sessions), await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    pid = await f.under_review(sessions, author, voters=[voter])
    row = await _review(sessions, transport, pid, FORWARD)
    assert (row.recommendation, row.reason_code, row.explanation) == ("forward", None, "Worth a pilot on two roads.")
    assert (await f.get(sessions, pid)).status == "panel_review"
    last = (await f.events(sessions, pid))[-1]
    assert (last.from_status, last.to_status, last.reason_code) == ("under_review", "panel_review", None)
    notices = await f.outbox(sessions, event_key=f"status:{last.id}")
    assert f.recipients(notices) == sorted([author.id, voter.id])
    assert notices[0].params["necessity"] == "High"


# --- withdraw -----------------------------------------------------------------------------------------


async def test_only_the_author_withdraws(sessions: Sessions) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    boss = await f.admin(sessions)
    pid = await f.proposal(sessions, author)
    for person in (other, boss):
        with pytest.raises(Forbidden) as info:
            async with sessions() as s, s.begin():
                await proposals.withdraw(s, person.actor, pid)
        assert info.value.code == "not_author"
    assert (await f.get(sessions, pid)).status == "open"


async def test_withdraw_only_while_open(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.under_review(sessions, author)
    with pytest.raises(InvalidState) as info:
        async with sessions() as s, s.begin():
            await proposals.withdraw(s, author.actor, pid)
    assert info.value.code == "withdraw_not_open"
    assert (await f.get(sessions, pid)).status == "under_review"


async def test_withdraw_tells_followers_but_not_the_author(sessions: Sessions) -> None:
    author, voter, follower = await f.citizen(sessions), await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    await f.vote(sessions, voter, pid, THRESHOLD_5)
    async with sessions() as s, s.begin():
        await proposals.follow(s, follower.actor, pid)
    async with sessions() as s, s.begin():
        await proposals.withdraw(s, author.actor, pid)
    assert (await f.get(sessions, pid)).status == "withdrawn"
    last = (await f.events(sessions, pid))[-1]
    assert (last.from_status, last.to_status, last.actor_id) == ("open", "withdrawn", author.id)
    notices = await f.outbox(sessions, kind="status_changed")
    assert f.recipients(notices) == sorted([voter.id, follower.id])
    assert all(n.event_key == f"status:{last.id}" for n in notices)


# --- roles --------------------------------------------------------------------------------------------


async def test_grant_before_the_person_ever_talked_to_the_bot(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        assert await find_identity(s, "slack", "U0NEW") is None
        assert await grant_role(s, "slack", "U0NEW", "official", "housing")
    async with sessions() as s, s.begin():
        ident = await find_identity(s, "slack", "U0NEW")
        assert ident is not None
        assert await s.get(Citizen, ident.citizen_id) is not None
        actor = await load_actor(s, ident.citizen_id)
        assert actor.may_review("housing") and not actor.may_review("transport")
        # When they do talk to the bot, it is the same citizen with the role.
        later = await ensure_identity(s, "slack", "U0NEW", display_name="Min")
        assert later.citizen_id == ident.citizen_id
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Identity)) == 1


async def test_grant_of_an_existing_citizen_keeps_their_citizen(sessions: Sessions) -> None:
    person = await f.citizen(sessions, "Ana")
    promoted = await f.grant(sessions, person, "admin")
    assert promoted.id == person.id
    assert promoted.actor.is_admin


async def test_official_requires_a_known_department(sessions: Sessions) -> None:
    with pytest.raises(Invalid) as info:
        async with sessions() as s, s.begin():
            await grant_role(s, "telegram", "77", "official")
    assert info.value.code == "department_required"
    with pytest.raises(Invalid) as unknown:
        async with sessions() as s, s.begin():
            await grant_role(s, "telegram", "77", "official", "space")
    assert unknown.value.code == "unknown_department"
    assert unknown.value.params == {"department": "space"}
    with pytest.raises(Invalid) as misplaced:
        async with sessions() as s, s.begin():
            await grant_role(s, "telegram", "77", "admin", "transport")
    assert misplaced.value.code == "department_only_for_officials"
    for role in ("citizen", "king", ""):
        with pytest.raises(Invalid) as bad:
            async with sessions() as s, s.begin():
                await grant_role(s, "telegram", "77", role)
        assert bad.value.code == "unknown_role"
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(RoleGrant)) == 0
        assert await find_identity(s, "telegram", "77") is None


async def test_duplicate_grant_returns_false(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        assert await grant_role(s, "telegram", "5", "admin")
        assert await grant_role(s, "telegram", "5", "official", "transport")
    async with sessions() as s, s.begin():
        assert not await grant_role(s, "telegram", "5", "admin")
        assert not await grant_role(s, "telegram", "5", "official", "transport")
        assert await grant_role(s, "telegram", "5", "official", "welfare")
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(RoleGrant)) == 3


async def test_revoke_removes_the_role(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        await grant_role(s, "telegram", "6", "official", "transport")
        await grant_role(s, "telegram", "6", "official", "welfare")
        await grant_role(s, "telegram", "6", "admin")
    async with sessions() as s, s.begin():
        assert await revoke_role(s, "telegram", "6", "official", "welfare") == 1
        ident = await find_identity(s, "telegram", "6")
        assert ident is not None
        actor = await load_actor(s, ident.citizen_id)
        assert actor.departments() == ["transport"] and actor.is_admin
    async with sessions() as s, s.begin():
        assert await revoke_role(s, "telegram", "6", "admin") == 1
        assert await revoke_role(s, "telegram", "6", "official") == 1  # every department of the role
        assert await revoke_role(s, "telegram", "6", "official") == 0
        assert await revoke_role(s, "telegram", "nobody", "admin") == 0
        actor = await load_actor(s, ident.citizen_id)
        assert actor.roles == frozenset()


async def test_a_revoked_official_can_no_longer_review(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    pid = await f.under_review(sessions, author)
    async with sessions() as s, s.begin():
        await revoke_role(s, transport.platform, transport.user_id, "official")
        fresh = await load_actor(s, transport.id)
    with pytest.raises(Forbidden) as info:
        async with sessions() as s, s.begin():
            await review(s, fresh, pid, FORWARD)
    assert info.value.code == "staff_only"


# --- comments -----------------------------------------------------------------------------------------


async def test_comment_is_added_and_the_author_is_told(sessions: Sessions) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        comment = await proposals.add_comment(s, other.actor, pid, "  Great idea!\x00  ", platform="slack")
        cid = comment.id
    async with sessions() as s:
        stored = await s.get(Comment, cid)
        assert stored is not None
        assert (stored.body, stored.citizen_id, stored.platform, stored.hidden) == \
            ("Great idea!", other.id, "slack", False)
    [notice] = await f.outbox(sessions, kind="new_comment")
    assert notice.citizen_id == author.id
    assert notice.event_key == f"comment:{cid}"
    assert notice.params == {"id": pid, "title": "More bike lanes", "comment_id": cid}


async def test_the_author_is_not_told_of_their_own_comment(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        await proposals.add_comment(s, author.actor, pid, "Some more detail.")
    assert await f.outbox(sessions) == []


@pytest.mark.parametrize(("body", "code"), [("", "comment_empty"), (" \n\x00 ", "comment_empty"),
                                            ("c" * 2001, "comment_too_long")])
async def test_bad_comments_are_refused(sessions: Sessions, body: str, code: str) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    with pytest.raises(Invalid) as info:
        async with sessions() as s, s.begin():
            await proposals.add_comment(s, other.actor, pid, body)
    assert info.value.code == code
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Comment)) == 0
    assert await f.outbox(sessions) == []


async def test_no_comments_on_a_withdrawn_proposal(sessions: Sessions) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        await proposals.withdraw(s, author.actor, pid)
    with pytest.raises(InvalidState) as info:
        async with sessions() as s, s.begin():
            await proposals.add_comment(s, other.actor, pid, "Too late?")
    assert info.value.code == "comment_closed"


async def test_comments_continue_under_review(sessions: Sessions) -> None:
    author, other = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.under_review(sessions, author)
    async with sessions() as s, s.begin():
        await proposals.add_comment(s, other.actor, pid, "Still relevant.")


async def test_a_hidden_proposal_is_not_found(sessions: Sessions) -> None:
    author, moderator = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        p = await proposals.get_proposal(s, pid, for_update=True)
        await proposals.record_transition(s, p, Status.HIDDEN, actor_id=moderator.id, reason_text="spam")
    for action in ("vote", "comment", "follow"):
        with pytest.raises(NotFound):
            async with sessions() as s, s.begin():
                if action == "vote":
                    await votes.vote(s, moderator.actor, pid, THRESHOLD_5)
                elif action == "comment":
                    await proposals.add_comment(s, moderator.actor, pid, "hi")
                else:
                    await proposals.follow(s, moderator.actor, pid)


async def test_follow_and_unfollow(sessions: Sessions) -> None:
    author, fan = await f.citizen(sessions), await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    async with sessions() as s, s.begin():
        assert await proposals.follow(s, fan.actor, pid)
        assert not await proposals.follow(s, fan.actor, pid)
    assert await f.followers(sessions, pid) == {author.id, fan.id}
    async with sessions() as s, s.begin():
        assert await proposals.unfollow(s, fan.actor, pid)
        assert not await proposals.unfollow(s, fan.actor, pid)
    assert await f.followers(sessions, pid) == {author.id}


async def test_a_bad_transition_is_refused(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author)
    with pytest.raises(InvalidState) as info:
        async with sessions() as s, s.begin():
            p = await proposals.get_proposal(s, pid, for_update=True)
            await proposals.record_transition(s, p, Status.ADOPTED, actor_id=author.id)
    assert info.value.code == "bad_transition"
    assert info.value.params == {"status": "open", "target": "adopted", "id": pid}


# --- inbox and dialogs --------------------------------------------------------------------------------


async def test_claim_event_once_per_platform(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        assert await claim_event(s, "telegram", "1001")
    async with sessions() as s, s.begin():
        assert not await claim_event(s, "telegram", "1001")
        assert await claim_event(s, "slack", "1001")
        assert await claim_event(s, "telegram", "1002")
    async with sessions() as s, s.begin():
        assert not await claim_event(s, "slack", "1001")


async def test_a_rolled_back_claim_can_be_claimed_again(sessions: Sessions) -> None:
    with pytest.raises(Boom):
        async with sessions() as s, s.begin():
            assert await claim_event(s, "telegram", "2001")
            raise Boom
    async with sessions() as s, s.begin():
        assert await claim_event(s, "telegram", "2001")


async def test_dialog_state_round_trip(sessions: Sessions) -> None:
    data = {"title": "Bike lanes 🚲", "description": "줄\n바꿈", "category": None, "similar": [3, 5],
            "nested": {"ok": True, "n": 1.5}}
    async with sessions() as s, s.begin():
        assert await get_state(s, "telegram", "42", "42") is None
        await set_state(s, "telegram", "42", "42", "propose", "description", data)
    async with sessions() as s:
        row = await get_state(s, "telegram", "42", "42")
        assert row is not None
        assert (row.flow, row.step, row.data) == ("propose", "description", data)
        assert await get_state(s, "telegram", "42", "other-chat") is None
        assert await get_state(s, "slack", "42", "42") is None
    async with sessions() as s, s.begin():
        await set_state(s, "telegram", "42", "42", "propose", "category", {**data, "category": "transport"})
    async with sessions() as s:
        row = await get_state(s, "telegram", "42", "42")
        assert row is not None
        assert (row.step, row.data["category"], row.data["similar"]) == ("category", "transport", [3, 5])
    async with sessions() as s, s.begin():
        assert await clear_state(s, "telegram", "42", "42")
        assert not await clear_state(s, "telegram", "42", "42")
    async with sessions() as s:
        assert await get_state(s, "telegram", "42", "42") is None
