"""SQLite on the event loop's own thread: connections shaped like aiosqlite's whose calls run at once.

aiosqlite runs every call (cursor, execute, fetch, close) in a thread of its own and hands each result back
through the event loop: a batch of a dozen statements costs some forty thread hops, and under load every
hop waits for the GIL behind the busy event loop. SQLite's own work for our statements takes microseconds
(a batch of 64 Support presses, a few milliseconds), less than the hops around it, so the writer's
connection runs it inline: a third to a half less CPU per press, and no wait for the GIL.

The loop must never sleep inside SQLite, so its busy handler is off (timeout 0): a statement that finds the
database locked by another writer (`oasis chat`, an `oasis` command, another process) is tried
again after an awaited pause, for as long as the engine's lock limit allows: the same patience as SQLite's
busy handler, without holding the loop. Long reads keep the threaded driver (core.db.make_reader).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url

FIRST_PAUSE = 0.001
LONGEST_PAUSE = 0.05
CACHED_STATEMENTS = 512
"""Prepared statements kept per connection: a multi-row insert of each batch size is a text of its own."""


def _busy(error: sqlite3.OperationalError) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


class _Calls:
    """Stands for aiosqlite's queue of calls, through which SQLAlchemy's adapter sets the isolation level."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:
            if future is not None:
                future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


class InlineCursor:
    """A sqlite3 cursor behind aiosqlite's awaitable methods."""

    def __init__(self, owner: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._owner = owner
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        while (row := self._cursor.fetchone()) is not None:
            yield row

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await self._owner.patiently(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        rows = list(parameters)
        await self._owner.patiently(lambda: self._cursor.executemany(sql, rows), whole=False)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """What SQLAlchemy's sqlite+aiosqlite dialect uses of `aiosqlite.Connection`, on the calling thread."""

    def __init__(self, conn: sqlite3.Connection, patience: float) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._patience = patience
        self._tx = _Calls()

    @property
    def _connection(self) -> sqlite3.Connection | None:  # SQLAlchemy looks at it before commit and rollback
        return self._conn

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")
        return self._conn

    async def patiently(self, call: Callable[[], Any], *, whole: bool = True) -> Any:
        """`call()`; while another connection holds the lock, tried again after a pause, up to the patience.

        A refused statement changed nothing, so it may run again. `executemany` outside a transaction
        (`whole=False`) is the exception: there each row commits alone, the refusal may come after some
        of them, and it goes up instead. Inside a transaction the lock, once held, is held to the end.
        """
        conn = self._live()
        deadline = time.monotonic() + self._patience
        pause = FIRST_PAUSE
        while True:
            in_transaction = conn.in_transaction
            try:
                return call()
            except sqlite3.OperationalError as error:
                if not _busy(error) or time.monotonic() >= deadline or not (whole or in_transaction):
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._live().cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await self.patiently(self._live().commit)

    async def rollback(self) -> None:
        self._live().rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._live().create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._live().isolation_level = value  # type: ignore[assignment]


def inline_creator(url: str, patience: float) -> Callable[[], Awaitable[InlineConnection]]:
    """An `async_creator` for SQLAlchemy's sqlite+aiosqlite dialect: the URL read as the dialect reads it
    (file name, `?mode=`, `uri=true`), with SQLite's busy handler off and the calls run inline."""
    args, options = SQLiteDialect_pysqlite().create_connect_args(make_url(url))
    database, uri = str(args[0]), bool(options.get("uri", False))

    async def create() -> InlineConnection:
        conn = sqlite3.connect(database, timeout=0, isolation_level=None, check_same_thread=False,
                               cached_statements=CACHED_STATEMENTS, uri=uri)
        return InlineConnection(conn, patience)

    return create
