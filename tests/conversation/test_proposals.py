"""Proposals through the conversation, as any adapter drives it: the guided /propose, the form, browsing."""

from __future__ import annotations

from collections.abc import Callable

from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import (
    ButtonPress,
    Command,
    FormSubmit,
    OpenForm,
    RefuseForm,
    Text,
)
from core.db import Sessions
from core.rules import Rules
from tests.conversation.conftest import RULES
from tests.driver import Speaker, said
from tests.integration import factories as f


def talk(conversation: Conversation, user: str, *, forms: bool = False) -> Speaker:
    return Speaker(conversation, user, forms=forms)


async def test_guided_proposal_can_be_cancelled_and_stale_buttons_expire(sessions: Sessions) -> None:
    conversation = Conversation(sessions, BotConfig(Rules(), "https://oasis.test", "en"))
    alice = talk(conversation, "alice")
    await alice(Command("propose"))
    assert "describe the problem" in said(await alice(Text("Water fountains in parks")))
    assert "Cancelled" in said(await alice(Command("cancel")))
    assert "nothing to cancel" in said(await alice(Command("cancel")))
    assert "expired" in said(await alice(ButtonPress("psubmit", "1")))
    assert "expired" in said(await alice(ButtonPress("rsubmit", "1")))


async def test_a_too_long_title_is_refused_and_asked_again(sessions: Sessions) -> None:
    conversation = Conversation(sessions, BotConfig(Rules(), "https://oasis.test", "en"))
    bob = talk(conversation, "bob")
    await bob(Command("propose"))
    refused = said(await bob(Text("x" * 101)))
    assert "101 characters long; the limit is 100" in refused
    assert "describe" in said(await bob(Text("Short title")))


async def test_forms_where_the_surface_has_them(sessions: Sessions) -> None:
    conversation = Conversation(sessions, BotConfig(Rules(), "https://oasis.test", "en"))
    carol = talk(conversation, "carol", forms=True)
    opened = await carol(Command("propose"))
    assert isinstance(opened[0], OpenForm) and [x.name for x in opened[0].form.fields] == [
        "title", "description", "category"]
    refused = await carol(FormSubmit("propose", {"title": " ", "description": "", "category": "transport"}))
    assert isinstance(refused[0], RefuseForm) and dict(refused[0].errors).keys() == {"title", "description"}
    accepted = await carol(FormSubmit("propose", {"title": "Benches", "description": "More benches.",
                                                  "category": "transport"}))
    assert "Proposal #1 received" in said(accepted)


async def test_citizen_commands_answer_with_proposal_numbers(sessions: Sessions) -> None:
    conversation = Conversation(sessions, BotConfig(Rules(vote_threshold=3), "https://oasis.test", "en"))
    erin = talk(conversation, "erin")
    accepted = await erin(FormSubmit("propose", {"title": "Night buses", "description": "After midnight.",
                                                 "category": "transport"}))
    assert "Proposal #1 received" in said(accepted)
    deep_link = said(await erin(Command("start", "p1")))
    assert "#1 Night buses" in deep_link and "Status: open" in deep_link and "https://oasis.test/p/1" in deep_link
    frank = talk(conversation, "frank")
    assert "2 more supporters are needed" in said(await frank(Command("vote", "#1")))
    assert "1 supporter" in said(await frank(Command("list", "Transport")))
    assert "No proposals here yet" in said(await frank(Command("list", "housing")))
    assert 'There is no category "spaceflight"' in said(await frank(Command("list", "spaceflight")))
    assert "Your comment on #1 was added" in said(await frank(Command("comment", "1 Yes please")))
    assert "Your support for #1 was withdrawn" in said(await frank(Command("unvote", "1")))
    assert "Only the author of #1" in said(await frank(Command("withdraw", "1")))
    assert "#1 Night buses" in said(await erin(Command("mine")))
    assert "#1 was withdrawn" in said(await erin(Command("withdraw", "1")))
    assert "support is only possible while a proposal is open" in said(await frank(Command("vote", "1")))
    assert "I don't know the command /fly" in said(await frank(Command("fly")))
    assert "To make a proposal, send /propose" in said(await frank(Text("hello?")))
    assert "#1 is withdrawn" in said(await frank(Text("vote 1")))  # a command written without "/"


async def test_browsing_new_top_pages_and_one_proposal(sessions: Sessions, speaker: Callable[..., Speaker]) -> None:
    author = await f.citizen(sessions, "author")
    ids = [await f.proposal(sessions, author, title=f"Idea {n}") for n in range(1, 8)]
    await f.vote(sessions, await f.citizen(sessions), ids[2], RULES)
    gina = speaker("gina")
    newest = said(await gina.command("new"))
    assert newest.index("#7 Idea 7") < newest.index("#3 Idea 3") and "Page 1 of 2" in newest
    assert said(await gina.command("top")).startswith("#3 Idea 3")
    second_page = said(await gina.press("list.page", "new::5"))
    assert "#2 Idea 2" in second_page and "#7 Idea 7" not in second_page and "Page 2 of 2" in second_page
    assert said(await gina.press("page", "new::5")) == second_page  # the button's name before issue 8
    shown = said(await gina.press("proposal.show", str(ids[0])))
    assert "#1 Idea 1" in shown and "Status: open" in shown and "https://oasis.test/p/1" in shown
    assert "There is no proposal #99" in said(await gina.command("show", "99"))
    assert "Please give a proposal number, for example 12 or #12." == said(await gina.command("show", "seven"))
    assert "You have no proposals yet" in said(await gina.command("mine"))


async def test_following_is_told_by_toast_on_a_button(sessions: Sessions, speaker: Callable[..., Speaker]) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    hana = speaker("hana")
    assert said(await hana.press("proposal.follow", str(pid))) == f"You will be told about every change to #{pid}."
    assert said(await hana.press("follow", str(pid))) == f"You already follow #{pid}."  # old button name
    assert said(await hana.command("unfollow", str(pid))) == f"You no longer follow #{pid}."
    assert said(await hana.press("proposal.unfollow", str(pid))) == f"You were not following #{pid}."
