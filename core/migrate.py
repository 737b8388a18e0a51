"""Alembic, configured in code so that `oasis db upgrade` needs no ini file next to it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import make_engine, make_sessions
from core.directory import load_directory, sync_directory

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade_sync(url: str, revision: str) -> None:
    command.upgrade(alembic_config(url), revision)


async def upgrade(url: str, departments_file: str | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` and load departments and categories into it."""
    # Alembic's env runs its own event loop for the async engine: keep it off ours.
    await asyncio.to_thread(_upgrade_sync, url, revision)
    engine = make_engine(url)
    try:
        await load_reference_data(engine, departments_file)
    finally:
        await engine.dispose()


async def load_reference_data(engine: AsyncEngine, departments_file: str | None = None) -> None:
    sessions = make_sessions(engine)
    async with sessions() as session, session.begin():
        await sync_directory(session, load_directory(departments_file))
