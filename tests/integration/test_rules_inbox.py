"""The inbox (exactly-once events) and guided-dialog state, on SQLite and PostgreSQL, through the real schema."""

from __future__ import annotations

import pytest

from core.db import Sessions
from core.dialogs import clear_state, get_state, set_state
from core.inbox import claim_event
from core.rules import Rules

THRESHOLD_5 = Rules(vote_threshold=5, review_days=14)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


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
