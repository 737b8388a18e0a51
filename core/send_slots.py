"""Send slots and direct chats shared by every process of one deployment on PostgreSQL.

A platform's account-wide rate (Telegram's ~30 messages a second per bot) is the account's, not one
process's: with two `oasis run` behind a load balancer each must leave room for the other. Each send takes
the next slot from one row per account, `gap` seconds after the one before, by the database's clock (one
short upsert, far below the send it paces); the processes then send at their slots and together keep the
rate. A 429 for the whole account moves the next slot past the platform's wait, for every process.

Direct chats opened on request (a Slack DM: conversations.open is limited to about 50 a minute) are kept on
the person's identity, where the outbox finds them next time, in any process.
"""

from __future__ import annotations

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.models import Identity

_NOW = "extract(epoch from clock_timestamp())::float8"
_TAKE = text(
    f"INSERT INTO send_slots (key, next_at) VALUES (:key, {_NOW} + :gap) "
    f"ON CONFLICT (key) DO UPDATE SET next_at = greatest(send_slots.next_at, {_NOW}) + :gap "
    f"RETURNING next_at - :gap - {_NOW}"
)
_HOLD = text(
    f"INSERT INTO send_slots (key, next_at) VALUES (:key, {_NOW} + :seconds) "
    f"ON CONFLICT (key) DO UPDATE SET next_at = greatest(send_slots.next_at, {_NOW} + :seconds)"
)


class SendSlots:
    """bots.ports.SharedRate on PostgreSQL (SQLite serves one sending process, which paces alone)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def take(self, key: str, gap: float) -> float:
        async with self.engine.begin() as connection:
            wait = await connection.scalar(_TAKE, {"key": key, "gap": gap})
        return max(float(wait or 0.0), 0.0)

    async def hold(self, key: str, seconds: float) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(_HOLD, {"key": key, "seconds": seconds})


class StoredDirectChats:
    """bots.ports.DirectChats on the identities table (`direct_chat_id`), on either database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def known(self, platform: str, user_id: str) -> str | None:
        async with AsyncSession(self.engine) as session:
            found = await session.scalar(select(Identity.direct_chat_id).where(
                Identity.platform == platform, Identity.user_id == user_id, Identity.direct_chat_id.is_not(None)))
        return str(found) if found else None

    async def remember(self, platform: str, user_id: str, chat_id: str) -> None:
        """On the account's identity if it has one (an account not seen yet stores its chat on its first
        event in it); a chat the person wrote in is kept."""
        async with AsyncSession(self.engine) as session, session.begin():
            await session.execute(update(Identity).where(
                Identity.platform == platform, Identity.user_id == user_id, Identity.direct_chat_id.is_(None))
                .values(direct_chat_id=chat_id))
