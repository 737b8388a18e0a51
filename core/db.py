"""Engine and session factory for SQLite (WAL, one writer) and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

WROTE_OUTBOX = "oasis.wrote_outbox"  # session.info flag: this transaction queued something to send

Sessions = async_sessionmaker[AsyncSession]


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        # One connection: SQLite has one writer anyway, and waiting for it in asyncio's queue hands it over
        # at once, where competing connections would sleep in SQLite's busy handler.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # We issue BEGIN ourselves (below) instead of the driver's implicit one.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # Nearly every transaction writes (the inbox row first): take the write lock up front so a
            # reader never has to upgrade and fail with "database is locked" under concurrency.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    return create_async_engine(url, **kwargs)


def make_sessions(engine: AsyncEngine, after_outbox_commit: Callable[[], None] | None = None) -> Sessions:
    """Sessions for one engine; `after_outbox_commit` runs after each commit that queued notifications."""
    if after_outbox_commit is None:
        return async_sessionmaker(engine, expire_on_commit=False)

    class NotifyingSession(Session):
        pass

    def committed(session: Session) -> None:
        if session.info.pop(WROTE_OUTBOX, False):
            after_outbox_commit()

    event.listen(NotifyingSession, "after_commit", committed)
    event.listen(NotifyingSession, "after_rollback", lambda session: session.info.pop(WROTE_OUTBOX, None))
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=NotifyingSession)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
