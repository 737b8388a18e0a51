"""POST /telegram/webhook through a real aiohttp server, replying via PTB to the Bot API double."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from telegram import Bot

from adapters.telegram.sender import TelegramSender
from adapters.telegram.webhook import SECRET_HEADER, TelegramWebhook
from bots.neutral import ButtonPress, Command, Message, Span, Toast
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import BOT_USERNAME, callback_update, join_update, message_update
from tests.fakes import FakeConversation

SECRET = "s3cret-token_1"
WEBHOOK = web.AppKey("webhook", TelegramWebhook)
API = web.AppKey("api", TelegramApiDouble)


@pytest.fixture
def conversation() -> FakeConversation:
    return FakeConversation(answer=lambda _inbound: [])


class Receipts:
    """The outbox's side of replies the webhook sent itself (bots.ports.ReplyReceipts)."""

    def __init__(self) -> None:
        self.undelivered_ids: list[int | None] = []

    async def delivered(self, platform: str, reply: Message, message_id: str | None) -> None:
        pass

    async def undelivered(self, platform: str, reply: Message, error: Exception) -> None:
        self.undelivered_ids.append(reply.outbox_id)

    async def toast_lost(self, platform: str, chat_id: str, thread_id: str | None, text: str) -> None:
        pass


@pytest.fixture
def sender(bot: Bot) -> TelegramSender:
    return TelegramSender(bot, 30)


