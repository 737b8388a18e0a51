"""Granting and revoking roles (PRODUCT.md §1, §8), on SQLite and PostgreSQL, through the real schema."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.citizens import Account, ensure_identity, enter, find_identity, grant_role, load_actor, revoke_role
from core.db import Sessions
from core.errors import Forbidden, Invalid
from core.models import Citizen, Identity, RoleGrant
from core.reviews import Opinion, review
from core.rules import Rules
from tests.integration import factories as f

FORWARD = Opinion("forward", explanation="Worth a pilot on two roads.")
THRESHOLD_5 = Rules(vote_threshold=5, review_days=14)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


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


async def test_a_person_granted_before_talking_gets_their_name_when_they_come(sessions: Sessions) -> None:
    """The dialogue room and notices show the citizen's name: it follows the account once they write."""
    async with sessions() as s, s.begin():
        await grant_role(s, "telegram", "4242", "moderator", None)
    async with sessions() as s, s.begin():
        actor = await enter(s, Account("telegram", "4242", "Jisoo"))
    async with sessions() as s:
        citizen = await s.get(Citizen, actor.citizen_id)
        assert citizen is not None and citizen.display_name == "Jisoo"
    other = await f.citizen(sessions, "Mina")  # a name already set is a rename only where it was that name
    async with sessions() as s, s.begin():
        await enter(s, Account("telegram", other.user_id, "Mina K."))
    async with sessions() as s:
        renamed = await s.get(Citizen, other.id)
        assert renamed is not None and renamed.display_name == "Mina K."
