"""Slack request bodies → neutral `Inbound`: the only place that knows Slack's payload shapes.

Every function is pure: who the person is and which chat is their DM with the bot need API calls,
so the caller resolves them first and passes them in.

Event ids (the inbox key that makes a retried request take effect once): the Events API's own
`event_id` for events; `trigger_id` for slash commands and interactions, which Slack makes unique
per invocation, prefixed by kind so the inbox says what it was (`interaction_id` for the rest).

`check` runs before any of them (and before Bolt routes the request): a signed body that is not shaped
as Slack sends it raises `Malformed`, answered 400, so the readers here may index it freely.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from adapters.slack.blocks import incoming_text, split_action_id
from bots.neutral import ButtonPress, Command, Deleted, Edited, FormSubmit, Inbound, Text, Where, Who

PLATFORM = "slack"
HOME_COMMAND = "mine"

Body = dict[str, Any]

ID_LIMIT = 80
"""Slack's ids (users, channels, teams, triggers, events, views, timestamps) are a few dozen characters at
most; a longer one is forged. 80 also keeps what is made of them ("home:<user>") in 100-character columns."""
NAME_LIMIT = 255  # Slack's maximum for the ids an app chooses: action_id, block_id, callback_id
KEY_LIMIT = 100  # the inbox's event id column
INT64_MAX = 2**63 - 1


def split_command(text: str) -> Command:
    """`/oasis vote 12` arrives as text "vote 12"; an empty text asks for help, a leading "/" is dropped."""
    words = incoming_text(text).strip().split(maxsplit=1)
    if not words or not words[0].lstrip("/"):
        return Command("help")
    return Command(words[0].lstrip("/").lower(), words[1].strip() if len(words) > 1 else "")


def interaction_id(kind: str, body: Body) -> str:
    """The inbox key of a command or interaction: the same for Slack's retry of a request (which carries
    the same body; its timestamp header may differ), different for every other request.

    Slack makes `trigger_id` unique per invocation. Without one, a submitted view is named by its id and
    hash, a button press by its message, time and person, and anything else by a digest of its body.
    """
    view = body.get("view") or {}
    action = (body.get("actions") or [{}])[0]
    if body.get("trigger_id"):
        return _key(kind, body["trigger_id"])
    if kind == "view" and view.get("id"):
        return _key(kind, view["id"], view.get("hash") or "")
    if kind == "action" and action.get("action_ts"):
        user = (body.get("user") or {}).get("id") or ""
        return _key(kind, (body.get("container") or {}).get("message_ts") or "", action["action_ts"], user)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return _key(kind, digest[:40])


def _key(kind: str, *parts: str) -> str:
    key = ":".join((kind, *map(str, parts)))
    return key if len(key) <= KEY_LIMIT else f"{kind}:{hashlib.sha256(key.encode()).hexdigest()}"


def command_inbound(body: Body, who: Who, direct: bool) -> Inbound:
    return Inbound(PLATFORM, interaction_id("command", body), who,
                   Where(str(body.get("channel_id", "")), direct=direct),
                   split_command(str(body.get("text", ""))), forms=bool(body.get("trigger_id")))


def is_person_message(event: Body) -> bool:
    """A new message a person wrote in their DM with the bot (not a bot, an edit, a join or a file share)."""
    return (event.get("type") == "message" and event.get("channel_type") == "im" and not event.get("subtype")
            and not event.get("bot_id") and not event.get("hidden") and bool(event.get("user")))


ROOM_CHANNEL_TYPES = frozenset({"channel", "group"})
OUR_MARKER = "oasis_post"  # the metadata event type on every message the bot posts (sender.MARKER)


def is_ours(message: Body, bot_user: str | None) -> bool:
    """One of the bot's own posts coming back: a bot's message, our metadata marker, or our bot user.
    Any one suffices, so an echo is known even when it arrives before chat.postMessage has answered."""
    return (bool(message.get("bot_id")) or message.get("subtype") == "bot_message"
            or (isinstance(metadata := message.get("metadata"), dict) and metadata.get("event_type") == OUR_MARKER)
            or (bot_user is not None and message.get("user") == bot_user))


def is_room_message(event: Body, bot_user: str | None = None) -> bool:
    """A new message a person wrote in a channel the bot is in (the dialogue room's, if it is that one:
    the conversation decides); an edit, a bot's post (our own mirrors among them) or a join is not."""
    return (event.get("type") == "message" and event.get("channel_type") in ROOM_CHANNEL_TYPES
            and event.get("subtype") in (None, "thread_broadcast") and not is_ours(event, bot_user)
            and not event.get("hidden") and bool(event.get("user")) and bool(event.get("ts")))


def room_message_inbound(body: Body, who: Who) -> Inbound:
    """A message in a channel: its ts is its id (a re-delivery under a new event id has the same ts), and
    a reply in a thread belongs to the thread under its root's ts."""
    event = body["event"]
    ts, thread = str(event["ts"]), event.get("thread_ts")
    return Inbound(PLATFORM, str(body["event_id"]), who,
                   Where(str(event["channel"]), direct=False,
                         thread_id=str(thread) if thread and str(thread) != ts else None),
                   Text(incoming_text(str(event.get("text") or ""))), message_id=ts)


