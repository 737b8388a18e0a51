"""The department's opinion: who may publish it and what follows (PRODUCT.md §2),
on SQLite and PostgreSQL, through the real schema."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import proposals
from core.db import Sessions
from core.errors import Forbidden, Invalid, InvalidState
from core.models import DepartmentReview, OutboxMessage, StatusEvent
from core.reviews import Opinion, review
from core.rules import Rules
from tests.integration import factories as f

THRESHOLD_5 = Rules(vote_threshold=5, review_days=14)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


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
