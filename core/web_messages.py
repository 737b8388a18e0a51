"""The web chat's log, per person: what they typed and what Oasis answered (stored read, so a reload or
a next visit shows the conversation so far), and the notices the outbox sends them (stored unread, shown at
once on their open pages and, when none is open, on their next visit: an inbox).

Keyed by the person's chat id on the web (their session's id), as the outbox addresses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import WebMessage

UNREAD_SHOWN = 50  # the newest unread ones a visit shows; older ones are marked read with them
HISTORY_SHOWN = 60  # the newest messages a page shows when it opens


async def keep(session: AsyncSession, chat_id: str, body: dict[str, Any], *, edit_of: int | None = None) -> int:
    """Store a message (or the new body of message `edit_of` of the same chat, shown again as unread);
    returns its id."""
    if edit_of is not None:
        row = await session.get(WebMessage, edit_of)
        if row is not None and row.chat_id == chat_id:
            row.body, row.read_at = body, None
            await session.flush()
            return row.id
    row = WebMessage(chat_id=chat_id, body=body, created_at=utcnow())
    session.add(row)
    await session.flush()
    return row.id


async def keep_said(session: AsyncSession, chat_id: str, bodies: Sequence[dict[str, Any]]) -> None:
    """A conversation's turn (the typed message and its answers), stored as already read."""
    if bodies:
        now = utcnow()
        session.add_all([WebMessage(chat_id=chat_id, body=body, created_at=now, read_at=now) for body in bodies])
        await session.flush()


async def recent(session: AsyncSession, chat_id: str, limit: int = HISTORY_SHOWN) -> list[WebMessage]:
    """The newest messages of this chat, read or not, oldest first."""
    rows = (await session.scalars(select(WebMessage).where(WebMessage.chat_id == chat_id)
                                  .order_by(WebMessage.id.desc()).limit(limit))).all()
    return list(reversed(rows))


async def unread(session: AsyncSession, chat_id: str) -> list[WebMessage]:
    """What arrived while no page of this chat was open, oldest first (the newest `UNREAD_SHOWN`)."""
    rows = (await session.scalars(
        select(WebMessage).where(WebMessage.chat_id == chat_id, WebMessage.read_at.is_(None))
        .order_by(WebMessage.id.desc()).limit(UNREAD_SHOWN))).all()
    return list(reversed(rows))


async def mark_read(session: AsyncSession, chat_id: str, up_to: int) -> None:
    """Everything of this chat up to message `up_to` was shown."""
    await session.execute(update(WebMessage).where(
        WebMessage.chat_id == chat_id, WebMessage.id <= up_to, WebMessage.read_at.is_(None)).values(read_at=utcnow()))


async def mark_shown(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(update(WebMessage).where(WebMessage.id.in_(list(ids))).values(read_at=utcnow()))


async def prune(session: AsyncSession, older_than: datetime) -> int:
    """Forget messages stored before `older_than` (OASIS_INBOX_DAYS), read or not: a visitor who comes back
    after that finds the proposals they follow, not month-old news."""
    result = await session.execute(delete(WebMessage).where(WebMessage.created_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)
