"""Neutral rich text, buttons and forms → Block Kit, and Slack's markup in incoming text → raw text.

Escaping strategy. Slack's mrkdwn has no escape for `*`, `_`, `~` or backquotes, so user text inside a
mrkdwn string can always turn into formatting (a title "*free* buses" would come out bold). We
therefore never put text in mrkdwn at all: the body of every message is a `rich_text` block whose
elements map one to one onto our `Span`s (style flags for bold/italic/code, a `link` element for
links). Slack reads those elements literally — no markup, no mentions, no `&lt;` — so raw user text
is safe there and arrives exactly as written. The only mrkdwn-parsed string is the top-level `text`
(notifications, screen readers, old clients): it is plain text with &, < and > escaped (`escape`), sent
with `mrkdwn=false` so the formatting characters stay literal too. Labels, options and modal texts are
`plain_text` objects, which Slack never parses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bots.neutral import Button, Form, FormField, Message, RichText, Span, plain_text

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_RICH_TEXT = 3000  # characters per rich_text block; longer texts are split at line breaks
MAX_FALLBACK = 3000
MAX_BUTTONS_PER_BLOCK = 25
MAX_INPUT_LENGTH = 3000  # Slack refuses a plain_text_input max_length above this
MAX_MODAL_TITLE = 24
MAX_OPTIONS = 100
ACTION_SEPARATOR = "#"
_URL_SCHEMES = ("http://", "https://", "mailto:")
_STYLES = {"bold": {"bold": True}, "italic": {"italic": True}, "code": {"code": True}}


def escape(text: str) -> str:
    """The three characters Slack's markup requires escaped (&, <, >); nothing else can be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fallback_text(text: RichText, limit: int = MAX_FALLBACK) -> str:
    """The message's top-level `text`: unstyled, escaped, short enough for a notification."""
    flat = escape(plain_text(text).strip())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    entity = cut.rfind("&")
    if entity >= 0 and ";" not in cut[entity:]:  # never leave half an entity behind
        cut = cut[:entity]
    return cut.rstrip() + "…"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = 2000) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text, limit) or " ", "emoji": True}


def _element(span: Span) -> dict[str, Any]:
    if span.style == "link" and span.url and span.url.lower().startswith(_URL_SCHEMES):
        return {"type": "link", "url": span.url, "text": span.text}
    element: dict[str, Any] = {"type": "text", "text": span.text}
    if span.style in _STYLES:
        element["style"] = dict(_STYLES[span.style])
    return element


def _pieces(text: RichText, limit: int) -> list[list[Span]]:
    """Spans grouped so that each group holds at most `limit` characters, cut after a newline if possible."""
    groups: list[list[Span]] = [[]]
    used = 0
    for span in text:
        rest = span.text
        while rest:
            room = limit - used
            if len(rest) <= room:
                cut = len(rest)
            elif (newline := rest.rfind("\n", 0, room)) >= 0:
                cut = newline + 1
            elif used:  # the line does not fit: start it in a new block
                groups.append([])
                used = 0
                continue
            else:  # one line longer than a block: cut at a space if there is one
                space = rest.rfind(" ", 0, room)
                cut = space + 1 if space > room // 2 else room
            groups[-1].append(Span(rest[:cut], span.style, span.url))
            used += cut
            rest = rest[cut:]
    return [g for g in groups if g]


def rich_text_blocks(text: RichText, limit: int = MAX_RICH_TEXT) -> list[Block]:
    """The text as rich_text blocks (one per `limit` characters); none for blank text."""
    if not plain_text(text).strip():
        return []
    return [
        {"type": "rich_text", "elements": [{"type": "rich_text_section",
                                             "elements": [_element(s) for s in _merge(group)]}]}
        for group in _pieces(text, limit)
    ]


def _merge(spans: list[Span]) -> list[Span]:
    """Neighbouring spans of one style as one element (the conversation joins lines span by span)."""
    merged: list[Span] = []
    for span in spans:
        if merged and (merged[-1].style, merged[-1].url) == (span.style, span.url):
            merged[-1] = Span(merged[-1].text + span.text, span.style, span.url)
        elif span.text:
            merged.append(span)
    return merged


def action_id(action: str, index: int) -> str:
    """Slack wants action ids unique within a message, so each carries its button's position."""
    return f"{action}{ACTION_SEPARATOR}{index}"


