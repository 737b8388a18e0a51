"""Talk to the real conversation as a named person, on a real database: a capability's conversation
test is a few lines (`alice = Speaker(conversation, "alice")`, `said(await alice.command("vote", "1"))`)."""

from __future__ import annotations

import itertools

from bots.conversation import Conversation
from bots.neutral import ButtonPress, Command, FormSubmit, Inbound, Payload, Reply, Text, Where, Who
from tests.replies import words

_events = itertools.count(1)


class Speaker:
    """One person in their private chat with the bot on `platform`."""

    def __init__(self, conversation: Conversation, user: str, *, platform: str = "telegram",
                 forms: bool = False, locale: str = "en") -> None:
        self.conversation, self.forms = conversation, forms
        self.who = Who(platform, user, user.title(), locale)
        self.where = Where(user)

    async def __call__(self, payload: Payload) -> list[Reply]:
        inbound = Inbound(self.who.platform, f"e{next(_events)}", self.who, self.where, payload, forms=self.forms)
        return await self.conversation(inbound) or []

    async def command(self, name: str, args: str = "") -> list[Reply]:
        return await self(Command(name, args))

    async def text(self, words_: str) -> list[Reply]:
        return await self(Text(words_))

    async def press(self, action: str, value: str = "") -> list[Reply]:
        return await self(ButtonPress(action, value))

    async def submit(self, form: str, fields: dict[str, str], state: str = "") -> list[Reply]:
        return await self(FormSubmit(form, fields, state))


def said(replies: list[Reply]) -> str:
    """Everything a person would read of these replies, joined with " | "."""
    return " | ".join(words(r) for r in replies)