def room_change(event: Body, bot_user: str | None = None) -> tuple[str, str] | None:
    """(user, ts) of a person's message changed or deleted in a channel; None for anything else (a bot's
    post, a DM)."""
    if event.get("type") != "message" or event.get("channel_type") not in ROOM_CHANNEL_TYPES:
        return None
    subtype = event.get("subtype")
    if subtype == "message_changed":
        changed = event.get("message") or {}
    elif subtype == "message_deleted":
        changed = {**(event.get("previous_message") or {}), "ts": event.get("deleted_ts")}
    else:
        return None
    if is_ours(changed, bot_user) or not changed.get("user") or not changed.get("ts"):
        return None
    return str(changed["user"]), str(changed["ts"])


def room_change_inbound(body: Body, who: Who) -> Inbound:
    """An edit (the new text) or a deletion of a channel message, under the message's own ts."""
    event = body["event"]
    changed = event.get("message") or {}
    payload = (Edited(incoming_text(str(changed.get("text") or "")))
               if event.get("subtype") == "message_changed" else Deleted())
    ts = str(changed.get("ts") or event.get("deleted_ts"))
    thread = changed.get("thread_ts") or (event.get("previous_message") or {}).get("thread_ts")
    return Inbound(PLATFORM, str(body["event_id"]), who,
                   Where(str(event["channel"]), direct=False,
                         thread_id=str(thread) if thread and str(thread) != ts else None),
                   payload, message_id=ts)


def message_inbound(body: Body, who: Who) -> Inbound:
    event = body["event"]
    thread = event.get("thread_ts")
    return Inbound(PLATFORM, str(body["event_id"]), who,
                   Where(str(event["channel"]), direct=True, thread_id=str(thread) if thread else None),
                   Text(incoming_text(str(event.get("text") or ""))))


SHORTCUTS = {"room_report": "report", "room_hide": "hide", "room_delete": "delete"}
"""Message shortcuts (slack-manifest.yml) → the command they stand for, as a reply to that message."""


def shortcut_inbound(body: Body, who: Who) -> Inbound | None:
    """A message shortcut on a channel message: its command, answering that message as a reply in the
    room does (Slack has no replies to one message); None for a shortcut this app does not have."""
    name = SHORTCUTS.get(str(body.get("callback_id") or ""))
    if name is None:
        return None
    message = body.get("message") or {}
    ts, thread = str(message.get("ts") or body.get("message_ts") or ""), message.get("thread_ts")
    return Inbound(PLATFORM, interaction_id("shortcut", body), who,
                   Where(str((body.get("channel") or {}).get("id") or ""), direct=False,
                         thread_id=str(thread) if thread and str(thread) != ts else None),
                   Command(name), forms=bool(body.get("trigger_id")), reply_to=ts or None)


def home_chat(user_id: str) -> str:
    """The chat key of the App Home: its own, so opening the tab never ends a conversation in the DM."""
    return f"home:{user_id}"


def home_inbound(body: Body, who: Who) -> Inbound | None:
    """Opening the Home tab asks for my proposals; the Messages tab is just the DM and asks nothing."""
    event = body["event"]
    if event.get("tab") != "home":
        return None
    return Inbound(PLATFORM, str(body["event_id"]), who, Where(home_chat(who.user_id), direct=False),
                   Command(HOME_COMMAND))


def action_channel(body: Body) -> str | None:
    """The channel of the message whose button was pressed; None for a button on a view (Home, modal)."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return str(channel) if channel else None


def action_inbound(body: Body, who: Who, chat_id: str, direct: bool) -> Inbound | None:
    """A button press; None for other block actions (a select changed inside a modal)."""
    actions = body.get("actions") or []
    if not actions or actions[0].get("type") != "button":
        return None
    action = actions[0]
    container = body.get("container") or {}
    message_ts = None if container.get("is_ephemeral") else (container.get("message_ts")
                                                              or (body.get("message") or {}).get("ts"))
    thread = (body.get("message") or {}).get("thread_ts")
    payload = ButtonPress(split_action_id(str(action.get("action_id", ""))), str(action.get("value") or ""),
                          str(message_ts) if message_ts else None)
    return Inbound(PLATFORM, interaction_id("action", body), who,
                   Where(chat_id, direct=direct, thread_id=str(thread) if thread and direct else None),
                   payload, forms=bool(body.get("trigger_id")))


def submitted_fields(view: Body) -> dict[str, str]:
    """{input name: value} from a submitted view; empty inputs give ""."""
    fields: dict[str, str] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        for state in actions.values():
            if "selected_option" in state:
                fields[block_id] = str((state.get("selected_option") or {}).get("value") or "")
            else:
                fields[block_id] = str(state.get("value") or "")
    return fields


def view_inbound(body: Body, who: Who, chat_id: str) -> Inbound:
    view = body.get("view") or {}
    payload = FormSubmit(str(view.get("callback_id", "")), submitted_fields(view),
                         str(view.get("private_metadata") or ""))
    return Inbound(PLATFORM, interaction_id("view", body), who, Where(chat_id, direct=True), payload)


def input_names(view: Body) -> list[str]:
    """The block ids of a view's inputs, in order: where form errors can be shown."""
    return [str(b["block_id"]) for b in view.get("blocks") or () if b.get("type") == "input" and b.get("block_id")]


