"""Generated hostile requests against the real webhook handlers on SQLite and PostgreSQL.

Telegram updates and Slack requests of any JSON shape and size, unicode and control characters, forged
ids, missing or wrong secrets and signatures, go to `oasis run`'s own server with both doubles. While
the database is up: never a 5xx; an unsigned or forged request changes nothing; no outgoing call carries
user text unescaped (the Bot API double refuses HTML it cannot parse, as Telegram does); no secret is
logged. `make fuzz` runs 10,000 cases per handler (tests/property/conftest.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import example, given
from hypothesis import strategies as st

from bots.app import OasisApp
from core.models import InboxEvent
from tests.dbutil import count_rows, fresh_database, postgres_url_or_skip, sqlite_url
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_requests import SIGNING_SECRET, raw_headers, slash_command
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import bot_message, callback_update, message_update
from tests.e2e.harness import SECRET, TOKEN
from tests.e2e.slack_harness import slack_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

MARKUP = st.sampled_from(["<script>alert(1)</script>", "<b>x</b> & <i>", "&amp;&lt;", "a < b > c", "<!channel>",
                          "<@U1|x>", "<https://evil.test|click>", "*b* _i_ `c` ~s~", "&#0;", "</b>",
                          # what Slack sends when a person types <script> or <!channel>:
                          "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;!channel&gt;"])
NASTY_TEXT = st.one_of(
    MARKUP,
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=20), MARKUP, st.text(max_size=20)),
    st.text(st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(["\x00\x1b[31m", "\u202etxet", "x" * 5000, "/start", "/vote 1", "/propose", "#1", ""]),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | NASTY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
IDS = st.integers(min_value=-(2**64), max_value=10**40) | st.sampled_from([1, 42, 2**31, 2**53])
COMMANDS = st.sampled_from(["/start", "/help", "/vote 1", "/show 1", "/new", "/propose", "/comment 1 ",
                            "/lang ko", "/review 1 forward ", "/link ", "/cancel", "hello"])


_update_ids = itertools.count(10**6)


@st.composite
def telegram_updates(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly a real update shape (fresh id, a person in a private chat) with hostile text and names, or
    with one field replaced by anything; sometimes forged ids, or any JSON at all."""
    update_id = draw(st.sampled_from([None] * 6 + [0]) | IDS) or next(_update_ids)
    user = draw(st.integers(min_value=1, max_value=2**40) | IDS)
    kind = draw(st.sampled_from(["message"] * 3 + ["callback", "mutated", "anything"]))
    if kind == "anything":
        return {"update_id": update_id, "x": draw(JSON)}
    if kind == "callback":
        data = draw(st.sampled_from(["vote:1", "follow:1", "show:1", "x", ""]) | NASTY_TEXT)
        update = callback_update(update_id, user, data, language_code=draw(st.none() | NASTY_TEXT))
    else:
        update = message_update(update_id, user, draw(COMMANDS) + draw(NASTY_TEXT),
                                first_name=draw(NASTY_TEXT), language_code=draw(st.none() | NASTY_TEXT))
    if kind == "mutated":
        body = update.get("message") or update["callback_query"]
        path = draw(st.sampled_from(["from", "chat", "text", "date", "id", "message_id", "entities", "from.id"]))
        target, _, leaf = path.partition(".")
        if leaf and isinstance(body.get(target), dict):
            body[target][leaf] = draw(JSON)
        else:
            body[target] = draw(JSON)
    return update


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[tuple[OasisApp, TelegramApiDouble, SlackApiDouble, str]]:
    url = sqlite_url(tmp_path_factory.mktemp("hostile")) if request.param == "sqlite" else postgres_url_or_skip()
    engine, _ = await fresh_database(url)
    await engine.dispose()
    async with TelegramApiDouble() as telegram, SlackApiDouble() as slack:
        slack.add_user("U0HOSTILE")
        app = OasisApp(slack_settings(url, slack, telegram))
        await app.start()
        try:
            yield app, telegram, slack, url
        finally:
            await app.stop()


def dated(update: dict[str, Any], date: Any) -> dict[str, Any]:
    """`update` with its message's date replaced (a date no clock can show: OverflowError in the parse)."""
    return {**update, "message": {**update["message"], "date": date}}


def assert_escaped(telegram: TelegramApiDouble, slack: SlackApiDouble) -> None:
    for method, params in telegram.calls:
        if method in ("sendMessage", "editMessageText"):
            bot_message(params.get("chat_id", 1), 1, params)  # raises on HTML Telegram could not parse
    for method, params in slack.calls:  # a message's `text` is Slack markup (rich_text blocks are not)
        if method.startswith("chat."):
            shown = str(params.get("text", ""))
            assert "<script>" not in shown and "<!channel>" not in shown, (method, shown[:300])


