"""Exactly-once effect for platform events: the event id is stored in the same transaction as its effect."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import InboxEvent
from core.upsert import insert_ignore


async def claim_event(session: AsyncSession, platform: str, event_id: str) -> bool:
    """True the first time this event is seen; False for a re-delivery (apply nothing)."""
    return await insert_ignore(session, InboxEvent, platform=platform, event_id=event_id)
