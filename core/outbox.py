"""The durable outbox: notifications are rows written with the change they announce, sent later."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.db import WROTE_OUTBOX
from core.models import Follow, OutboxMessage, PostedMessage
from core.upsert import insert_ignore

PENDING, SENT, FAILED = "pending", "sent", "failed"


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
) -> None:
    """One row per follower in a single INSERT ... SELECT, so a big fan-out stays one statement."""
    _mark_written(session)
    now = utcnow()
    query = select(
        Follow.citizen_id,
        literal(event_key),
        literal(kind),
        literal(params, OutboxMessage.params.type),
        literal(PENDING),
        literal(0),
        literal(now),
        literal(now),
    ).where(Follow.proposal_id == proposal_id)
    excluded = list(exclude)
    if excluded:
        query = query.where(Follow.citizen_id.not_in(excluded))
    cols = ["citizen_id", "event_key", "kind", "params", "status", "attempts", "next_attempt_at", "created_at"]
    await session.execute(insert(OutboxMessage).from_select(cols, query))


async def claim_due(
    session: AsyncSession, *, limit: int = 100, lease_seconds: float = 60.0, now: datetime | None = None
) -> list[OutboxMessage]:
    """Take due rows and lease them; a crashed sender's rows come due again when the lease ends."""
    now = now or utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.scalars(query)).all())
    lease_until = now + timedelta(seconds=lease_seconds)
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = lease_until
    await session.flush()
    return rows


async def mark_sent(session: AsyncSession, message_id: int, platform: str | None) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=SENT, sent_at=utcnow(), platform=platform, last_error=None)
    )


async def mark_retry(session: AsyncSession, message_id: int, at: datetime, error: str) -> None:
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(next_attempt_at=at, last_error=error)
    )


async def mark_failed(session: AsyncSession, message_id: int, error: str) -> None:
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(status=FAILED, last_error=error)
    )


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: int(n) for status, n in rows.all()}
