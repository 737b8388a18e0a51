"""Withdrawing a proposal (PRODUCT.md §2), on SQLite and PostgreSQL, through the real schema."""

from __future__ import annotations

import pytest

from core import proposals
from core.db import Sessions
from core.errors import Forbidden, InvalidState
from core.rules import Rules
from tests.integration import factories as f

THRESHOLD_5 = Rules(vote_threshold=5, review_days=14)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


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