def assert_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    text = "\n".join(logging.Formatter("%(message)s").format(r) for r in caplog.records)  # tracebacks too
    for secret in (TOKEN, SECRET, SIGNING_SECRET, "xoxb-test-token"):
        assert secret not in text


@given(update=telegram_updates(), secret=st.sampled_from([SECRET] * 7 + [None, "wrong", SECRET + "x"]))
@example(update=message_update(10**5, 77, "/start<script>alert(1)</script>", first_name="<b>"), secret=SECRET)
@example(update=message_update(10**5 + 1, 77, "/vote 1 & <i>"), secret=SECRET)
@example(update=dated(message_update(10**5 + 2, 77, "hi"), 6.77680361916768e16), secret=SECRET)  # found by CI
@example(update=dated(message_update(10**5 + 3, 77, "hi"), 10**300), secret=SECRET)
async def test_telegram_updates_of_any_shape(world: Any, caplog: pytest.LogCaptureFixture,
                                             update: dict[str, Any], secret: str | None) -> None:
    app, telegram, slack, url = world
    logging.getLogger("httpx").setLevel(logging.WARNING)  # as `oasis run` has it (bots/redaction.py)
    before = await count_rows(url, InboxEvent) if secret != SECRET else 0
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with aiohttp.ClientSession() as http, http.post(
            f"http://127.0.0.1:{app.port}/telegram/webhook", data=json.dumps(update), headers=headers) as response:
        status = response.status
    assert app.telegram_webhook is not None
    await app.telegram_webhook.drain()
    assert status < 500, update
    if secret != SECRET:
        assert status == 403 and await count_rows(url, InboxEvent) == before
    assert_escaped(telegram, slack)
    assert_no_secret(caplog)


@st.composite
def slack_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["command"] * 3 + ["json", "payload", "bytes"]))
    if kind == "command":
        user = draw(st.sampled_from(["U0HOSTILE"] * 4 + ["U" + "9" * 300, ""]) | NASTY_TEXT)
        request = slash_command(user, draw(COMMANDS).lstrip("/") + draw(NASTY_TEXT),
                                draw(st.sampled_from(["D1", "D1", "C1", ""])))
        return request.body.encode(), "application/x-www-form-urlencoded"
    if kind == "json":
        return json.dumps(draw(JSON)).encode(), "application/json"
    if kind == "payload":
        return urlencode({"payload": json.dumps(draw(JSON))}).encode(), "application/x-www-form-urlencoded"
    return draw(st.binary(max_size=300)), "application/json"


@given(body=slack_bodies(), signing=st.sampled_from(["good"] * 6 + ["none", "forged", "stale", "junk"]))
@example(body=(slash_command("U0HOSTILE", "start&lt;script&gt;x&lt;/script&gt;", "D1").body.encode(),
               "application/x-www-form-urlencoded"), signing="good")
@example(body=(slash_command("U0HOSTILE", "vote 1 &lt;!channel&gt;", "D1").body.encode(),
               "application/x-www-form-urlencoded"), signing="good")
async def test_slack_requests_of_any_shape(world: Any, caplog: pytest.LogCaptureFixture,
                                           body: tuple[bytes, str], signing: str) -> None:
    app, telegram, slack, url = world
    raw, content_type = body
    now = str(int(time.time()))
    if signing == "good":
        headers = raw_headers(raw, now, content_type=content_type)
    elif signing == "forged":
        headers = raw_headers(raw, now, secret="not-the-secret", content_type=content_type)
    elif signing == "stale":
        headers = raw_headers(raw, str(int(time.time()) - 3600), content_type=content_type)
    elif signing == "junk":
        headers = {**raw_headers(raw, now, content_type=content_type), "X-Slack-Request-Timestamp": "1e9"}
    else:
        headers = {"Content-Type": content_type}
    before = await count_rows(url, InboxEvent) if signing != "good" else 0
    async with aiohttp.ClientSession() as http, http.post(
            f"http://127.0.0.1:{app.port}/slack/events", data=raw, headers=headers) as response:
        status = response.status
    await asyncio.sleep(0)  # replies go out in the background: let them start
    assert status < 500, raw[:300]
    if signing != "good":
        assert status == 401 and await count_rows(url, InboxEvent) == before
    assert_escaped(telegram, slack)
    assert_no_secret(caplog)


async def test_the_generated_traffic_reached_the_conversation(world: Any) -> None:
    """Runs after the generated cases (same module fixture): they were answered, not all refused."""
    _app, telegram, slack, url = world
    assert sum(m == "sendMessage" for m, _ in telegram.calls) >= 5
    assert any(m in ("chat.postMessage", "chat.postEphemeral", "views.open") for m, _ in slack.calls)
    assert await count_rows(url, InboxEvent) >= 20
