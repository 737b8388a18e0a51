"""The outbox's Slack sender against the Web API double: DMs, edits, pacing, and Slack's errors mapped."""

from __future__ import annotations

import time

import pytest

from adapters.slack import SlackSender, make_client
from adapters.slack.people import People
from bots.neutral import Button, Message, Span
from bots.ports import PermanentError, RetryAfter, TransientError
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_wire import buttons, message_text

USER = "UBOB"


def sender_for(api: SlackApiDouble, **kwargs: float) -> SlackSender:
    client = make_client(api.token, api.base_url)
    return SlackSender(client, People(client), **kwargs)  # type: ignore[arg-type]


def note(chat: str, text: str = "Hello *world* <b>", **kwargs: object) -> Message:
    return Message(chat_id=chat, text=(Span(text),), **kwargs)  # type: ignore[arg-type]


async def test_user_ids_get_a_dm_opened_once_and_ts_is_returned() -> None:
    async with SlackApiDouble() as api:
        sender = sender_for(api)
        first = await sender.send(note(USER, buttons=((Button("vote", "1", "Support"), Button("vote", "2", "B")),)))
        second = await sender.send(note(USER, "again"))
        assert first and second and first != second
        assert api.methods().count("conversations.open") == 1
        posted = api.posted(api.dm_of(USER))
        assert [message_text(m) for m in posted] == ["Hello *world* <b>", "again"]
        assert posted[0]["text"] == "Hello *world* &lt;b&gt;"
        assert [b["action_id"] for b in buttons(posted[0])] == ["vote#0", "vote#1"]


async def test_edit_updates_the_message_or_posts_anew_if_it_is_gone() -> None:
    async with SlackApiDouble() as api:
        api.add_channel("CDEPT")
        sender = sender_for(api)
        ts = await sender.send(note("CDEPT", "card", buttons=((Button("review", "1", "Write opinion"),),)))
        assert await sender.send(note("CDEPT", "decided", edit_message_id=ts)) == ts
        assert [message_text(m) for m in api.posted("CDEPT")] == ["decided"]
        assert buttons(api.posted("CDEPT")[0]) == []
        new_ts = await sender.send(note("CDEPT", "decided again", edit_message_id="999.000"))
        assert new_ts != ts and len(api.posted("CDEPT")) == 2


async def test_rate_limit_maps_to_retry_after_and_pauses_only_that_channel() -> None:
    async with SlackApiDouble() as api:
        api.add_channel("CBUSY")
        api.add_channel("CQUIET")
        sender = sender_for(api)
        api.fail_next("chat.postMessage", status=429, retry_after=2)
        with pytest.raises(RetryAfter) as caught:
            await sender.send(note("CBUSY"))
        assert caught.value.seconds == 2.0
        started = time.monotonic()
        await sender.send(note("CQUIET"))
        assert time.monotonic() - started < 1.0
        await sender.send(note("CBUSY"))
        assert time.monotonic() - started >= 1.8


async def test_about_one_message_per_second_per_channel() -> None:
    async with SlackApiDouble() as api:
        api.add_channel("CONE")
        api.add_channel("CTWO")
        sender = sender_for(api, rate=1.0, burst=2)
        started = time.monotonic()
        for _ in range(4):
            await sender.send(note("CONE"))
        assert time.monotonic() - started >= 1.9  # 2 at once, then one a second
        started = time.monotonic()
        await sender.send(note("CTWO"))
        assert time.monotonic() - started < 0.5  # another channel does not wait a second


@pytest.mark.parametrize(("error", "status", "expected"), [
    ("channel_not_found", 200, PermanentError), ("not_in_channel", 200, PermanentError),
    ("is_archived", 200, PermanentError), ("invalid_blocks", 200, PermanentError),
    ("internal_error", 500, TransientError), ("fatal_error", 200, TransientError),
    ("ratelimited", 200, RetryAfter),
])
async def test_slack_errors_map_to_what_the_outbox_should_do(error: str, status: int, expected: type) -> None:
    async with SlackApiDouble() as api:
        api.add_channel("CX")
        api.fail_next("chat.postMessage", status=status, error=error)
        with pytest.raises(expected):
            await sender_for(api).send(note("CX"))


async def test_unknown_user_is_permanent_and_an_unreachable_api_transient() -> None:
    async with SlackApiDouble() as api:
        api.missing_users.add("UGONE")
        sender = sender_for(api)
        with pytest.raises(PermanentError):
            await sender.send(note("UGONE"))
        base = api.base_url
    client = make_client("xoxb-test-token", base)  # the double is stopped now
    with pytest.raises(TransientError):
        await SlackSender(client, People(client)).send(note("CANY"))
