"""Engine and session factory for SQLite (WAL, one writer) and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from core.sqlite_inline import inline_creator

WROTE_OUTBOX = "oasis.wrote_outbox"  # session.info flag: this transaction queued something to send

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True, slots=True)
class Limits:
    """How long one use of the database may wait, in seconds: to connect, for a pooled connection, for a
    lock (on SQLite the writer's awaited retries, core/sqlite_inline.py, and the reader's busy handler;
    PostgreSQL's lock_timeout) and for one statement."""

    connect: float
    pool: float
    lock: float
    statement: float


# A person is waiting and the platform re-delivers what we do not acknowledge: fail fast, answer 5xx.
INTERACTIVE = Limits(connect=1.0, pool=1.0, lock=1.0, statement=1.0)
# Migrations, reports, the outbox and timed jobs: nobody waits on them, and a retry costs more.
LONG = Limits(connect=10.0, pool=30.0, lock=30.0, statement=300.0)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def is_database_failure(error: BaseException) -> bool:
    """True when `error` (or what caused it) means the database could not be used, as opposed to a bug:
    a driver or SQLAlchemy database error, a refused, reset or hung connection, a timeout. The event that
    met it must be rolled back and left unacknowledged, so the platform delivers it again."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, exc.DBAPIError | exc.DisconnectionError | exc.TimeoutError | OSError
                      | TimeoutError | sqlite3.Error):
            return True
        if type(current).__module__.split(".")[0] == "asyncpg":  # driver errors not wrapped by SQLAlchemy
            return True
        current = current.__cause__ or current.__context__
    return False


def make_engine(url: str, limits: Limits = LONG, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        # One connection: SQLite has one writer anyway, and waiting for it in asyncio's queue hands it over
        # at once, where competing connections would sleep in SQLite's busy handler.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", limits.pool)
        # Statements run on the event loop's thread (core/sqlite_inline.py); a locked database is waited
        # for there, up to limits.lock, with SQLite's own busy handler off.
        engine = create_async_engine(url, async_creator=inline_creator(url, limits.lock), **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # We issue BEGIN ourselves (below) instead of the driver's implicit one.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # Nearly every transaction writes (the inbox row first): take the write lock up front so a
            # reader never has to upgrade and fail with "database is locked" under concurrency.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_timeout", limits.pool)
    connect_args = {
        "timeout": limits.connect,  # a blackholed server hangs the connect, not refuses it
        "command_timeout": limits.statement,
        "server_settings": {"lock_timeout": f"{int(limits.lock * 1000)}",
                            "statement_timeout": f"{int(limits.statement * 1000)}"},
    }
    return create_async_engine(url, connect_args=connect_args, **kwargs)


def make_reader(url: str, limits: Limits = LONG) -> AsyncEngine:
    """An engine for reads that take a while and write nothing (the statistics: core/statistics.py).

    On SQLite its own connection, in deferred read transactions with `query_only` on: WAL lets it read one
    snapshot beside the writer, where the main engine's BEGIN IMMEDIATE would hold the one write lock (and
    its one pooled connection) for the whole read. On PostgreSQL a small pool of its own, with `limits`.
    """
    if not is_sqlite(url):
        return make_engine(url, limits, pool_size=2, max_overflow=2)
    engine = create_async_engine(url, connect_args={"timeout": limits.lock}, pool_size=1, max_overflow=0,
                                 pool_timeout=limits.pool)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")
        cur.execute(f"PRAGMA busy_timeout={int(limits.lock * 1000)}")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")  # deferred: a read transaction, one snapshot for all its statements

    return engine


def make_sessions(engine: AsyncEngine, after_outbox_commit: Callable[[], None] | None = None, *,
                  info: dict[str, Any] | None = None) -> Sessions:
    """Sessions for one engine; `after_outbox_commit` runs after each commit that queued notifications.
    `info`: what every session starts its `info` with (the process's point values: core/mileage.py)."""
    if after_outbox_commit is None:
        return async_sessionmaker(engine, expire_on_commit=False, info=dict(info or {}))

    class NotifyingSession(Session):
        pass

    def committed(session: Session) -> None:
        if session.info.pop(WROTE_OUTBOX, False):
            after_outbox_commit()

    event.listen(NotifyingSession, "after_commit", committed)
    event.listen(NotifyingSession, "after_rollback", lambda session: session.info.pop(WROTE_OUTBOX, None))
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=NotifyingSession,
                              info=dict(info or {}))


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
