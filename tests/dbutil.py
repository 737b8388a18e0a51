"""Fresh, migrated databases for tests: a new SQLite file, or an emptied PostgreSQL schema.

Every test that needs a database gets the schema the real migrations build (`core.migrate.upgrade`, run
once per test process), so the tests exercise the schema that production runs, not `metadata.create_all`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import Sessions, is_sqlite, make_engine, make_sessions
from core.migrate import load_reference_data, upgrade
from core.models import Base

POSTGRES_ENV = "OASIS_TEST_POSTGRES_URL"


def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL inside the test's own temporary directory."""
    return f"sqlite+aiosqlite:///{tmp_path / 'oasis.db'}"


def postgres_url_or_skip() -> str:
    """The PostgreSQL URL for tests, or skip the test when none is configured.

    Under pytest-xdist each worker process gets a database of its own beside the configured one
    (`oasis_test_gw1` for worker gw1), created on first use: the tests empty their database freely."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests skipped")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    own = parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)
    if own not in _CREATED:
        # Called from inside running tests (an event loop is running): create it from a thread of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, _create_database(url, f"{parsed.database}_{worker}")).result()
        _CREATED.add(own)
    return own


_CREATED: set[str] = set()


async def _create_database(url: str, name: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            if not await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


def remove_sqlite_files(url: str) -> None:
    """Delete a SQLite database file and its WAL companions, if any."""
    database = make_url(url).database
    if database and database != ":memory:":
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)


_AT_HEAD: set[str] = set()
"""PostgreSQL URLs this process migrated to head and has not emptied since: emptied by TRUNCATE."""
_SQLITE_TEMPLATE: list[Path] = []


async def fresh_database(url: str) -> tuple[AsyncEngine, Sessions]:
    """An empty database at `url`, at the head revision with the reference data, and its engine and
    session factory. The caller disposes of the engine.

    The migrations run once per test process: SQLite copies a file migrated then, PostgreSQL empties the
    tables of a schema migrated then (every test still starts from the real migrations' schema).
    PostgreSQL loses everything in schema `public`: point OASIS_TEST_POSTGRES_URL at a database used only
    by tests.
    """
    if is_sqlite(url):
        remove_sqlite_files(url)
        shutil.copyfile(await _sqlite_template(), str(make_url(url).database))
    elif url in _AT_HEAD:
        await _truncate(url)
    else:
        await empty_database(url)
        await upgrade(url)
        _AT_HEAD.add(url)
    engine = make_engine(url)
    return engine, make_sessions(engine)


async def _sqlite_template() -> Path:
    if not _SQLITE_TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="oasis-template-")) / "oasis.db"
        await upgrade(f"sqlite+aiosqlite:///{path}")  # its engines are disposed: the WAL is folded in
        _SQLITE_TEMPLATE.append(path)
    return _SQLITE_TEMPLATE[0]


async def _truncate(url: str) -> None:
    engine = make_engine(url)
    try:
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await load_reference_data(engine)
    finally:
        await engine.dispose()


async def empty_database(url: str) -> None:
    """No tables at all: the state before the first migration."""
    _AT_HEAD.clear()  # another URL (a proxy's) may name the same database
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