@pytest.fixture
async def client(bot: Bot, conversation: FakeConversation, sender: TelegramSender,
                 api: TelegramApiDouble) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    app[WEBHOOK] = TelegramWebhook(bot, SECRET, conversation, BOT_USERNAME, sender=sender)
    app[API] = api
    app[WEBHOOK].add_routes(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def post(client: TestClient[Any, Any], body: object, secret: str | None = SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    response = await client.post("/telegram/webhook", json=body, headers=headers)
    if API in client.app and response.status == 200:  # Telegram runs a method in the body (webhook reply)
        await client.app[API].webhook_reply(await response.read())
    if WEBHOOK in client.app:  # the answer goes out just after the acknowledgement: wait for it
        await client.app[WEBHOOK].drain()
    return response.status


async def test_a_missing_or_wrong_secret_is_forbidden(
    client: TestClient[Any, Any], conversation: FakeConversation
) -> None:
    update = message_update(1, 42, "/start")
    assert await post(client, update, secret=None) == 403
    assert await post(client, update, secret="wrong") == 403
    assert conversation.seen == []
    assert await post(client, update) == 200
    assert [i.payload for i in conversation.seen] == [Command("start", "")]


async def test_a_body_that_is_not_json_is_a_bad_request(client: TestClient[Any, Any]) -> None:
    response = await client.post("/telegram/webhook", data=b"{nope", headers={SECRET_HEADER: SECRET})
    assert response.status == 400
    assert await post(client, [1, 2]) == 400
    binary = await client.post("/telegram/webhook", data=b"\xff\xfe\x00", headers={SECRET_HEADER: SECRET})
    assert binary.status == 400


@pytest.mark.parametrize("body", [{"foo": 1}, {"update_id": 1, "message": "nope"}, {"update_id": 1, "message": {}}])
async def test_json_that_is_not_an_update_is_a_bad_request(
    client: TestClient[Any, Any], conversation: FakeConversation, body: dict[str, Any]
) -> None:
    assert await post(client, body) == 400
    assert conversation.seen == []


async def test_direct_replies_are_sent_after_the_handler_returns(
    client: TestClient[Any, Any], conversation: FakeConversation, api: TelegramApiDouble
) -> None:
    conversation.answer_with([
        Message("42", (Span("Welcome, "), Span("<Min-ji>", "bold"))),
        Message("42", ()),  # nothing to say: not sent
    ])
    assert await post(client, message_update(1, 42, "/start", first_name="Min-ji")) == 200
    assert [p["text"] for p in api.sent_to(42)] == ["Welcome, <b>&lt;Min-ji&gt;</b>"]
    assert conversation.seen[0].who.display_name == "Min-ji"


async def test_a_button_press_is_answered_in_the_webhook_response(
    client: TestClient[Any, Any], conversation: FakeConversation, api: TelegramApiDouble
) -> None:
    conversation.answer_with([
        Toast("42", "Thanks for your <vote>"),
        Message("42", (Span("Supported: 3 of 5"),), edit_message_id="99"),
        Message("42", (Span("2 more votes needed"),)),
    ])
    update = callback_update(2, 42, "vote:12", message_id=99)
    response = await client.post("/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET})
    assert response.status == 200 and response.content_type == "application/json"
    assert await response.json() == {"method": "answerCallbackQuery",
                                     "callback_query_id": update["callback_query"]["id"],
                                     "text": "Thanks for your <vote>"}
    await client.app[WEBHOOK].drain()
    assert conversation.seen[0].payload == ButtonPress("vote", "12", "99")
    assert api.methods()[-2:] == ["editMessageText", "sendMessage"]  # no call of our own for the toast
    assert "answerCallbackQuery" not in api.methods()


async def test_while_telegram_is_in_trouble_a_press_is_answered_by_a_call_first(
    client: TestClient[Any, Any], conversation: FakeConversation, api: TelegramApiDouble,
    sender: TelegramSender
) -> None:
    receipts = Receipts()
    client.app[WEBHOOK]._receipts = receipts  # replies kept in the outbox go through the sender
    conversation.answer_with([Message("42", (Span("hello"),), outbox_id=7)])
    api.fail_next("sendMessage", status=502)
    assert await post(client, message_update(1, 42, "hi")) == 200  # the reply fails: Telegram is in trouble
    assert sender.in_trouble() and receipts.undelivered_ids == [7]
    conversation.answer_with([
        Toast("42", "Thanks for your vote"),
        Message("42", (Span("Supported: 3 of 5"),), edit_message_id="99"),
        Message("42", (Span("2 more votes needed"),)),
    ])
    update = callback_update(2, 42, "vote:12", message_id=99)
    response = await client.post("/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET})
    assert await response.text() == "ok"
    await client.app[WEBHOOK].drain()
    assert api.methods()[-3:] == ["answerCallbackQuery", "editMessageText", "sendMessage"]
    answer = next(params for method, params in api.calls if method == "answerCallbackQuery")
    assert answer == {"callback_query_id": update["callback_query"]["id"], "text": "Thanks for your vote"}


async def test_a_handler_failure_is_a_500_so_telegram_redelivers(
    client: TestClient[Any, Any], conversation: FakeConversation, api: TelegramApiDouble
) -> None:
    conversation.failure = RuntimeError("database is down")
    conversation.answer_with([Message("42", (Span("never"),))])
    assert await post(client, message_update(3, 42, "hello")) == 500
    assert await post(client, callback_update(4, 42, "vote:1")) == 500
    assert [m for m in api.methods() if m != "getMe"] == []


async def test_a_duplicate_sends_nothing_but_still_stops_the_button_spinner(
    client: TestClient[Any, Any], conversation: FakeConversation, api: TelegramApiDouble
) -> None:
    conversation.answer_with(None)
    assert await post(client, message_update(5, 42, "hello again")) == 200
    press = callback_update(6, 42, "vote:1")
    assert await post(client, press) == 200
    assert [m for m in api.methods() if m != "getMe"] == ["answerCallbackQuery"]  # in the response
    assert api.calls[-1][1] == {"callback_query_id": press["callback_query"]["id"]}


async def test_updates_without_an_inbound_are_acknowledged_silently(
    client: TestClient[Any, Any], conversation: FakeConversation
) -> None:
    assert await post(client, join_update(7, 42, -100555)) == 200
    assert conversation.seen == []


async def test_a_rate_limited_reply_is_retried_once_after_the_wait(
    client: TestClient[Any, Any], conversation: FakeConversation, api: TelegramApiDouble
) -> None:
    conversation.answer_with([Message("42", (Span("hello"),))])
    api.fail_next("sendMessage", status=429, retry_after=1)
    start = time.monotonic()
    assert await post(client, message_update(8, 42, "hi")) == 200
    assert time.monotonic() - start >= 0.9
    assert [m for m in api.methods() if m == "sendMessage"] == ["sendMessage", "sendMessage"]
    assert len(api.sent_to(42)) == 1


async def test_a_failed_reply_never_fails_the_webhook(
    client: TestClient[Any, Any], conversation: FakeConversation, api: TelegramApiDouble
) -> None:
    conversation.answer_with([Message("42", (Span("hello"),)), Message("43", (Span("to a friend"),))])
    api.fail_next("sendMessage", status=403)
    assert await post(client, message_update(9, 42, "hi")) == 200
    assert api.sent_to(42) == []
    assert len(api.sent_to(43)) == 1


async def test_without_a_secret_configured_any_request_is_accepted(bot: Bot, conversation: FakeConversation) -> None:
    app = web.Application()
    TelegramWebhook(bot, None, conversation, BOT_USERNAME).add_routes(app)
    async with TestClient(TestServer(app)) as open_client:
        assert await post(open_client, message_update(1, 42, "hi"), secret=None) == 200
    assert len(conversation.seen) == 1
