"""Direct replies as outbox rows: written in the event's own transaction, so none is lost to a 429, a
timeout or a crash after the commit.

The adapter still sends a reply at once (the row is held back from the dispatcher for `HOLD` while it
tries) and reports the outcome; a reply it could not send is the outbox's to retry, pace and count like
any notice. A re-delivered event finds its inbox row and writes nothing, so nothing is sent twice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bots.neutral import Button, Message, Reply, Span
from core.outbox import REPLY, queue_reply

KIND = REPLY
HOLD_SECONDS = 30.0  # the adapter's own attempt comes first; then the dispatcher takes over


def durable(reply: Reply) -> bool:
    """A message with text; toasts, forms and form errors belong to the request and go with its answer."""
    return isinstance(reply, Message) and reply.outbox_id is None and any(span.text.strip() for span in reply.text)


def encode(reply: Message) -> dict[str, Any]:
    return {
        "spans": [[s.text, s.style, s.url] for s in reply.text],
        "buttons": [[[b.action, b.value, b.label] for b in row] for row in reply.buttons],
        "thread_id": reply.thread_id,
        "edit_message_id": reply.edit_message_id,
    }


def decode(params: dict[str, Any], chat_id: str) -> Message:
    return Message(
        chat_id=chat_id,
        text=tuple(Span(str(text), style, url) for text, style, url in params.get("spans", [])),
        buttons=tuple(tuple(Button(str(a), str(v), str(label)) for a, v, label in row)
                      for row in params.get("buttons", [])),
        thread_id=params.get("thread_id"),
        edit_message_id=params.get("edit_message_id"),
    )


async def persist(session: AsyncSession, platform: str, event_id: str, replies: list[Reply]) -> list[Reply]:
    """Write each durable reply as an outbox row; returns the replies, those rows' ids attached."""
    out: list[Reply] = []
    for index, reply in enumerate(replies):
        if isinstance(reply, Message) and durable(reply):
            row_id = await queue_reply(session, platform, reply.chat_id, f"reply:{index}:{event_id}"[:100],
                                       encode(reply), hold_seconds=HOLD_SECONDS)
            reply = replace(reply, outbox_id=row_id)
        out.append(reply)
    return out
