"""The tables. Raw user text only; formatting and translation happen at the edges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.clock import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DECIDED_SQL = "status IN ('adopted', 'rejected', 'implementing', 'implemented')"
"""The proposals with a decision (core/board.py's `decided` order walks their partial index)."""

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Citizen(Base):
    __tablename__ = "citizens"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    notify_platform: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Identity(Base):
    """One account on one platform; several may point at one citizen once linked."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_identities_platform_user"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str | None] = mapped_column(String(20))
    direct_chat_id: Mapped[str | None] = mapped_column(String(100))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)


class RoleGrant(Base):
    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("citizen_id", "role", "department_code", name="uq_role_grants_citizen_role_dept"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Department(Base):
    __tablename__ = "departments"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    channel_platform: Mapped[str | None] = mapped_column(String(20))
    channel_id: Mapped[str | None] = mapped_column(String(100))
    """Where the department's review cards go (`<platform>_channel` in the departments file)."""
    keywords: Mapped[list[str] | None] = mapped_column(JSON)
    """Words (Korean and English) that route a new proposal here rather than to its category's department."""


class Category(Base):
    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_status_created", "status", "created_at"),
                      # PostgreSQL: the decided ones only; SQLite: all (it would take the status index for
                      # a query that named the statuses as the partial index's condition needs: core/board.py).
                      Index("ix_proposals_decided", "status_changed_at", postgresql_where=text(DECIDED_SQL)))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="free")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    review_deadline: Mapped[datetime | None] = mapped_column(DateTime)
    panel_deadline: Mapped[datetime | None] = mapped_column(DateTime)
    call_id: Mapped[int | None] = mapped_column(Id, index=True)
    """The themed call it was proposed to: it stays open until the call closes (core/calls.py)."""


