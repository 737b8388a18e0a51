"""Slack request bodies → neutral `Inbound`: the only place that knows Slack's payload shapes.

Every function is pure: who the person is and which chat is their DM with the bot need API calls,
so the caller resolves them first and passes them in.

Event ids (the inbox key that makes a retried request take effect once): the Events API's own
`event_id` for events; `trigger_id` for slash commands and interactions, which Slack makes unique
per invocation, prefixed by kind so the inbox says what it was.
"""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import incoming_text, split_action_id
from bots.neutral import ButtonPress, Command, FormSubmit, Inbound, Text, Where, Who

PLATFORM = "slack"
HOME_COMMAND = "mine"

Body = dict[str, Any]


def split_command(text: str) -> Command:
    """`/oasis vote 12` arrives as text "vote 12"; an empty text asks for help, a leading "/" is dropped."""
    words = incoming_text(text).strip().split(maxsplit=1)
    if not words or not words[0].lstrip("/"):
        return Command("help")
    return Command(words[0].lstrip("/").lower(), words[1].strip() if len(words) > 1 else "")


def interaction_id(kind: str, body: Body) -> str:
    """A stable id for a command or interaction; Slack sends the same trigger_id on a retry."""
    trigger = body.get("trigger_id")
    if trigger:
        return f"{kind}:{trigger}"
    view = body.get("view") or {}
    if kind == "view" and view.get("id"):
        return f"{kind}:{view['id']}:{view.get('hash', '')}"
    container = body.get("container") or {}
    actions = body.get("actions") or [{}]
    return f"{kind}:{container.get('message_ts', '')}:{actions[0].get('action_ts', '')}"


def command_inbound(body: Body, who: Who, direct: bool) -> Inbound:
    return Inbound(PLATFORM, interaction_id("command", body), who,
                   Where(str(body.get("channel_id", "")), direct=direct),
                   split_command(str(body.get("text", ""))), forms=bool(body.get("trigger_id")))


def is_person_message(event: Body) -> bool:
    """A new message a person wrote in their DM with the bot (not a bot, an edit, a join or a file share)."""
    return (event.get("type") == "message" and event.get("channel_type") == "im" and not event.get("subtype")
            and not event.get("bot_id") and not event.get("hidden") and bool(event.get("user")))


def message_inbound(body: Body, who: Who) -> Inbound:
    event = body["event"]
    thread = event.get("thread_ts")
    return Inbound(PLATFORM, str(body["event_id"]), who,
                   Where(str(event["channel"]), direct=True, thread_id=str(thread) if thread else None),
                   Text(incoming_text(str(event.get("text") or ""))))


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
