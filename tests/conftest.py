"""Shared fixtures: a fresh, migrated database on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.db import Sessions
from tests.dbutil import fresh_database, postgres_url_or_skip, sqlite_url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every database-backed test runs on both engines; PostgreSQL skips with a reason when unset."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return postgres_url_or_skip()


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[Sessions]:
    engine, made = await fresh_database(db_url)
    try:
        yield made
    finally:
        await engine.dispose()
