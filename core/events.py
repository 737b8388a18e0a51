"""What happened: use cases publish domain events, and core/reactions.py says what follows each.

A use case states the fact ("#12 entered review") and stops there; it does not know who must be told or
what must be checked afterwards. `publish` runs the event's reactions at once, in the same transaction
(so a notice is stored with the change it announces, or not at all), and keeps the event on the session
for its follow-ups, which whoever owns the transaction runs after the commit (`core.reactions.follow_up`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

PENDING = "oasis.events"  # session.info key: events published in the open transaction, for follow-ups


@dataclass(frozen=True, slots=True)
class Event:
    proposal_id: int


@dataclass(frozen=True, slots=True)
class ProposalSubmitted(Event):
    author_id: int


@dataclass(frozen=True, slots=True)
class Supported(Event):
    citizen_id: int
    may_enter_review: bool
    """The count is close to the threshold: after the commit, check whether this vote sent it to review
    (concurrent voters may each have counted fewer votes than were cast)."""


@dataclass(frozen=True, slots=True)
class StatusChanged(Event):
    status_event_id: int
    title: str
    from_status: str
    to_status: str
    reason_code: str | None = None
    reason_text: str | None = None
    findings: dict[str, Any] = field(default_factory=dict)
    """What the public record of this step holds beside its reason (the opinion's fields, a deadline)."""
    not_told: tuple[int, ...] = ()
    """Citizens who caused the change and need no notice of it."""


@dataclass(frozen=True, slots=True)
class Routed(Event):
    """An official sent the proposal to another department (`/route`)."""

    status_event_id: int
    from_department: str
    to_department: str
    deadline: datetime | None
    """The new department's deadline, when the proposal is under review."""
    by: int


@dataclass(frozen=True, slots=True)
class EnteredReview(Event):
    deadline: datetime
    sent_by: int | None = None
    """The citizen whose support was the one that counted, when a vote (not the sweep) moved it."""


@dataclass(frozen=True, slots=True)
class Reviewed(Event):
    review_id: int


@dataclass(frozen=True, slots=True)
class DiscussionOpened(Event):
    """A proposal's thread of the dialogue room exists now: each room surface opens a topic for it."""

    thread_id: int
    title: str


@dataclass(frozen=True, slots=True)
class RoomMessagePosted:
    """Someone said something in the dialogue room (a proposal's discussion, or the Lobby)."""

    message_id: int
    thread_id: int
    proposal_id: int | None
    citizen_id: int
    written_in: tuple[str, str] | None
    """(platform, chat) of the room it was written in, which has it already; None: a private chat."""
    held: bool = False
    """Over the person's flood limit: kept, not mirrored."""
    first_held: bool = False
    """The first message held in this spell: the person is told, once."""


@dataclass(frozen=True, slots=True)
class AccountsMerged:
    """Not about one proposal: two citizens became one, and votes moved between them."""

    citizen_id: int
    proposals_voted: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RoomMessageChanged:
    """A room message was edited or deleted by its author: every copy shows it, or goes."""

    message_id: int
    deleted: bool
    written_in: tuple[str, str] | None
    """(platform, chat) where the person did it, which shows it already; None: elsewhere (a command)."""


@dataclass(frozen=True, slots=True)
class RoomMessageModerated:
    """A room message was hidden (by a moderator, or by reports pending one) or restored."""

    message_id: int
    hidden: bool
    reason: str
    by_reports: bool = False
    reports: int = 0
    by: int | None = None
    """The moderator (None when reports hid it)."""


Fact = Event | AccountsMerged | RoomMessagePosted | RoomMessageChanged | RoomMessageModerated


async def publish(session: AsyncSession, event: Fact) -> None:
    """Run the event's reactions in this transaction and keep it for the follow-ups after the commit."""
    from core.reactions import react  # the table imports the use cases that publish: bound at call time

    session.info.setdefault(PENDING, []).append(event)
    await react(session, event)


def take(session: AsyncSession) -> list[Fact]:
    """The events published since the last take (after a commit: to follow up; after a rollback: to drop)."""
    events: list[Fact] = session.info.pop(PENDING, [])
    return events