# -- the shape check -----------------------------------------------------------------------------------
class Malformed(ValueError):
    """A signed request that is not shaped as Slack sends it: 400, since sending it again cannot help."""


def check(body: Any) -> None:
    """Raise `Malformed` unless `body` is a request this app serves, shaped as the readers above and Bolt's
    routing expect: a slash command, an event, a button press, a message shortcut, a modal, or Slack's URL
    or SSL check."""
    if not isinstance(body, dict):
        raise Malformed("the body is not an object")
    kinds: list[Any] = [key for key in ("command", "ssl_check") if key in body]
    if "type" in body or not kinds:
        kinds.append(body.get("type"))
    if not all(isinstance(kind, str) and kind in _CHECKS for kind in kinds):
        raise Malformed("not a kind of request this app serves")
    if "event" in body:
        _object(body, "event")  # Bolt looks into it on every request
    for kind in kinds:
        _CHECKS[kind](body)


def _object(parent: Body, key: str, *, required: bool = True) -> Body:
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise Malformed(f"{key} is not an object")
    return value


def _id(parent: Body, key: str, *, required: bool = True, limit: int = ID_LIMIT) -> None:
    """Printable ASCII of at most `limit` characters, as all of Slack's ids are; a required one is not blank."""
    value = parent.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or len(value) > limit or not (value.isascii() and value.isprintable()) \
            or (required and not value.strip()):
        raise Malformed(f"{key} is not an id")


def _text(parent: Body, key: str) -> None:
    if parent.get(key) is not None and not isinstance(parent[key], str):
        raise Malformed(f"{key} is not text")


def _command(body: Body) -> None:
    if not all(isinstance(value, str) for value in body.values()):
        raise Malformed("a command is a form: every value is text")
    for key in ("user_id", "channel_id"):
        _id(body, key)
    for key in ("team_id", "trigger_id"):
        _id(body, key, required=False)


def _event(body: Body) -> None:
    _id(body, "event_id")
    event = _object(body, "event")
    _id(event, "type", limit=NAME_LIMIT)
    if event["type"] in ("message", "app_home_opened"):  # the events this app listens to
        _id(event, "channel")
        _id(event, "user", required=event["type"] == "app_home_opened")
        _id(event, "thread_ts", required=False)
        _text(event, "text")


def _person(body: Body) -> None:
    user = _object(body, "user")
    _id(user, "id")
    _text(user, "name")
    _id(body, "trigger_id", required=False)


def _actions(body: Body) -> None:
    _person(body)
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
        raise Malformed("actions is not a list of objects")
    _id(actions[0], "action_id", limit=NAME_LIMIT)  # the one Bolt and this module read
    _id(actions[0], "type", limit=NAME_LIMIT)
    _id(actions[0], "action_ts")
    _text(actions[0], "value")
    container, channel, message = (_object(body, key, required=False) for key in ("container", "channel", "message"))
    for parent, key in ((container, "message_ts"), (container, "channel_id"), (channel, "id"),
                        (message, "ts"), (message, "thread_ts")):
        _id(parent, key, required=False)


def _shortcut(body: Body) -> None:
    _person(body)
    _id(body, "callback_id", limit=NAME_LIMIT)  # Bolt routes by it
    _id(_object(body, "channel"), "id")
    message = _object(body, "message")
    _id(message, "ts")
    _id(message, "thread_ts", required=False)
    _id(body, "message_ts", required=False)


def _view(body: Body) -> None:
    _person(body)
    view = _object(body, "view")
    for key in ("type", "callback_id"):  # Bolt routes by both
        _id(view, key, limit=NAME_LIMIT)
    _id(view, "id")
    _id(view, "hash", required=False)
    _text(view, "private_metadata")
    metadata = view.get("private_metadata") or ""
    if metadata.isdecimal() and (len(metadata) > 19 or int(metadata) > INT64_MAX):
        raise Malformed("private_metadata is a number beyond 64 bits")  # Oasis keeps ids there
    for inputs in _object(_object(view, "state", required=False), "values", required=False).values():
        if not isinstance(inputs, dict) or not all(isinstance(state, dict) for state in inputs.values()):
            raise Malformed("view.state.values is not an object of objects")
        for state in inputs.values():
            _text(state, "value")
            _text(_object(state, "selected_option", required=False), "value")
    blocks = view.get("blocks") or []
    if not isinstance(blocks, list) or not all(isinstance(block, dict) for block in blocks):
        raise Malformed("view.blocks is not a list of objects")


_CHECKS: dict[str, Callable[[Body], None]] = {
    "command": _command, "event_callback": _event, "block_actions": _actions, "view_submission": _view,
    "message_action": _shortcut,
    "view_closed": _view, "url_verification": lambda body: None, "ssl_check": lambda body: None,
}
