"""Which Oasis processes are alive, so that what a dead one held in the outbox is taken over at once.

An outbox row being sent is marked with its claimer (`OutboxMessage.claimed_by`); a row whose claimer is
not alive is due at once, whatever its lease says (core/outbox.py `claim_due`). How liveness is known:

- PostgreSQL: each process holds a session-level advisory lock (`NAMESPACE`, its key) on a connection of
  its own for as long as it runs. The server drops the lock the moment that connection ends, and a
  `kill -9` ends it at once (the kernel closes the socket), so `pg_locks` says exactly who is alive, with
  no timing to tune and no writes.
- SQLite (processes on one machine sharing the file: `oasis run` and `oasis chat`): each process beats in
  `outbox_instances` every `BEAT` seconds and counts as dead `DEAD_AFTER` after its last beat.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from core.clock import utcnow
from core.models import OutboxInstance
from core.upsert import insert_ignore

log = logging.getLogger(__name__)

NAMESPACE = 0x6F61  # the first key of every instance's advisory lock ("oa"); the second is the instance's
BEAT = 1.0
"""Seconds between beats: on SQLite the heartbeat, on PostgreSQL a look at the lock's connection."""
DEAD_AFTER = timedelta(seconds=5)
"""SQLite: no beat for this long and the process is taken for dead. Several beats, so a busy moment is not
a death; short, so a restarted process (a new instance) takes over what the old one held within seconds."""
FORGET_AFTER = timedelta(days=1)  # SQLite rows of instances long gone are deleted

_LIVE_PG = text(
    "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = :ns AND objsubid = 2 AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _is_postgres(bind: object) -> bool:
    dialect = getattr(bind, "dialect", None)
    return dialect is not None and dialect.name == "postgresql"


async def live_instances(session: AsyncSession, now: datetime | None = None,
                         dead_after: timedelta = DEAD_AFTER) -> list[str]:
    """The ids of the processes alive now (their claims stand)."""
    if _is_postgres(session.bind):
        rows = await session.execute(_LIVE_PG, {"ns": NAMESPACE})
        return [str(objid) for (objid,) in rows.all()]
    since = (now or utcnow()) - dead_after
    return list((await session.scalars(select(OutboxInstance.id).where(OutboxInstance.heartbeat_at > since))).all())


async def beat(session: AsyncSession, instance: str, now: datetime | None = None) -> None:
    """SQLite: this process is alive. The heartbeat task and a claim may beat first at the same moment:
    insert once, else move the beat."""
    at = now or utcnow()
    if not await insert_ignore(session, OutboxInstance, id=instance, started_at=at, heartbeat_at=at):
        await session.execute(update(OutboxInstance).where(OutboxInstance.id == instance).values(heartbeat_at=at))


class Instance:
    """This process as the outbox knows it: an id to mark claims with, kept alive while it runs.

    `start` before the first claim, `keep_alive` every `BEAT` seconds, `stop` at the end (what it still
    holds is then taken over at once). Safe to call `start` again: it does nothing while alive."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine, self.clock = engine, clock
        self.postgres = _is_postgres(engine)
        # A positive 31-bit key: pg_locks shows it as the lock's objid, which is what claims are marked with.
        self._key = secrets.randbelow(2**31 - 2) + 1
        self.id = str(self._key) if self.postgres else secrets.token_hex(8)
        self._lock: AsyncConnection | None = None

    @property
    def alive(self) -> bool:
        """PostgreSQL: the lock is held (False before `start` or after its connection was lost)."""
        return not self.postgres or self._lock is not None

    async def start(self) -> None:
        if self.postgres:
            if self._lock is None:
                await self._take_lock()
        else:
            await self.keep_alive()

    async def keep_alive(self) -> None:
        """SQLite: beat (and forget instances long dead). PostgreSQL: check the lock's connection, and take
        the lock again on a new one if it was lost (the database restarted)."""
        if not self.postgres:
            now = self.clock()
            async with AsyncSession(self.engine) as session, session.begin():
                await beat(session, self.id, now)
                await session.execute(delete(OutboxInstance).where(OutboxInstance.heartbeat_at < now - FORGET_AFTER))
            return
        if self._lock is not None:
            try:
                await self._lock.execute(text("SELECT 1"))
                return
            except Exception as error:
                log.warning("outbox instance %s lost its lock connection (%s); taking the lock again", self.id, error)
                await self._drop_lock()
        await self._take_lock()

    async def _take_lock(self) -> None:
        # Autocommit: the lock is the session's, and a transaction left open on this connection for the
        # process's life would hold back the cleanup of every deleted row in the database (the outbox's,
        # the tallies' changes), so that reads of those tables walked ever more dead rows.
        connection = await (await self.engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = await connection.scalar(text("SELECT pg_try_advisory_lock(:ns, :key)"),
                                             {"ns": NAMESPACE, "key": self._key})
        except BaseException:
            await connection.close()
            raise
        if not taken:  # another process drew the same key (about one chance in two billion): draw again
            await connection.close()
            self._key = secrets.randbelow(2**31 - 2) + 1
            self.id = str(self._key)
            await self._take_lock()
            return
        self._lock = connection

    async def _drop_lock(self) -> None:
        """End the lock's session: invalidated, not returned to the pool, where it would keep the lock."""
        connection, self._lock = self._lock, None
        if connection is not None:
            try:
                await connection.invalidate()
                await connection.close()
            except Exception as error:  # already broken: the server has let the lock go with it
                log.debug("closing the lock connection: %s", error)

    async def stop(self) -> None:
        """Let go: what this process still holds is taken over at once by the others."""
        if self.postgres:
            await self._drop_lock()  # ending the session releases its advisory lock
            return
        try:
            async with AsyncSession(self.engine) as session, session.begin():
                await session.execute(delete(OutboxInstance).where(OutboxInstance.id == self.id))
        except Exception as error:
            log.warning("outbox instance %s could not sign off: %s", self.id, error)
