"""The seam between platforms and the conversation: small, boring, platform-free value types.

Adapters turn platform input into an `Inbound` and turn a `Reply` (a `Message`, `Toast`, `OpenForm` or
`RefuseForm`) into platform calls.
Text travels as `Span`s so that each adapter escapes user text for its own markup (HTML for
Telegram, mrkdwn for Slack, nothing for the terminal) and the conversation never formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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
class Edited:
    """The person changed the text of their message `Inbound.message_id` (a group chat's: the room)."""

    text: str


@dataclass(frozen=True, slots=True)
class Deleted:
    """The person deleted their message `Inbound.message_id` (Slack tells; Telegram never does)."""


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


Payload = Command | Text | ButtonPress | FormSubmit | Edited | Deleted


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
    message_id: str | None = None
    """The platform's id of the message this event is (a Telegram message id, a Slack ts), where the
    conversation may need to find it again: a dialogue-room message is mirrored, edited, replied to."""
    reply_to: str | None = None
    """The platform's id of the message this one answers, in the same chat (a reply in the room)."""


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
class Author:
    """Who a room copy speaks for: a person's name and the surface they wrote on ("Slack")."""

    name: str
    where: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.where})" if self.where else self.name


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send: where, what (already translated), buttons in rows, or an edit."""

    chat_id: str
    text: RichText
    buttons: tuple[tuple[Button, ...], ...] = ()
    thread_id: str | None = None
    edit_message_id: str | None = None
    reply_to_message_id: str | None = None
    """Shown as an answer to this message of the same chat (a reply mirrored into the room)."""
    outbox_id: int | None = None
    """The outbox row that keeps this reply (bots/replies.py): report the send to `ReplyReceipts`."""
    author: Author | None = None
    """A room copy is said by a person, not the bot: a surface that can post under another name shows
    them as the sender (Slack with chat:write.customize); the others sign the text (`signed_text`)."""


def signed_text(message: Message) -> RichText:
    """The text with its author's name in bold before it, `Name (Slack): text`."""
    if message.author is None:
        return message.text
    where = f" ({message.author.where})" if message.author.where else ""
    return (Span(message.author.name, "bold"), Span(f"{where}: "), *message.text)


@dataclass(frozen=True, slots=True)
class Toast:
    """A short answer to a button press (Telegram's answerCallbackQuery text); not a message."""

    chat_id: str
    text: str
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class OpenForm:
    """Open this form (only where the inbound event allowed forms: `Inbound.forms`)."""

    chat_id: str
    form: Form


@dataclass(frozen=True, slots=True)
class RefuseForm:
    """Refuse a form submission: (field name, translated message) pairs, shown beside the fields."""

    chat_id: str
    errors: tuple[tuple[str, str], ...]


Reply = Message | Toast | OpenForm | RefuseForm
"""What the conversation answers to one event; each surface matches the four kinds exhaustively."""
