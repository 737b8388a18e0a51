"""Mileage through the conversation: each act earns once (also when its event is delivered again), reversals
are entries of their own, comments earn at most 10 a day, and /link merges two ledgers without doubling."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bots.conversation import Conversation
from bots.neutral import Command, Inbound, Where, Who
from core import mileage
from core.db import Sessions
from core.models import MileageEntry
from tests.clock import Clock
from tests.driver import Speaker, said
from tests.integration import factories as f


async def ledger(sessions: Sessions, person: f.Person | int) -> list[tuple[str, int]]:
    citizen = person if isinstance(person, int) else person.id
    async with sessions() as s:
        return [(e.reason, e.points) for e in reversed(await mileage.recent(s, citizen, limit=100))]


async def citizen_of(sessions: Sessions, platform: str, user: str) -> int:
    from core.citizens import find_identity

    async with sessions() as s:
        found = await find_identity(s, platform, user)
        assert found is not None
        return found.citizen_id


async def test_each_act_earns_once_and_reversals_are_entries(
    sessions: Sessions, speaker: Callable[..., Speaker], conversation: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = speaker("author")
    await author.command("propose")
    await author.text("Benches in the square")
    await author.text("Older people need places to rest.")
    await author.press("propose.category", "welfare")
    await author.press("propose.submit", "1")
    me = await citizen_of(sessions, "telegram", "author")
    assert await ledger(sessions, me) == [("proposal", 10)]

    fan = speaker("fan")
    vote = Inbound("telegram", "same-event", Who("telegram", "fan", "Fan", "en"), Where("fan"), Command("vote", "1"))
    await conversation(vote)
    assert await conversation(vote) is None  # delivered again: taken once
    await fan.command("unvote", "1")
    await fan.command("vote", "1")
    them = await citizen_of(sessions, "telegram", "fan")
    assert await ledger(sessions, them) == [("vote", 1), ("unvote", -1), ("vote", 1)]
    said_once = Inbound("telegram", "same-comment", Who("telegram", "fan", "Fan", "en"), Where("fan"),
                        Command("comment", "1 Said once, delivered twice."))
    await conversation(said_once)
    assert await conversation(said_once) is None
    assert [e for e in await ledger(sessions, them) if e[0] == "comment"] == [("comment", 2)]
    clock = Clock()
    monkeypatch.setattr("core.room.utcnow", clock)
    for n in range(12):
        clock.advance(31)  # slowly enough for the room's flood limit, within one day
        await fan.command("comment", f"1 thought {n}")
    comments = [entry for entry in await ledger(sessions, them) if entry[0] == "comment"]
    assert comments == [("comment", 2)] * 10  # at most 10 a day (the one above among them)
    shown = said(await fan.command("mileage"))
    assert "Your mileage: 21 points" in shown and "Level: 🌱 Sprout" in shown and "29 more points" in shown
    assert "+2 · comment on #1" in shown

    await author.command("withdraw", "1")
    assert await ledger(sessions, me) == [("proposal", 10), ("proposal_reversed", -10)]
    async with sessions() as s:
        assert not await mileage.award(s, me, "proposal:1", "proposal", 10, 1)  # the act is in the ledger


async def test_the_path_earns_the_author_review_adoption_and_implementation(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    author = await f.citizen(sessions, "author")
    pid = await f.under_review(sessions, author)
    official = speaker((await f.official(sessions, "transport")).user_id)
    await official.command("review", f"{pid} forward Worth it.")
    admin = speaker((await f.admin(sessions)).user_id)
    await admin.command("decide", f"{pid} adopt Good.")
    await official.command("progress", f"{pid} implementing Started.")
    await official.command("progress", f"{pid} implementing More.")
    await official.command("progress", f"{pid} implemented Done.")
    assert await ledger(sessions, author) == [("proposal", 10), ("review", 20), ("adopted", 100),
                                              ("implemented", 50)]
    shown = said(await speaker(author.user_id).command("mileage"))
    assert "Your mileage: 180 points" in shown and "Level: 🏠 Citizen" in shown and "20 more points" in shown


async def test_linking_merges_two_ledgers_without_doubling(sessions: Sessions, speaker: Callable[..., Speaker]) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    other = await f.proposal(sessions, await f.citizen(sessions, "author2"))
    on_telegram, on_slack = speaker("kim"), speaker("U0KIM", platform="slack")
    await on_telegram.command("vote", str(pid))
    await on_slack.command("vote", str(pid))  # the same person, before linking: two votes, two points
    await on_slack.command("vote", str(other))
    code = re.search(r"Your link code: (\S+)", said(await on_telegram.command("link")))
    assert code is not None
    await on_slack.command("link", code.group(1))
    person = await citizen_of(sessions, "telegram", "kim")
    assert person == await citizen_of(sessions, "slack", "U0KIM")
    async with sessions() as s:
        assert await mileage.balance(s, person) == 2  # one vote on each proposal
        entries = (await s.scalars(select(MileageEntry))).all()
    assert all(row.citizen_id == person for row in entries if row.reason in ("vote", "unvote"))
