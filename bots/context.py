"""What a command handler sees: the event, the person, their language, the open transaction, the replies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bots.i18n import Translator
from bots.neutral import Button, ButtonPress, Form, Inbound, Message, OpenForm, RefuseForm, Reply, RichText, Toast
from core.citizens import Actor
from core.events import Fact
from core.rules import Rules

Then = Callable[[Sequence[Fact]], None]
"""Answers that depend on what the follow-ups of the change did (core/reactions.py), given the events
they caused: e.g. whether this vote was the one that sent the proposal to review."""


@dataclass(frozen=True)
class BotConfig:
    rules: Rules
    public_url: str
    default_language: str
    durable_replies: frozenset[str] = frozenset()
    """Platforms whose direct replies are kept in the outbox with their event (bots/replies.py)."""
    timezone: str = "Asia/Seoul"
    """Where dates are shown (OASIS_TIMEZONE): bots/time.py."""


@dataclass
class Ctx:
    session: AsyncSession
    inbound: Inbound
    actor: Actor
    t: Translator
    config: BotConfig
    replies: list[Reply] = field(default_factory=list)
    then: list[Then] = field(default_factory=list)

    @property
    def chat_id(self) -> str:
        return self.inbound.where.chat_id

    @property
    def user_key(self) -> tuple[str, str, str]:
        """The dialog-state key: one guided conversation per person per chat."""
        return (self.inbound.platform, self.inbound.who.user_id, self.chat_id)

    def reply(
        self,
        text: RichText,
        buttons: tuple[tuple[Button, ...], ...] = (),
        *,
        edit_message_id: str | None = None,
    ) -> None:
        self.replies.append(
            Message(chat_id=self.chat_id, text=text, buttons=buttons,
                    thread_id=self.inbound.where.thread_id, edit_message_id=edit_message_id)
        )

    def open_form(self, form: Form) -> None:
        self.replies.append(OpenForm(chat_id=self.chat_id, form=form))

    def refuse_form(self, errors: dict[str, str]) -> None:
        """Show these messages beside the fields; nothing else is sent."""
        self.replies = [RefuseForm(chat_id=self.chat_id, errors=tuple(errors.items()))]

    def say(self, text: RichText) -> None:
        """A short confirmation: a toast for a button press, a message otherwise."""
        if isinstance(self.inbound.payload, ButtonPress):
            self.notice("".join(span.text for span in text))
        else:
            self.reply(text)

    def notice(self, text: str) -> None:
        """A toast answering a button press; nothing for other events (their replies say it all)."""
        if not isinstance(self.inbound.payload, ButtonPress):
            return
        self.replies = [r for r in self.replies if not isinstance(r, Toast)]
        self.replies.insert(0, Toast(chat_id=self.chat_id, text=text, thread_id=self.inbound.where.thread_id))
