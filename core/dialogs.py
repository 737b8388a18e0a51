"""Guided-conversation state, kept in the database so any process can continue a conversation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import DialogState


async def get_state(session: AsyncSession, platform: str, user_id: str, chat_id: str) -> DialogState | None:
    return await session.get(DialogState, (platform, user_id, chat_id))


async def set_state(
    session: AsyncSession, platform: str, user_id: str, chat_id: str, flow: str, step: str, data: dict[str, Any]
) -> None:
    row = await get_state(session, platform, user_id, chat_id)
    if row is None:
        row = DialogState(platform=platform, user_id=user_id, chat_id=chat_id)
        session.add(row)
    row.flow = flow
    row.step = step
    row.data = dict(data)
    row.updated_at = utcnow()


async def clear_state(session: AsyncSession, platform: str, user_id: str, chat_id: str) -> bool:
    result = await session.execute(
        delete(DialogState).where(
            DialogState.platform == platform, DialogState.user_id == user_id, DialogState.chat_id == chat_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
