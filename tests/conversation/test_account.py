"""A person's own session through the conversation: welcome, help, cancel, language, /link, /notify."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from core.db import Sessions
from tests.clock import Clock
from tests.driver import Speaker, said
from tests.integration import factories as f


async def test_welcome_offers_the_languages_and_help_fits_the_person(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    ivy = speaker("ivy")
    welcome = await ivy.command("start")
    assert "Welcome to Oasis of 10 Million Imagination!" in said(welcome)
    assert "3 supporters" in said(welcome)
    assert "For officials" not in said(await ivy.command("help"))
    official = await f.official(sessions, "transport")
    assert "/queue" in said(await speaker(official.user_id).command("help"))
    assert "There is nothing to cancel." == said(await ivy.command("cancel"))


async def test_language_by_command_and_by_button(speaker: Callable[..., Speaker]) -> None:
    jun = speaker("jun")
    assert said(await jun.command("lang", "ko")) == "언어를 바꿨어요: 한국어"
    assert "/lang ko|en|ja|zh — 언어 바꾸기" in said(await jun.command("help"))  # kept for the next event
    assert said(await jun.press("account.language", "en")) == "Language set: English"
    assert said(await jun.press("lang", "en")) == "Language set: English"  # the button's name before issue 8
    assert "Choose a language" in said(await jun.command("lang", "fr"))


async def test_linking_two_messengers_counts_one_person_once(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    on_telegram = speaker("kim")
    on_slack = speaker("U0KIM", platform="slack")
    await on_telegram.command("vote", str(pid))
    await on_slack.command("vote", str(pid))
    assert await f.vote_count(sessions, pid) == 2
    issued = said(await on_telegram.command("link"))
    code = re.search(r"Your link code: (\S+)", issued)
    assert code is not None and "within 10 minutes" in issued
    assert "That code is wrong" in said(await on_slack.command("link", "NOPE99"))
    linked = said(await on_slack.command("link", code.group(1)))
    assert "Your accounts are now linked" in linked and "1 vote was counted twice and now counts once." in linked
    assert await f.vote_count(sessions, pid) == 1
    assert (await f.get(sessions, pid)).status == "open"  # one person: the threshold of 3 is still far
    assert "That code is wrong" in said(await on_slack.command("link", code.group(1)))  # it works once


async def test_choosing_where_news_arrives(speaker: Callable[..., Speaker]) -> None:
    lee = speaker("lee")
    assert "News about proposals will reach you on Telegram." == said(await lee.command("notify", "via telegram"))
    assert "You have no linked slack account. Link it first with /link." == said(
        await lee.command("notify", "via slack"))
    assert "Send /notify via telegram or /notify via slack" in said(await lee.command("notify"))


async def test_the_room_flood_limit_is_one_per_person_across_linked_accounts(
    sessions: Sessions, speaker: Callable[..., Speaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    on_telegram, on_slack = speaker("nam"), speaker("U0NAM", platform="slack")
    code = re.search(r"Your link code: (\S+)", said(await on_telegram.command("link")))
    assert code is not None
    await on_slack.command("link", code.group(1))
    clock = Clock()
    monkeypatch.setattr("core.room.utcnow", clock)
    for n in range(3):
        assert said(await on_telegram.command("comment", f"{pid} telegram {n}")) == f"Your comment on #{pid} was added."
    for n in range(2):
        assert said(await on_slack.command("comment", f"{pid} slack {n}")) == f"Your comment on #{pid} was added."
    held = said(await on_slack.command("comment", f"{pid} one too many"))  # the sixth within 30 s, same person
    assert "faster than the room allows" in held
    assert "faster" in said(await on_telegram.command("comment", f"{pid} and another"))
    flood_notices = await f.outbox(sessions, kind="room_flood")
    assert len(flood_notices) == 1  # told once, not at every held message
    clock.advance(31)
    assert said(await on_telegram.command("comment", f"{pid} calmer")) == f"Your comment on #{pid} was added."
