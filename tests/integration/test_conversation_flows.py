"""Guided flows and forms through the conversation, as any adapter drives them."""

from __future__ import annotations

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


async def test_review_form_is_refused_to_citizens_and_checks_reasons(sessions: Sessions) -> None:
    rules = Rules(vote_threshold=1)
    author = await f.citizen(sessions, "author")
    pid = await f.proposal(sessions, author)
    await f.vote(sessions, author, pid, rules)
    await f.start_review(sessions, pid, rules)
    official = await f.official(sessions, "transport")
    conversation = Conversation(sessions, BotConfig(rules, "https://oasis.test", "en"))
    citizen = talk(conversation, "dave", forms=True)
    assert "Only officials" in said(await citizen(ButtonPress("review", str(pid))))
    staff = talk(conversation, official.user_id, forms=True)
    opened = (await staff(ButtonPress("review", str(pid))))[0]
    assert isinstance(opened, OpenForm) and opened.form.state == str(pid)
    no_reason = await staff(FormSubmit("review", {"recommendation": "reject", "explanation": "No."}, str(pid)))
    assert isinstance(no_reason[0], RefuseForm) and dict(no_reason[0].errors).keys() == {"reason_code"}
    no_text = await staff(FormSubmit("review", {"recommendation": "reject", "reason_code": "law"}, str(pid)))
    assert isinstance(no_text[0], RefuseForm) and dict(no_text[0].errors).keys() == {"explanation"}
    typed = talk(conversation, official.user_id)
    assert 'Unknown reason code "nonsense"' in said(await typed(Command("review", f"{pid} reject nonsense No.")))
    done = await staff(FormSubmit("review", {"recommendation": "reject", "reason_code": "law",
                                             "explanation": "The ordinance forbids it."}, str(pid)))
    assert "was rejected" in said(done)
    assert (await f.get(sessions, pid)).status == "rejected"


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
