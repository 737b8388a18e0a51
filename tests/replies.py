"""What a person would read of a reply, for tests that check the conversation's words."""

from __future__ import annotations

from bots.neutral import Message, OpenForm, RefuseForm, Reply, Toast, plain_text


def words(reply: Reply) -> str:
    match reply:
        case Message():
            return plain_text(reply.text)
        case Toast():
            return reply.text
        case OpenForm():
            return "form"
        case RefuseForm():
            return " ".join(message for _field, message in reply.errors)