class Vote(Base):
    """One row per supporter: the count is always derived, never a hot counter row."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("proposal_id", "citizen_id", name="uq_votes_proposal_citizen"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ProposalTally(Base):
    """A proposal's supporters and followers as of the last fold of `tally_changes` (core/tallies.py):
    lists sort on it without counting what grows; the exact figure adds the changes not folded yet."""

    __tablename__ = "proposal_tallies"
    __table_args__ = (Index("ix_proposal_tallies_votes", "votes", "proposal_id"),)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    followers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class TallyChange(Base):
    """+n / -n supporters or followers of a proposal, appended by database triggers on `votes` and `follows`
    in the transaction that changed them, until the `tallies` job folds them into `proposal_tallies`."""

    __tablename__ = "tally_changes"
    __table_args__ = (Index("ix_tally_changes_proposal", "proposal_id", "votes", "followers"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(Id)
    votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    followers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SearchTerm(Base):
    """One term of a proposal's title and description (core/search.py): Hangul bigrams and lower-case
    words, so that a search works alike on SQLite and PostgreSQL, 버스 and 공원 included."""

    __tablename__ = "search_terms"
    __table_args__ = (Index("ix_search_terms_term", "term", "proposal_id"), {"sqlite_with_rowid": False})
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    term: Mapped[str] = mapped_column(String(40).with_variant(String(40, collation="C"), "postgresql"),
                                      primary_key=True)
    """Compared byte by byte on both databases: a prefix is a range of the index."""


class ProposalCount(Base):
    """How many proposals have each status, category and department, as of the last fold: list totals
    ("page 1 of N") without counting the proposals table."""

    __tablename__ = "proposal_counts"
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    category_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    department_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    proposals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ProposalCountChange(Base):
    """+1 / -1 for a (status, category, department), appended by triggers on `proposals`; folded by the
    `tallies` job into `proposal_counts`."""

    __tablename__ = "proposal_count_changes"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(20))
    category_code: Mapped[str] = mapped_column(String(40))
    department_code: Mapped[str] = mapped_column(String(40))
    delta: Mapped[int] = mapped_column(Integer)


class RoomThread(Base):
    """One discussion of the dialogue room: a proposal's, or the Lobby (key "lobby")."""

    __tablename__ = "room_threads"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    """"lobby", or "p<id>" for a proposal's discussion."""
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), unique=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    """The sequence number of its newest message: every surface shows a thread in this order."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class RoomMessage(Base):
    """One utterance in the dialogue room: the source of truth that every surface mirrors."""

    __tablename__ = "room_messages"
    __table_args__ = (
        UniqueConstraint("thread_id", "seq", name="uq_room_messages_thread_seq"),
        Index("ix_room_messages_citizen_created", "citizen_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("room_threads.id"))
    seq: Mapped[int] = mapped_column(Integer)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    origin: Mapped[str] = mapped_column(String(20), default="")
    """The platform it was written on."""
    body: Mapped[str] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("room_messages.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime)
    hidden_reason: Mapped[str | None] = mapped_column(Text)


class RoomReport(Base):
    """Someone finds a room message against the rules; enough distinct people hide it pending review."""

    __tablename__ = "room_reports"
    message_id: Mapped[int] = mapped_column(ForeignKey("room_messages.id"), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ModerationAct(Base):
    """The public record of moderation in the room: who hid or restored what, when and why (no actor:
    hidden by reports, pending a moderator)."""

    __tablename__ = "moderation_acts"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("room_messages.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    act: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RoomDestination(Base):
    """A room the operator configured on a surface (TELEGRAM_ROOM_CHAT_ID, SLACK_ROOM_CHANNEL_ID): where
    room messages are mirrored. Written by the process that runs that surface, read by core."""

    __tablename__ = "room_destinations"
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(100))


class RoomPlace(Base):
    """Where a thread lives on one surface: a forum topic's id, a Slack root message's ts (None: the
    Lobby, which is the General topic / the channel's top level)."""

    __tablename__ = "room_places"
    __table_args__ = (Index("ix_room_places_ref", "platform", "chat_id", "place_ref"),)
    thread_id: Mapped[int] = mapped_column(ForeignKey("room_threads.id"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    place_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RoomCopy(Base):
    """One copy of a room message on a surface, part by part (long text is split): the persistent map
    that lets edits, deletes, hides and replies find every copy after any restart. The copy a person
    wrote themselves is the origin; the bot's copies get their message id once sent."""

    __tablename__ = "room_copies"
    __table_args__ = (
        UniqueConstraint("message_id", "platform", "chat_id", "part", name="uq_room_copies_message_place_part"),
        UniqueConstraint("platform", "chat_id", "platform_message_id", name="uq_room_copies_platform_message"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("room_messages.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    part: Mapped[int] = mapped_column(Integer, default=0)
    platform_message_id: Mapped[str | None] = mapped_column(String(100))
    origin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Follow(Base):
    __tablename__ = "follows"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StatusEvent(Base):
    """The public history of a proposal: who moved it, when, from where to where, and why."""

    __tablename__ = "status_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    reason_code: Mapped[str | None] = mapped_column(String(20))
    reason_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    """Indexed: a report finds its period's steps by time (core/reports.py)."""
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What else the step recorded: a decision taken without a panel's quorum, and why it could be."""


class PanelEvaluation(Base):
    """One panel member's scores (1–5) of a proposal with the expert panel; changeable until the decision."""

    __tablename__ = "panel_evaluations"
    __table_args__ = (UniqueConstraint("proposal_id", "member_id", name="uq_panel_evaluations_proposal_member"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    panel: Mapped[str] = mapped_column(String(20))
    member_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    necessity: Mapped[int] = mapped_column(Integer)
    effectiveness: Mapped[int] = mapped_column(Integer)
    feasibility: Mapped[int] = mapped_column(Integer)
    budget_fit: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Call(Base):
    """A themed call (공모): a department asks for proposals on one subject between two times."""

    __tablename__ = "calls"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(DateTime)
    closes_at: Mapped[datetime] = mapped_column(DateTime)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    """When its opening was announced (by the `calls` job)."""
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    """When its proposals were sent to review together (by the `calls` job)."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Subscription(Base):
    """A person's announcements: a category's new proposals, `calls`, `reports`, or `all`."""

    __tablename__ = "subscriptions"
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MileageEntry(Base):
    """One line of a citizen's append-only points ledger (PRODUCT.md §6). `act` names what earned or took
    back the points ("vote:12:on:1"), so no act counts twice, even when an event is delivered again."""

    __tablename__ = "mileage_entries"
    __table_args__ = (UniqueConstraint("citizen_id", "act", name="uq_mileage_entries_citizen_act"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    act: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(Integer)
    proposal_id: Mapped[int | None] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JobRun(Base):
    """What a timed job did last (scheduler/jobs.py), kept so another process can list it."""

    __tablename__ = "job_runs"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_status: Mapped[str | None] = mapped_column(String(10))
    last_result: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)


class DepartmentReview(Base):
    __tablename__ = "department_reviews"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    official_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    recommendation: Mapped[str] = mapped_column(String(10))
    necessity: Mapped[str] = mapped_column(Text, default="")
    effectiveness: Mapped[str] = mapped_column(Text, default="")
    feasibility: Mapped[str] = mapped_column(Text, default="")
    budget_krw: Mapped[int | None] = mapped_column(BigInteger)
    reason_code: Mapped[str | None] = mapped_column(String(20))
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    """Indexed: a report finds its period's opinions by time (core/reports.py)."""


class InboxEvent(Base):
    """Platform event ids already applied: a re-delivery finds its row and changes nothing."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_received_at", "received_at"),)
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OutboxMessage(Base):
    """A notification to one citizen, written in the transaction of the change it announces."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_key", "citizen_id", name="uq_outbox_event_citizen"),
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    """The person to tell; NULL for a message to a channel (`channel_platform`, `channel_id`)."""
    channel_platform: Mapped[str | None] = mapped_column(String(20))
    channel_id: Mapped[str | None] = mapped_column(String(100))
    message_ref: Mapped[str | None] = mapped_column(String(100))
    """Remember the sent message under this name (e.g. a department card), so it can be edited later."""
    edit_ref: Mapped[str | None] = mapped_column(String(100))
    """Edit the message remembered under this name instead of sending a new one."""
    event_key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    """The process sending it now (core/instances.py), or holding it as a reply its adapter sends; cleared
    when the attempt ends. A row whose claimer is dead is taken over at once, not at the end of its lease."""


class OutboxInstance(Base):
    """A running Oasis process on SQLite (`oasis run`, `oasis chat`), alive while it beats. PostgreSQL
    knows its processes by their advisory locks and keeps no rows here."""

    __tablename__ = "outbox_instances"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SendSlot(Base):
    """The next free send slot of a rate shared by several processes (core/send_slots.py), in seconds
    since the epoch by the database's clock, so the processes' own clocks do not matter."""

    __tablename__ = "send_slots"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class PostedMessage(Base):
    """A message we may edit later: the department card of a proposal in a Slack channel, say."""

    __tablename__ = "posted_messages"
    ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(100))
    posted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LinkCode(Base):
    """A one-time code that joins another platform's account to this citizen (`/link`)."""

    __tablename__ = "link_codes"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class LinkAttempt(Base):
    """A failed `/link <code>`: too many in a short time and the account must wait."""

    __tablename__ = "link_attempts"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DialogState(Base):
    """Where a person is in a guided conversation, so any process can continue it."""

    __tablename__ = "dialog_states"
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    flow: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AppSecret(Base):
    """A secret Oasis made for itself on first run (the key that signs web sessions), so that a restart,
    or another instance on the same database, keeps using it. A key set in the environment wins."""

    __tablename__ = "app_secrets"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class WebMessage(Base):
    """A message for a web chat person (`chat_id`: their session's id): notices the outbox sent while their
    page was closed wait here, and are shown on their next visit (`read_at` set once shown)."""

    __tablename__ = "web_messages"
    __table_args__ = (Index("ix_web_messages_chat_id", "chat_id", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    chat_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
