"""The Slack adapter through the real slack-bolt, with a stand-in conversation: what Inbound each request
becomes, how replies, forms and form errors travel back, and what Slack is answered when the conversation
fails or is slow. No database."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from adapters.slack import SLACK_PATH, SlackAdapter
from bots.neutral import (
    ButtonPress,
    Command,
    Form,
    FormField,
    FormSubmit,
    Inbound,
    Message,
    OpenForm,
    RefuseForm,
    Reply,
    Span,
    Text,
    Toast,
)
from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_wire import message_text
from tests.fakes import FakeConversation, echo

USER = "UALICE"
DM = SlackApiDouble.dm_of(USER)


@asynccontextmanager
async def adapter(conversation: FakeConversation, ack_budget: float = 0.3) \
        -> AsyncIterator[tuple[SlackApiDouble, rq.SlackPoster]]:
    async with SlackApiDouble() as api, aiohttp.ClientSession() as http:
        slack = SlackAdapter(api.token, rq.SIGNING_SECRET, conversation, api_url=api.base_url, ack_budget=ack_budget)
        await slack.prepare()
        app = web.Application()
        app.router.add_post(SLACK_PATH, slack.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            yield api, rq.SlackPoster(http, f"http://127.0.0.1:{runner.addresses[0][1]}{SLACK_PATH}")
        finally:
            await runner.cleanup()
            await slack.stop()


async def test_slash_command_in_dm_and_in_a_channel() -> None:
    conversation = FakeConversation()
    async with adapter(conversation) as (api, slack):
        api.add_user(USER, "alice", locale="ko-KR")
        request = rq.slash_command(USER, "vote  #12 ", DM, trigger_id="1.2.abc")
        assert await slack.post(request) == (200, "")
        inbound = await conversation.next()
        assert inbound.payload == Command("vote", "#12")
        assert (inbound.event_id, inbound.where.chat_id, inbound.where.direct, inbound.forms) == \
            ("command:1.2.abc", DM, True, True)
        assert (inbound.who.user_id, inbound.who.display_name, inbound.who.locale) == (USER, "alice", "ko-KR")
        assert inbound.command_prefix == "/oasis "  # replies then say "/oasis propose", as Slack needs
        await api.wait_for(lambda m, p: m == "chat.postMessage" and p["channel"] == DM)

        api.add_channel("CROOM")
        await slack.post(rq.slash_command(USER, "", "CROOM"))
        inbound = await conversation.next(2)
        assert (inbound.payload, inbound.where.direct) == (Command("help"), False)
        await api.wait_for(lambda m, p: m == "chat.postEphemeral" and p["channel"] == "CROOM" and p["user"] == USER)
        assert api.methods().count("users.info") == 1  # cached per user


async def test_dm_messages_become_text_but_bots_and_edits_are_ignored() -> None:
    conversation = FakeConversation(answer=lambda i: None)  # None: already handled, nothing to send
    async with adapter(conversation) as (api, slack):
        await slack.post(rq.message_im(USER, "hi", DM, bot_id="B2"))
        await slack.post(rq.message_im(USER, "hi", DM, subtype="message_changed"))
        await slack.post(rq.message_im(USER, "a &lt; b &amp; <https://x.test|x.test>", DM, event_id="Ev1",
                                       thread_ts="111.222"))
        inbound = await conversation.next()
        assert inbound.payload == Text("a < b & x.test")
        assert (inbound.event_id, inbound.where.thread_id) == ("Ev1", "111.222")
        await asyncio.sleep(0.1)
        assert len(conversation.seen) == 1
        assert "chat.postMessage" not in api.methods()


async def test_button_press_and_the_notice_as_an_ephemeral_message() -> None:
    conversation = FakeConversation(answer=lambda i: [Toast(i.where.chat_id, "Followed #3")])
    async with adapter(conversation) as (api, slack):
        await slack.post(rq.slash_command(USER, "help", DM))  # makes the DM known
        press = rq.block_actions(USER, "follow#4", "3", channel=DM, message_ts="123.456", trigger_id="9.9.t")
        assert await slack.post(press) == (200, "")
        inbound = await conversation.next(2)
        assert inbound.payload == ButtonPress("follow", "3", "123.456")
        assert (inbound.event_id, inbound.forms, inbound.where.direct) == ("action:9.9.t", True, True)
        _, params = await api.wait_for(lambda m, p: m == "chat.postEphemeral")
        assert (params["channel"], params["user"], message_text(params)) == (DM, USER, "Followed #3")


FORM = Form("propose", "A very long modal title over 24 chars", "Send", (
    FormField("title", "Title", max_length=100), FormField("body", "Body", "text", max_length=4000),
    FormField("kind", "Kind", "select", options=(("a", "A"), ("b", "B")), required=False, initial="b"),
), state="42")


def form_then(errors: tuple[tuple[str, str], ...]) -> Callable[[Inbound], list[Reply]]:
    def answer(inbound: Inbound) -> list[Reply]:
        if isinstance(inbound.payload, FormSubmit):
            if errors:
                return [RefuseForm(inbound.where.chat_id, errors)]
            return [Message(inbound.where.chat_id, (Span("Proposal #9 received"),))]
        return [OpenForm(inbound.where.chat_id, FORM)]
    return answer


async def open_and_submit(api: SlackApiDouble, slack: rq.SlackPoster, values: dict[str, str | None]) \
        -> tuple[int, str]:
    await slack.post(rq.slash_command(USER, "propose", DM))
    await api.wait_for(lambda m, p: m == "views.open")
    view = api.views[-1]
    assert (view["title"]["text"], view["private_metadata"], view["callback_id"]) == \
        ("A very long modal title…", "42", "propose")
    assert view["blocks"][1]["element"]["max_length"] == 3000
    assert view["blocks"][2]["optional"] is True and view["blocks"][2]["element"]["initial_option"]["value"] == "b"
    return await slack.post(rq.view_submission(USER, view, values))


async def test_modal_submission_fields_and_success_by_dm() -> None:
    conversation = FakeConversation(answer=form_then(()))
    async with adapter(conversation) as (api, slack):
        assert await open_and_submit(api, slack, {"title": "T", "body": None, "kind": "a"}) == (200, "")
        submitted = (await conversation.next(2)).payload
        assert isinstance(submitted, FormSubmit)
        assert (submitted.form, submitted.fields, submitted.state) == \
            ("propose", {"title": "T", "body": "", "kind": "a"}, "42")
        await api.wait_for(lambda m, p: m == "chat.postMessage" and p["channel"] == DM
                           and message_text(p) == "Proposal #9 received")


async def test_refused_submission_shows_errors_in_the_modal() -> None:
    errors = (("title", "Give it a title."), ("nonexistent", "Something else."))
    async with adapter(FakeConversation(answer=form_then(errors))) as (api, slack):
        status, body = await open_and_submit(api, slack, {"title": " ", "body": "x", "kind": None})
        assert status == 200
        assert json.loads(body) == {"response_action": "errors",
                                    "errors": {"title": "Give it a title. Something else."}}


async def test_slow_submission_closes_the_modal_and_reports_by_dm() -> None:
    conversation = FakeConversation(answer=form_then((("title", "Too long."),)))
    async with adapter(conversation) as (api, slack):
        conversation.delay = 0.5  # over the adapter's budget of 0.3 s
        assert await open_and_submit(api, slack, {"title": "T", "body": "x", "kind": "a"}) == (200, "")
        await api.wait_for(lambda m, p: m == "chat.postMessage" and message_text(p) == "Too long.")


async def test_app_home_publishes_the_replies_as_the_home_view() -> None:
    conversation = FakeConversation()
    async with adapter(conversation) as (api, slack):
        await slack.post(rq.app_home_opened(USER, DM, tab="messages"))
        await slack.post(rq.app_home_opened(USER, DM))
        inbound = await conversation.next()
        assert (inbound.payload, inbound.where.direct) == (Command("mine"), False)
        assert inbound.where.chat_id != DM  # its own chat key: a guided conversation in the DM goes on
        await api.wait_for(lambda m, p: m == "views.publish")
        assert message_text(api.home[USER]) == "ok"
        assert len(conversation.seen) == 1


async def test_url_verification_and_signatures() -> None:
    async with adapter(FakeConversation()) as (_api, slack):
        challenge = rq.SlackRequest(json.dumps({"type": "url_verification", "challenge": "c-123",
                                                "token": "t"}), "application/json")
        status, body = await slack.post(challenge)
        assert status == 200 and "c-123" in body
        assert (await slack.post(challenge, secret="wrong"))[0] == 401


async def timed(slack: rq.SlackPoster, request: rq.SlackRequest) -> tuple[int, float]:
    started = time.monotonic()
    status, _ = await slack.post(request)
    return status, time.monotonic() - started


async def test_a_slow_conversation_is_acknowledged_within_3_seconds_and_still_answers() -> None:
    conversation = FakeConversation(delay=3.2)  # over the default budget of 2.5 s, and over Slack's 3 s
    async with adapter(conversation, ack_budget=2.5) as (api, slack):
        api.add_channel("CROOM")
        command, event, press = await asyncio.gather(
            timed(slack, rq.slash_command(USER, "mine", DM)),
            timed(slack, rq.message_im(USER, "hello", DM)),
            timed(slack, rq.block_actions(USER, "follow#4", "3", channel="CROOM", message_ts="1.2")))
        for status, elapsed in (command, event, press):
            assert status == 200 and 2.4 < elapsed < 3.0  # answered at the budget, before the work ended
        assert len(conversation.seen) == 3
        await api.wait_for(lambda m, p: m == "chat.postEphemeral" and p["channel"] == "CROOM")
        await api.wait_for(lambda m, p: api.methods().count("chat.postMessage") == 2)
        assert {p["channel"] for m, p in api.calls if m == "chat.postMessage"} == {DM}


async def test_a_fast_conversation_is_answered_before_its_replies_go_out() -> None:
    async with adapter(FakeConversation(delay=0.05)) as (api, slack):
        status, elapsed = await timed(slack, rq.message_im(USER, "hello", DM))
        assert status == 200 and elapsed < 1.0
        await api.wait_for(lambda m, p: m == "chat.postMessage" and message_text(p) == "ok")


async def test_a_persons_answers_keep_their_order_when_slack_is_slow_for_the_first() -> None:
    """Each answer goes out from a task of its own after its event is stored; the second must still wait for
    the first, or a person would read the answer to their second message before the one to their first.
    Another person's answer does not wait."""
    async with adapter(FakeConversation(answer=echo)) as (api, slack):
        api.slow_next("chat.postMessage", 1.2)  # Slack is slow for the first answer only
        assert (await slack.post(rq.message_im(USER, "m1", DM)))[0] == 200
        await api.wait_for(lambda m, p: m == "chat.postMessage" and message_text(p) == "you said m1")
        assert (await slack.post(rq.message_im(USER, "m2", DM)))[0] == 200
        other = "UBOB"
        assert (await slack.post(rq.message_im(other, "b1", SlackApiDouble.dm_of(other))))[0] == 200
        await api.wait_for(lambda m, p: m == "chat.postMessage" and message_text(p) == "you said b1")
        assert api.texts(DM) == []  # Bob is answered while Alice's first answer is still on its way
        await api.wait_for(lambda m, p: len(api.texts(DM)) == 2)
        assert api.texts(DM) == ["you said m1", "you said m2"]


async def test_a_failing_conversation_answers_500_and_sends_nothing() -> None:
    conversation = FakeConversation(failure=RuntimeError("database is down"))
    async with adapter(conversation) as (api, slack):
        view = {"id": "V1", "type": "modal", "callback_id": "propose", "private_metadata": "", "blocks": []}
        requests = [rq.slash_command(USER, "mine", DM), rq.message_im(USER, "hello", DM),
                    rq.app_home_opened(USER, DM),
                    rq.block_actions(USER, "follow#4", "3", channel=DM, message_ts="1.2"),
                    rq.view_submission(USER, view, {})]
        for request in requests:
            assert (await slack.post(request))[0] == 500  # nothing stored: Slack re-delivers an event
        assert len(conversation.seen) == len(requests)
        await asyncio.sleep(0.1)
        assert not {"chat.postMessage", "chat.postEphemeral", "views.open", "views.publish"} & set(api.methods())

        conversation.failure = None  # the database is back: Slack's re-delivery is applied
        event = rq.message_im(USER, "hello", DM, event_id="EvBACK")
        assert (await slack.post(event, retry_num=1))[0] == 200
        await api.wait_for(lambda m, p: m == "chat.postMessage" and message_text(p) == "ok")