def split_action_id(value: str) -> str:
    """The neutral action of an action id made by `action_id`."""
    action, separator, index = value.rpartition(ACTION_SEPARATOR)
    return action if separator and index.isdecimal() else value


def button_blocks(rows: Sequence[Sequence[Button]], first_index: int = 0) -> list[Block]:
    """One actions block per row of buttons; indexes continue from `first_index`."""
    blocks: list[Block] = []
    index = first_index
    for row in rows:
        for start in range(0, len(row), MAX_BUTTONS_PER_BLOCK):
            elements = []
            for button in row[start:start + MAX_BUTTONS_PER_BLOCK]:
                elements.append({"type": "button", "text": _plain(button.label, 75),
                                 "action_id": action_id(button.action, index), "value": button.value[:2000]})
                index += 1
            if elements:
                blocks.append({"type": "actions", "elements": elements})
    return blocks


def _count_buttons(blocks: Iterable[Block]) -> int:
    return sum(len(b["elements"]) for b in blocks if b["type"] == "actions")


def message_blocks(messages: Sequence[Message]) -> list[Block]:
    """Several replies as one Slack message: each one's text and buttons, a divider between them."""
    blocks: list[Block] = []
    for message in messages:
        part = rich_text_blocks(message.text) + button_blocks(message.buttons, _count_buttons(blocks))
        if part and blocks:
            blocks.append({"type": "divider"})
        blocks.extend(part)
    return blocks


def group_messages(messages: Sequence[Message], limit: int = MAX_MESSAGE_BLOCKS) -> list[list[Message]]:
    """Consecutive replies merged while they fit in one message; an edit always stands alone."""
    groups: list[list[Message]] = []
    size = 0
    for message in messages:
        own = len(message_blocks([message])) + 1
        last = groups[-1][-1] if groups else None
        joins = (last is not None and not message.edit_message_id and not last.edit_message_id
                 and last.thread_id == message.thread_id and size + own <= limit)
        if not joins:
            groups.append([])
            size = 0
        groups[-1].append(message)
        size += own
    return groups


def home_view(messages: Sequence[Message]) -> Block:
    """The App Home tab built from replies (cards with their buttons), within Slack's block limit."""
    blocks: list[Block] = []
    for message in messages:
        part = message_blocks([message])
        if len(blocks) + len(part) + 1 > MAX_VIEW_BLOCKS:
            break
        if part and blocks:
            blocks.append({"type": "divider"})
        blocks.extend(part)
    return {"type": "home", "blocks": blocks}


def _options(field: FormField) -> list[dict[str, Any]]:
    return [{"text": _plain(label, 75), "value": value[:150]} for value, label in field.options[:MAX_OPTIONS]]


def _input_element(field: FormField) -> dict[str, Any]:
    if field.kind == "select" and field.options:
        element: dict[str, Any] = {"type": "static_select", "action_id": field.name, "options": _options(field)}
        initial = next((o for o in element["options"] if o["value"] == field.initial), None)
        if initial is not None:
            element["initial_option"] = initial
        return element
    element = {"type": "plain_text_input", "action_id": field.name, "multiline": field.kind == "text"}
    if field.max_length:
        element["max_length"] = min(field.max_length, MAX_INPUT_LENGTH)
    if field.initial:
        element["initial_value"] = field.initial
    return element


def modal_view(form: Form) -> Block:
    """The form as a modal; its submission comes back with `callback_id` = form name."""
    blocks = []
    for field in form.fields:
        block: Block = {"type": "input", "block_id": field.name, "optional": not field.required,
                        "label": _plain(field.label), "element": _input_element(field)}
        if field.hint:
            block["hint"] = _plain(field.hint)
        blocks.append(block)
    return {"type": "modal", "callback_id": form.name, "private_metadata": form.state[:3000],
            "title": _plain(form.title, MAX_MODAL_TITLE), "submit": _plain(form.submit, MAX_MODAL_TITLE),
            "blocks": blocks[:MAX_VIEW_BLOCKS]}


_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def _unlink(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if label:
        return f"#{label}" if target.startswith("#C") else label
    if target.startswith(("@", "#")):
        return target
    if target.startswith("!"):
        return "@" + target[1:].split("^")[0]
    return target


def incoming_text(text: str) -> str:
    """Text as the person typed it: Slack's <links|label>, <@mentions> and &-entities undone."""
    unlinked = _LINK.sub(_unlink, text or "")
    return unlinked.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
