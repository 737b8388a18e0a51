"""Slack's wire as the double needs it: request parameters, error answers, the Block Kit rules Slack
enforces (the double's validator) and what a person reads in a message (tests' assertions).

A Block Kit violation answers `invalid_blocks` (or `invalid_arguments`) as Slack does, so a test fails
on a message Slack would refuse rather than passing against a lenient double.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100
_JSON_PARAMS = {"blocks", "view", "attachments"}
KNOWN_BLOCKS = {"rich_text", "actions", "divider", "section", "header", "context", "input"}


class ApiError(Exception):
    """An error answer shaped like Slack's."""

    def __init__(self, error: str, status: int = 200, retry_after: int | None = None) -> None:
        super().__init__(error)
        self.error, self.status, self.retry_after = error, status, retry_after

    def response(self) -> web.Response:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        if self.status >= 500:
            return web.Response(status=self.status, text="upstream trouble", headers=headers)
        return web.json_response({"ok": False, "error": self.error}, status=self.status, headers=headers)


class Refused(Exception):
    """What Slack would answer (`error`), and why, for the test's failure message."""

    def __init__(self, error: str, why: str) -> None:
        super().__init__(f"{error}: {why}")
        self.error = error


def _fail(error: str, why: str) -> None:
    raise Refused(error, why)


def _plain(obj: Any, limit: int, what: str) -> None:
    if not isinstance(obj, dict) or obj.get("type") != "plain_text" or not str(obj.get("text", "")).strip():
        _fail("invalid_blocks", f"{what}: needs a non-empty plain_text object, got {obj!r}")
    if len(obj["text"]) > limit:
        _fail("invalid_blocks", f"{what}: longer than {limit} characters")


def _rich_text(block: dict[str, Any]) -> None:
    for section in block.get("elements") or [None]:
        if not isinstance(section, dict) or section.get("type") != "rich_text_section" or not section.get("elements"):
            _fail("invalid_blocks", f"rich_text needs rich_text_section elements: {block!r}")
        for element in section["elements"]:
            if element.get("type") == "text" and isinstance(element.get("text"), str) and element["text"]:
                if set(element.get("style") or {}) - {"bold", "italic", "strike", "code"}:
                    _fail("invalid_blocks", f"unknown style in {element!r}")
            elif element.get("type") == "link" and str(element.get("url", "")).startswith(("http", "mailto:")):
                continue
            else:
                _fail("invalid_blocks", f"bad rich text element {element!r}")


def _actions(block: dict[str, Any], seen: set[str]) -> None:
    elements = block.get("elements") or []
    if not 1 <= len(elements) <= 25:
        _fail("invalid_blocks", "an actions block holds 1 to 25 elements")
    for button in elements:
        _plain(button.get("text"), 75, "button text")
        action_id = str(button.get("action_id", ""))
        if not action_id or len(action_id) > 255 or action_id in seen:
            _fail("invalid_blocks", f"action_id missing, too long or repeated: {action_id!r}")
        seen.add(action_id)
        if len(str(button.get("value", ""))) > 2000:
            _fail("invalid_blocks", "button value over 2000 characters")


def check_blocks(blocks: Any, limit: int) -> None:
    if not isinstance(blocks, list) or len(blocks) > limit:
        _fail("invalid_blocks", f"blocks must be a list of at most {limit}")
    seen: set[str] = set()
    block_ids: set[str] = set()
    for block in blocks:
        kind = block.get("type")
        if kind not in KNOWN_BLOCKS:
            _fail("invalid_blocks", f"unknown block type {kind!r}")
        if "block_id" in block:
            if block["block_id"] in block_ids:
                _fail("invalid_blocks", f"repeated block_id {block['block_id']!r}")
            block_ids.add(block["block_id"])
        if kind == "rich_text":
            _rich_text(block)
        elif kind == "actions":
            _actions(block, seen)


def check_message_blocks(params: dict[str, Any]) -> None:
    """chat.postMessage / postEphemeral / update: text or blocks, and valid blocks."""
    blocks = params.get("blocks")
    if not str(params.get("text", "")).strip() and not blocks:
        _fail("no_text", "a message needs text or blocks")
    if blocks is not None:
        check_blocks(blocks, MESSAGE_BLOCKS)
        if any(b.get("type") == "input" for b in blocks):
            _fail("invalid_blocks", "input blocks belong in views")


def _input(block: dict[str, Any]) -> None:
    _plain(block.get("label"), 2000, "input label")
    element = block.get("element") or {}
    if not block.get("block_id") or not element.get("action_id"):
        _fail("invalid_blocks", "inputs need a block_id and an action_id")
    if element.get("type") == "plain_text_input":
        if not 1 <= int(element.get("max_length", 3000)) <= 3000:
            _fail("invalid_blocks", "plain_text_input max_length must be 1..3000")
    elif element.get("type") == "static_select":
        options = element.get("options") or []
        if not 1 <= len(options) <= 100:
            _fail("invalid_blocks", "a static_select needs 1 to 100 options")
        for option in options:
            _plain(option.get("text"), 75, "option text")
            if not 1 <= len(str(option.get("value", ""))) <= 150:
                _fail("invalid_blocks", "option value must be 1..150 characters")
    else:
        _fail("invalid_blocks", f"unsupported input element {element.get('type')!r}")


def check_modal(view: Any) -> None:
    if not isinstance(view, dict) or view.get("type") != "modal":
        _fail("invalid_arguments", "views.open needs a modal view")
    _plain(view.get("title"), 24, "modal title")
    _plain(view.get("submit"), 24, "modal submit")
    if len(str(view.get("private_metadata", ""))) > 3000 or len(str(view.get("callback_id", ""))) > 255:
        _fail("invalid_arguments", "private_metadata or callback_id too long")
    check_blocks(view.get("blocks"), VIEW_BLOCKS)
    for block in view["blocks"]:
        if block.get("type") == "input":
            _input(block)


def check_home(view: Any) -> None:
    if not isinstance(view, dict) or view.get("type") != "home":
        _fail("invalid_arguments", "views.publish needs a home view")
    check_blocks(view.get("blocks"), VIEW_BLOCKS)


def message_text(message: dict[str, Any]) -> str:
    """What a person reads in a message: its rich text (literal), one line per block; else its `text`."""
    lines = []
    for block in message.get("blocks") or ():
        if block.get("type") == "rich_text":
            for section in block["elements"]:
                lines.append("".join(str(e.get("text") or e.get("url", "")) for e in section["elements"]))
    return "\n".join(lines) if lines else str(message.get("text", ""))


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button of a message or view, in order."""
    return [e for b in message.get("blocks") or () if b.get("type") == "actions" for e in b["elements"]
            if e.get("type") == "button"]


async def read_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query, a JSON body or a form; `blocks` and `view` in forms are JSON strings."""
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            raw.update(await request.json())
        else:
            raw.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    for key in _JSON_PARAMS & raw.keys():
        if isinstance(raw[key], str):
            raw[key] = json.loads(raw[key])
    return raw
