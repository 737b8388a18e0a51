"""Requests as Slack sends them to `POST /slack/events`, signed exactly as Slack signs them.

Slack's signature: HMAC-SHA256, keyed by the app's signing secret, of "v0:{timestamp}:{raw body}",
sent as `X-Slack-Signature: v0=<hex>` with the timestamp in `X-Slack-Request-Timestamp`. Slash
commands and interactivity arrive as url-encoded forms (interactions as one `payload` field of JSON),
the Events API as JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp

from tests.doubles.slack_api import TEAM_ID
from tests.doubles.slack_wire import buttons

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
APP_ID = "A0OASIS"
FORM = "application/x-www-form-urlencoded"
_ids = itertools.count(1)


@dataclass(frozen=True)
class SlackRequest:
    body: str
    content_type: str


def signature(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(request: SlackRequest, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   retry_num: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"Content-Type": request.content_type, "X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": signature(secret, stamp, request.body)}
    if retry_num is not None:
        headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
    return headers


def new_trigger_id() -> str:
    n = next(_ids)
    return f"{1000 + n}.{2000 + n}.{hashlib.md5(str(n).encode()).hexdigest()}"


def new_event_id() -> str:
    return f"Ev{next(_ids):010d}"


def _user(user_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID}


def _interaction(payload: dict[str, Any]) -> SlackRequest:
    return SlackRequest(urlencode({"payload": json.dumps(payload)}), FORM)


def slash_command(user: str, text: str, channel: str, *, command: str = "/oasis",
                  trigger_id: str | None = None) -> SlackRequest:
    fields = {
        "token": "legacy-verification-token", "team_id": TEAM_ID, "team_domain": "oasis-test",
        "channel_id": channel, "channel_name": "directmessage" if channel.startswith("D") else "general",
        "user_id": user, "user_name": user.lower(), "command": command, "text": text, "api_app_id": APP_ID,
        "is_enterprise_install": "false", "response_url": "https://hooks.slack.test/commands/1/2/3",
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return SlackRequest(urlencode(fields), FORM)


def event_callback(event: dict[str, Any], event_id: str | None = None) -> SlackRequest:
    body = {"token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
            "type": "event_callback", "event_id": event_id or new_event_id(), "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True}],
            "is_ext_shared_channel": False}
    return SlackRequest(json.dumps(body), "application/json")


def message_im(user: str, text: str, channel: str, *, event_id: str | None = None,
               **extra: Any) -> SlackRequest:
    """A message in the bot's DM; `extra` adds e.g. subtype=..., bot_id=..., thread_ts=..."""
    ts = f"{time.time():.6f}"
    event = {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text,
             "ts": ts, "event_ts": ts, "team": TEAM_ID, **extra}
    return event_callback(event, event_id)


def message_channel(user: str, text: str, channel: str, *, ts: str | None = None, thread_ts: str | None = None,
                    event_id: str | None = None, **extra: Any) -> SlackRequest:
    """A message in a channel the bot is in (`message.channels`); in a thread under `thread_ts`. `ts` is
    the message's own id: the same `ts` under a new `event_id` is Slack delivering it again."""
    ts = ts or f"{time.time():.6f}"
    event = {"type": "message", "channel_type": "channel", "channel": channel, "user": user, "text": text,
             "ts": ts, "event_ts": ts, "team": TEAM_ID, **extra}
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event_callback(event, event_id)


def message_changed(user: str, text: str, channel: str, ts: str, *, previous: str = "",
                    thread_ts: str | None = None) -> SlackRequest:
    """A person's channel message now reads `text` (an unfurl sends the same text again)."""
    now = f"{time.time():.6f}"
    message = {"type": "message", "user": user, "text": text, "ts": ts, "edited": {"user": user, "ts": now}}
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    event = {"type": "message", "subtype": "message_changed", "channel_type": "channel", "channel": channel,
             "hidden": True, "ts": now, "event_ts": now, "message": message,
             "previous_message": {"type": "message", "user": user, "text": previous, "ts": ts}}
    return event_callback(event)


def message_deleted(user: str, channel: str, ts: str, *, thread_ts: str | None = None) -> SlackRequest:
    now = f"{time.time():.6f}"
    previous: dict[str, Any] = {"type": "message", "user": user, "text": "", "ts": ts}
    if thread_ts is not None:
        previous["thread_ts"] = thread_ts
    event = {"type": "message", "subtype": "message_deleted", "channel_type": "channel", "channel": channel,
             "hidden": True, "ts": now, "event_ts": now, "deleted_ts": ts, "previous_message": previous}
    return event_callback(event)


def app_home_opened(user: str, channel: str, tab: str = "home") -> SlackRequest:
    event = {"type": "app_home_opened", "user": user, "channel": channel, "tab": tab,
             "event_ts": f"{time.time():.6f}"}
    return event_callback(event)


