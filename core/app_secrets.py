"""Secrets Oasis makes for itself: made once, on first need, and kept in the database so that a restart,
or a second instance on the same database, uses the same one (signed web sessions stay valid)."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import AppSecret
from core.upsert import insert_ignore


async def kept_secret(session: AsyncSession, name: str) -> str:
    """The secret stored under `name`, made now (256 random bits) if there is none. Two processes making
    one at once keep the first written: each inserts if absent, then both read the row that won."""
    found = await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if found is not None:
        return found
    await insert_ignore(session, AppSecret, name=name, value=secrets.token_urlsafe(32), created_at=utcnow())
    stored = await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if stored is None:  # pragma: no cover - the insert above or a concurrent one wrote it
        raise RuntimeError(f"secret {name} could not be stored")
    return stored
