"""Exactly-once effect for platform events: the event id is stored in the same transaction as its effect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import InboxEvent
from core.upsert import insert_ignore, insert_rows


async def claim_event(session: AsyncSession, platform: str, event_id: str) -> bool:
    """True the first time this event is seen; False for a re-delivery (apply nothing)."""
    return await insert_ignore(session, InboxEvent, platform=platform, event_id=event_id)


async def claim_events(session: AsyncSession, events: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (platform, event id) pairs seen for the first time, in one multi-row insert."""
    if not events:
        return set()
    now = utcnow()
    rows = await insert_rows(session, InboxEvent, [{"platform": p, "event_id": e, "received_at": now}
                                                   for p, e in dict.fromkeys(events)],
                             returning=("platform", "event_id"))
    return {(platform, event_id) for platform, event_id in rows}


async def prune(session: AsyncSession, older_than: datetime) -> int:
    """Forget events received before `older_than`: long after any platform re-delivers them (Slack
    retries within minutes, Telegram within a day), so the table does not grow for ever."""
    result = await session.execute(delete(InboxEvent).where(InboxEvent.received_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)