def block_actions(user: str, action_id: str, value: str, *, channel: str | None, message_ts: str | None,
                  trigger_id: str | None = None, ephemeral: bool = False) -> SlackRequest:
    """A button press on a message in `channel`, or (channel None) on the App Home view."""
    action = {"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
              "text": {"type": "plain_text", "text": "button"}, "action_ts": f"{time.time():.6f}"}
    payload: dict[str, Any] = {"type": "block_actions", "user": _user(user), "api_app_id": APP_ID,
                               "team": {"id": TEAM_ID, "domain": "oasis-test"},
                               "trigger_id": trigger_id or new_trigger_id(), "actions": [action]}
    if channel is None:
        payload["container"] = {"type": "view", "view_id": "VHOME" + user}
        payload["view"] = {"id": "VHOME" + user, "type": "home"}
    else:
        payload["container"] = {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                "is_ephemeral": ephemeral}
        payload["channel"] = {"id": channel, "name": "directmessage" if channel.startswith("D") else "general"}
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": message_ts, "user": "UBOT", "bot_id": "BBOT"}
    return _interaction(payload)


def press(user: str, message: dict[str, Any], action: str, value: str | None = None) -> SlackRequest:
    """Press the button of a recorded message (as the double keeps it) whose action id starts with `action`."""
    for button in buttons(message):
        if str(button["action_id"]).partition("#")[0] == action and (value is None or button["value"] == value):
            return block_actions(user, button["action_id"], button["value"], channel=message["channel"],
                                 message_ts=message["ts"])
    raise LookupError(f"no {action!r} button in {message.get('blocks')!r}")


def message_shortcut(user: str, callback_id: str, channel: str, message: dict[str, Any]) -> SlackRequest:
    """A message shortcut (the message's ⋮ menu) on `message` ({"ts", "user", "text", "thread_ts"?})."""
    payload = {"type": "message_action", "callback_id": callback_id, "trigger_id": new_trigger_id(),
               "team": {"id": TEAM_ID, "domain": "oasis-test"}, "user": _user(user), "api_app_id": APP_ID,
               "channel": {"id": channel, "name": "room"}, "message_ts": message["ts"],
               "message": {"type": "message", **message}, "response_url": "https://hooks.slack.test/actions/1",
               "action_ts": f"{time.time():.6f}"}
    return _interaction(payload)


def view_submission(user: str, view: dict[str, Any], values: dict[str, str | None]) -> SlackRequest:
    """Submit a modal the bot opened (as the double recorded it), filling inputs by block id."""
    state: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        value = values.get(block["block_id"])
        if element["type"] == "static_select":
            option = next((o for o in element["options"] if o["value"] == value), None)
            entry: dict[str, Any] = {"type": "static_select", "selected_option": option}
        else:
            entry = {"type": "plain_text_input", "value": value}
        state[block["block_id"]] = {element["action_id"]: entry}
    submitted = {**view, "state": {"values": state}, "team_id": TEAM_ID, "app_id": APP_ID}
    payload = {"type": "view_submission", "team": {"id": TEAM_ID, "domain": "oasis-test"}, "user": _user(user),
               "api_app_id": APP_ID, "trigger_id": new_trigger_id(), "view": submitted}
    return _interaction(payload)


def interaction(payload: Any) -> SlackRequest:
    """An interactivity request whose `payload` is any JSON value (hostile tests send arrays and strings)."""
    return SlackRequest(urlencode({"payload": json.dumps(payload)}), FORM)


def json_request(body: Any) -> SlackRequest:
    """An Events API request with any JSON body."""
    return SlackRequest(json.dumps(body), "application/json")


def without(request: SlackRequest, *fields: str) -> SlackRequest:
    """A form request (a slash command) with `fields` left out, e.g. the trigger_id."""
    kept = [(k, v) for k, v in parse_qsl(request.body, keep_blank_values=True) if k not in fields]
    return SlackRequest(urlencode(kept), request.content_type)


def raw_headers(body: bytes, timestamp: str, secret: str = SIGNING_SECRET,
                content_type: str = "application/json") -> dict[str, str]:
    """Headers signed over raw bytes and any timestamp text, as a forger with the secret could make them."""
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


class SlackPoster:
    """Posts requests to our /slack/events as Slack would; returns (status, body)."""

    def __init__(self, http: aiohttp.ClientSession, url: str, secret: str = SIGNING_SECRET) -> None:
        self.http, self.url, self.secret = http, url, secret

    async def post(self, request: SlackRequest, *, secret: str | None = None, timestamp: int | None = None,
                   retry_num: int | None = None) -> tuple[int, str]:
        headers = signed_headers(request, secret or self.secret, timestamp, retry_num)
        async with self.http.post(self.url, data=request.body.encode(), headers=headers) as response:
            return response.status, await response.text()

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """Post bytes with exactly these headers (unsigned, forged or malformed ones too)."""
        async with self.http.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.text()
