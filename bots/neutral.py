"""The seam between platforms and the conversation: small, boring, platform-free value types.

Adapters turn platform input into an `Inbound` and turn an `Outbound` into platform calls.
Text travels as `Span`s so that each adapter escapes user text for its own markup (HTML for
Telegram, mrkdwn for Slack, nothing for the terminal) and the conversation never formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Style = Literal["plain", "bold", "italic", "code", "link"]


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with one style; `url` is set for links."""

    text: str
    style: Style = "plain"
    url: str | None = None


RichText = tuple[Span, ...]


def plain_text(text: RichText) -> str:
    """The text with all styling dropped (logs, terminals, tests)."""
    return "".join(span.text for span in text)


@dataclass(frozen=True, slots=True)
class Who:
    """The person behind an inbound event, as their platform names them."""

    platform: str
    user_id: str
    display_name: str = ""
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Where:
    """The conversation an event came from, and where a reply should go."""

    chat_id: str
    direct: bool = True
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class ButtonPress:
    action: str
    value: str = ""
    message_id: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class FormSubmit:
    form: str
    fields: dict[str, str] = field(default_factory=dict)
    state: str = ""


Payload = Command | Text | ButtonPress | FormSubmit


@dataclass(frozen=True, slots=True)
class Inbound:
    platform: str
    event_id: str
    who: Who
    where: Where
    payload: Payload
    forms: bool = False
    """The surface can open a form in answer to this event (Slack: it carries a trigger_id)."""
    command_prefix: str = "/"
    """How people type a command here: "/" on Telegram, "/oasis " in Slack; replies name commands so."""


@dataclass(frozen=True, slots=True)
class Button:
    action: str
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of a form: a line, a paragraph, or a choice among options (value, label)."""

    name: str
    label: str
    kind: Literal["line", "text", "select"] = "line"
    options: tuple[tuple[str, str], ...] = ()
    required: bool = True
    max_length: int | None = None
    hint: str | None = None
    initial: str | None = None


@dataclass(frozen=True, slots=True)
class Form:
    """A form the surface shows at once (a Slack modal); its answer comes back as `FormSubmit(name, …)`."""

    name: str
    title: str
    submit: str
    fields: tuple[FormField, ...]
    state: str = ""
    """Opaque context returned with the submission (e.g. the proposal id)."""


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to send: where, what (already translated), buttons in rows, or an edit."""

    chat_id: str
    text: RichText
    buttons: tuple[tuple[Button, ...], ...] = ()
    thread_id: str | None = None
    edit_message_id: str | None = None
    notice: str | None = None
    """Short toast for a button press (Telegram's answerCallbackQuery text); not a message."""
    form: Form | None = None
    """Open this form instead of sending text (only where the inbound event allowed forms)."""
    form_errors: tuple[tuple[str, str], ...] = ()
    """Refuse a form submission: (field name, translated message) pairs, shown beside the fields."""
    outbox_id: int | None = None
    """The outbox row that keeps this reply (bots/replies.py): report the send to `ReplyReceipts`."""


class StorageUnavailable(Exception):
    """The conversation could not reach its database: nothing was stored, so answer the platform 5xx and
    let it deliver the event again."""


class DeliveryError(Exception):
    """Raised by a `Sender`; tells the outbox what to do next."""


class RetryAfter(DeliveryError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class TransientError(DeliveryError):
    """Network trouble or a 5xx: try again later with backoff."""


class MaybeSent(TransientError):
    """The request was fully written but no answer came: the platform may have sent it. The outbox
    waits longer before trying again, as the platform offers no idempotency key to ask with."""


class PermanentError(DeliveryError):
    """The platform will never accept this (blocked bot, chat gone): mark failed now."""


class Sender(Protocol):
    """What the outbox dispatcher needs from a platform adapter."""

    platform: str

    async def send(self, message: Outbound) -> str | None:
        """Deliver one message, pacing for the platform's limits; return its id, raise DeliveryError."""
        ...


class InboundHandler(Protocol):
    """The conversation as adapters see it: store the event, apply it once, return direct replies.

    Returns None when the event was already processed (a platform re-delivery): send nothing.
    Raises on storage failure so that the adapter answers 5xx and the platform re-delivers.
    """

    async def __call__(self, inbound: Inbound, /) -> list[Outbound] | None: ...


class ReplyReceipts(Protocol):
    """Where an adapter reports what became of the replies it sent itself (`Outbound.outbox_id`)."""

    async def delivered(self, platform: str, reply: Outbound, message_id: str | None) -> None: ...

    async def undelivered(self, platform: str, reply: Outbound, error: Exception) -> None:
        """Leave it to the outbox: retried after the platform's wait, paced, counted, never dropped."""
        ...

    async def toast_lost(self, platform: str, chat_id: str, thread_id: str | None, text: str) -> None:
        """A button's answer could not be shown: send its words as a short message instead."""
        ...
