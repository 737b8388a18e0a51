"""Fresh, migrated databases for tests: a new SQLite file, or a wiped PostgreSQL schema.

Every test that needs a database builds it through the real migrations (`core.migrate.upgrade`), so
the tests exercise the schema that production runs, not `metadata.create_all`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import Sessions, is_sqlite, make_engine, make_sessions
from core.migrate import upgrade

POSTGRES_ENV = "OASIS_TEST_POSTGRES_URL"


def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL inside the test's own temporary directory."""
    return f"sqlite+aiosqlite:///{tmp_path / 'oasis.db'}"


def postgres_url_or_skip() -> str:
    """The PostgreSQL URL for tests, or skip the test when none is configured."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests skipped")
    return url


def remove_sqlite_files(url: str) -> None:
    """Delete a SQLite database file and its WAL companions, if any."""
    database = make_url(url).database
    if database and database != ":memory:":
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)


async def fresh_database(url: str) -> tuple[AsyncEngine, Sessions]:
    """Empty the database at `url`, migrate it to head, and return an engine and session factory.

    The caller disposes of the engine. PostgreSQL loses everything in schema `public`: point
    OASIS_TEST_POSTGRES_URL at a database used only by tests.
    """
    await empty_database(url)
    await upgrade(url)
    engine = make_engine(url)
    return engine, make_sessions(engine)


async def empty_database(url: str) -> None:
    """No tables at all: the state before the first migration."""
    if is_sqlite(url):
        remove_sqlite_files(url)
        return
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def count_rows(url: str, table: Any) -> int:
    """How many rows `table` holds now, through a connection of its own."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table)) or 0)
    finally:
        await engine.dispose()
