"""The durable outbox: notifications are rows written with the change they announce, sent later."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.db import WROTE_OUTBOX
from core.instances import DEAD_AFTER, live_instances
from core.models import Follow, Identity, OutboxMessage, PostedMessage
from core.upsert import ignoring_insert, insert_ignore

PENDING, SENT, FAILED = "pending", "sent", "failed"
REPLY = "reply"  # the kind of a direct reply kept with its event (bots/replies.py)
ROOM_DELETE = "room_delete"  # a room copy to delete (scheduler/room_delivery.py)
ROOM_NOTICE = "room_notice"  # the bot's own short note in a room thread, e.g. to someone it may not DM
AHEAD = (REPLY, ROOM_DELETE)
"""Kinds claimed before all others."""
INSTANCE = "oasis.instance"
"""session.info key: this process (core.instances.Instance), the claimer of the replies it writes."""


def _mark_written(session: AsyncSession) -> None:
    session.info[WROTE_OUTBOX] = True


async def notify(
    session: AsyncSession, citizen_ids: Iterable[int], event_key: str, kind: str, params: dict[str, Any]
) -> None:
    _mark_written(session)
    now = utcnow()
    for cid in sorted(set(citizen_ids)):
        session.add(
            OutboxMessage(
                citizen_id=cid, event_key=event_key, kind=kind, params=params, next_attempt_at=now, created_at=now
            )
        )
    await session.flush()


async def notify_once(
    session: AsyncSession, citizen_ids: Iterable[int], event_key: str, kind: str, params: dict[str, Any]
) -> int:
    """Like `notify`, but a person who has a row under `event_key` already keeps it and gets no other:
    for work that may run again (a timed job). Returns how many rows were written."""
    written = 0
    now = utcnow()
    for cid in sorted(set(citizen_ids)):
        written += await insert_ignore(session, OutboxMessage, citizen_id=cid, event_key=event_key, kind=kind,
                                       params=params, status=PENDING, attempts=0, next_attempt_at=now,
                                       created_at=now)
    if written:
        _mark_written(session)
    return written


async def notify_channel(
    session: AsyncSession,
    platform: str,
    channel_id: str,
    event_key: str,
    kind: str,
    params: dict[str, Any],
    *,
    message_ref: str | None = None,
    edit_ref: str | None = None,
) -> None:
    """A message to a shared channel (a department's Slack channel), not to one person."""
    _mark_written(session)
    now = utcnow()
    session.add(OutboxMessage(citizen_id=None, channel_platform=platform, channel_id=channel_id,
                              message_ref=message_ref, edit_ref=edit_ref, event_key=event_key, kind=kind,
                              params=params, next_attempt_at=now, created_at=now))
    await session.flush()


async def queue_reply(session: AsyncSession, platform: str, chat_id: str, event_key: str, params: dict[str, Any],
                      *, hold_seconds: float, attempts: int = 1) -> int:
    """A direct reply kept with its event. It counts as claimed once (the adapter sends it first), by this
    process (`INSTANCE` in the session's info), and comes due for the dispatcher only after `hold_seconds`,
    should the adapter not report back (so the dispatcher is not woken for it) — or at once, anywhere,
    should this process die meanwhile."""
    now = utcnow()
    instance = session.info.get(INSTANCE)
    row = OutboxMessage(citizen_id=None, channel_platform=platform, channel_id=chat_id, event_key=event_key,
                        kind=REPLY, params=params, attempts=attempts, created_at=now,
                        next_attempt_at=now + timedelta(seconds=hold_seconds),
                        claimed_by=instance.id if instance is not None and hold_seconds > 0 else None)
    session.add(row)
    await session.flush()
    return row.id


async def release_held_replies(session: AsyncSession) -> int:
    """At start-up: replies held for an adapter without a claimer (written before claims named their
    process) are due now. A held reply that names its process is due as soon as that process is dead
    (`claim_due`), and never while it lives: another instance may be answering it this moment."""
    now = utcnow()
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == REPLY, OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at > now,
               OutboxMessage.claimed_by.is_(None))
        .values(next_attempt_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def remember_message(session: AsyncSession, ref: str, platform: str, chat_id: str, message_id: str) -> None:
    if not await insert_ignore(session, PostedMessage, ref=ref, platform=platform, chat_id=chat_id,
                               message_id=message_id, posted_at=utcnow()):
        await session.execute(
            update(PostedMessage).where(PostedMessage.ref == ref)
            .values(platform=platform, chat_id=chat_id, message_id=message_id)
        )


async def find_message(session: AsyncSession, ref: str) -> PostedMessage | None:
    return await session.get(PostedMessage, ref)


async def notify_followers(
    session: AsyncSession,
    proposal_id: int,
    event_key: str,
    kind: str,
    params: dict[str, Any],
    exclude: Iterable[int] = (),
    *,
    due_at: datetime | None = None,
) -> None:
    """One row per follower in a single INSERT ... SELECT, so a big fan-out stays one statement. A
    follower who has a row under `event_key` already keeps it (a digest: one per period), and the rows
    go out at `due_at` (default now)."""
    _mark_written(session)
    now = utcnow()
    query = select(
        Follow.citizen_id,
        literal(event_key),
        literal(kind),
        literal(params, OutboxMessage.params.type),
        literal(PENDING),
        literal(0),
        literal(due_at or now),
        literal(now),
    ).where(Follow.proposal_id == proposal_id)
    excluded = list(exclude)
    if excluded:
        query = query.where(Follow.citizen_id.not_in(excluded))
    cols = ["citizen_id", "event_key", "kind", "params", "status", "attempts", "next_attempt_at", "created_at"]
    await session.execute(ignoring_insert(session, OutboxMessage).from_select(cols, query))


def sendable_by(platforms: Collection[str], by_user_id: Collection[str]) -> ColumnElement[bool]:
    """Rows a dispatcher with senders for `platforms` should take: a channel on one of them, or a citizen
    reachable on one of them, or a citizen reachable nowhere (to mark failed). A row for someone only
    reachable elsewhere is left to the process that can send there (`oasis chat` beside `oasis run`).
    `by_user_id`: platforms whose people can be written to knowing only their user id."""
    reachable = or_(Identity.direct_chat_id.is_not(None), Identity.platform.in_(list(by_user_id)))
    of_row = Identity.citizen_id == OutboxMessage.citizen_id
    here = exists().where(of_row, reachable, Identity.platform.in_(list(platforms)))
    anywhere = exists().where(of_row, reachable)
    return or_(
        and_(OutboxMessage.citizen_id.is_(None), OutboxMessage.channel_platform.in_(list(platforms))),
        and_(OutboxMessage.citizen_id.is_not(None), or_(here, ~anywhere)),
    )


async def claim_due(
    session: AsyncSession, *, limit: int = 100, lease_seconds: float = 60.0, now: datetime | None = None,
    platforms: Collection[str] | None = None, by_user_id: Collection[str] = (), instance: str | None = None,
    dead_after: timedelta = DEAD_AFTER,
) -> list[OutboxMessage]:
    """Take due rows and lease them to `instance`. A row claimed by a process that is not alive (it
    crashed: core/instances.py) is due at once; a claim without an instance comes due again when its lease
    ends.

    Direct replies (someone is waiting for them) and room deletes (a hidden message must go before
    anything else is shown) come first, then notices, each in id order. With `platforms`, only rows this
    dispatcher can send (`sendable_by`).
    """
    now = now or utcnow()
    live = await live_instances(session, now, dead_after)
    if instance is not None and instance not in live:
        live.append(instance)  # the caller is alive, whatever the table says
    orphaned = and_(OutboxMessage.claimed_by.is_not(None), OutboxMessage.claimed_by.not_in(live))
    rows: list[OutboxMessage] = []
    for replies in (True, False):
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.status == PENDING, or_(OutboxMessage.next_attempt_at <= now, orphaned),
                   OutboxMessage.kind.in_(AHEAD) if replies else OutboxMessage.kind.not_in(AHEAD))
            .order_by(OutboxMessage.id)
            .limit(limit - len(rows))
        )
        if platforms is not None:
            query = query.where(sendable_by(platforms, by_user_id))
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows.extend((await session.scalars(query)).all())
        if len(rows) >= limit:
            break
    lease_until = now + timedelta(seconds=lease_seconds)
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = lease_until
        row.claimed_by = instance
    await session.flush()
    return rows


async def mark_sent(session: AsyncSession, message_id: int, platform: str | None) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=SENT, sent_at=utcnow(), platform=platform, last_error=None, claimed_by=None)
    )


async def mark_retry(session: AsyncSession, message_id: int, at: datetime, error: str) -> None:
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id)
        .values(next_attempt_at=at, last_error=error, claimed_by=None)
    )


async def mark_failed(session: AsyncSession, message_id: int, error: str) -> None:
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id)
        .values(status=FAILED, last_error=error, claimed_by=None)
    )


async def requeue_failed(session: AsyncSession, since: datetime | None = None) -> int:
    """After an incident: failed rows (written at or after `since`) are pending again, due now, with a
    fresh give-up window; their last error stays for the record until they are sent."""
    now = utcnow()
    query = update(OutboxMessage).where(OutboxMessage.status == FAILED)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    result = await session.execute(query.values(status=PENDING, attempts=0, next_attempt_at=now, created_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: int(n) for status, n in rows.all()}
