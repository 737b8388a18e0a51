"""SQLite run on the event loop's thread (core/sqlite_inline.py): a locked database is waited for without
holding the loop, up to the lock limit, and only statements that changed nothing are tried again."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import Limits, make_engine
from core.sqlite_inline import inline_creator

QUICK = Limits(connect=1.0, pool=1.0, lock=0.5, statement=1.0)


def _locker(path: Path) -> sqlite3.Connection:
    """Another connection (as another process would be) holding SQLite's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_a_locked_database_is_waited_for_while_the_loop_runs_on(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    other = _locker(path)
    engine = make_engine(f"sqlite+aiosqlite:///{path}", QUICK)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(ticking())
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, other.commit)  # the other connection lets go after 0.2 s
    try:
        started = time.monotonic()
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        waited = time.monotonic() - started
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM t")) == 1
    finally:
        ticker.cancel()
        await engine.dispose()
        other.close()
    assert 0.15 < waited < QUICK.lock
    assert ticks >= 10  # the loop went on turning while the insert waited for the lock


async def test_past_the_lock_limit_the_refusal_goes_up(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    other = _locker(path)
    engine = make_engine(f"sqlite+aiosqlite:///{path}", QUICK)
    try:
        started = time.monotonic()
        with pytest.raises(Exception, match="database is locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (1)"))
        assert QUICK.lock <= time.monotonic() - started < QUICK.lock + 0.5
    finally:
        await engine.dispose()
        other.rollback()
        other.close()


async def test_executemany_outside_a_transaction_is_not_tried_again(tmp_path: Path) -> None:
    """Outside a transaction each row commits alone: a second try could write the first rows twice."""
    path = tmp_path / "rows.db"
    other = _locker(path)
    conn = await inline_creator(f"sqlite+aiosqlite:///{path}", patience=5.0)()
    try:
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await conn.cursor().executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
        assert time.monotonic() - started < 1.0  # refused at once, not after the 5 s of patience
    finally:
        await conn.close()
        other.rollback()
        other.close()


async def test_a_closed_connection_says_so(tmp_path: Path) -> None:
    conn = await inline_creator(f"sqlite+aiosqlite:///{tmp_path / 'closed.db'}", patience=1.0)()
    cursor = await conn.execute("SELECT 1")
    assert await cursor.fetchall() == [(1,)]
    await conn.close()
    with pytest.raises(ValueError, match="closed"):
        conn.cursor()
