"""What the chat page shows, one entry per message: the conversation's replies and the outbox's notices
turned into HTML fragments (the same template on the first page and over the WebSocket), with every piece
of text escaped (`rich_html`, Jinja2 autoescaping), buttons as real <button>s and forms as HTML forms.

A notice is kept in the database in a neutral shape (`body_of`), and worded into HTML only when shown.
"""

from __future__ import annotations

import secrets
from typing import Any

from markupsafe import Markup, escape

from adapters.web.rendering import PageRenderer, rich_html
from bots.i18n import Translator
from bots.neutral import Button, Form, Message, Reply, RichText, Span, Toast, signed_text

Entry = dict[str, Any]
TEMPLATE = "chat_entry.html"


def body_of(message: Message) -> dict[str, Any]:
    """A message as stored for later (core/web_messages.py): its text spans and its buttons."""
    return {"text": [[s.text, s.style, s.url] for s in signed_text(message)],
            "buttons": [[[b.action, b.value, b.label] for b in row] for row in message.buttons]}


def text_of(body: dict[str, Any]) -> RichText:
    return tuple(Span(str(text), style, url) for text, style, url in body.get("text", []))


def buttons_of(body: dict[str, Any]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(Button(str(a), str(v), str(label)) for a, v, label in row) for row in body.get("buttons", []))


def message_entry(entry_id: str, text: RichText, buttons: tuple[tuple[Button, ...], ...],
                  kind: str = "bot") -> Entry:
    return {"id": entry_id, "kind": kind, "html": rich_html(text),
            "buttons": [[{"action": b.action, "value": b.value, "label": b.label} for b in row] for row in buttons]}


def notice_entry(message_id: int, body: dict[str, Any]) -> Entry:
    """A kept web message (core/web_messages.py): a notice from the outbox, or a turn of the conversation
    (`kind`: what the person typed, Oasis's answer, a short toast)."""
    kind = body.get("kind", "notice")
    entry_id = f"n{message_id}"
    if kind in ("mine", "toast"):
        return {"id": entry_id, "kind": kind, "html": rich_html(text_of(body)), "buttons": []}
    return message_entry(entry_id, text_of(body), buttons_of(body), "bot" if kind == "bot" else "notice")


def said_bodies(typed: str | None, replies: list[Reply]) -> list[dict[str, Any]]:
    """A turn of the conversation as kept in the log: the typed text, the answers (forms are not kept: a
    form is answered at once or not at all)."""
    bodies = [{"kind": "mine", "text": [[typed, "plain", None]]}] if typed else []
    for reply in replies:
        if isinstance(reply, Message):
            bodies.append({**body_of(reply), "kind": "bot"})
        elif isinstance(reply, Toast) and reply.text:
            bodies.append({"kind": "toast", "text": [[reply.text, "plain", None]]})
    return bodies


def reply_entry(message: Message) -> Entry:
    """A direct reply; one that edits an earlier message replaces that entry on the page."""
    entry_id = message.edit_message_id or f"r{secrets.token_hex(6)}"
    return message_entry(entry_id, signed_text(message), message.buttons)


def toast_entry(text: str) -> Entry:
    return {"id": f"t{secrets.token_hex(6)}", "kind": "toast", "html": escape(text), "buttons": []}


def mine_entry(text: str) -> Entry:
    """What the person typed (shown back without JavaScript; the page's script shows it itself)."""
    return {"id": f"y{secrets.token_hex(6)}", "kind": "mine", "html": Markup(str(escape(text)).replace("\n", "<br>\n")),
            "buttons": []}


def form_entry(form: Form) -> Entry:
    uid = f"f{secrets.token_hex(6)}"
    return {"id": uid, "kind": "form", "html": "", "buttons": [], "form": {
        "uid": uid, "name": form.name, "state": form.state, "title": form.title, "submit": form.submit,
        "fields": [{"name": f.name, "label": f.label, "kind": f.kind, "options": list(f.options),
                    "required": f.required, "max_length": f.max_length, "hint": f.hint, "initial": f.initial or "",
                    "id": f"{uid}-{f.name}"} for f in form.fields]}}


def entry_html(renderer: PageRenderer, t: Translator, entry: Entry, csrf: str) -> str:
    """One entry as the HTML fragment the page's log shows."""
    def translated(message: str, **params: object) -> str:
        return t.tr_plain(message, **params)

    return renderer.templates.get_template(TEMPLATE).render({"tr_plain": translated}, entry=entry, csrf=csrf)
