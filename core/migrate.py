"""Alembic, configured in code so that `oasis db upgrade` needs no ini file next to it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import make_engine, make_sessions
from core.directory import load_directory, sync_directory

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade_sync(url: str, revision: str) -> list[str]:
    applied: list[str] = []

    def record(*, step: MigrationInfo, **_context: object) -> None:
        script = step.up_revision
        if step.is_upgrade and script is not None:
            doc = getattr(script, "doc", "") or ""  # a Script (the file) has a doc; a bare Revision does not
            applied.append(f"{script.revision} {doc.strip()}".strip())

    cfg = alembic_config(url)
    cfg.attributes["on_version_apply"] = record  # read by migrations/env.py
    command.upgrade(cfg, revision)
    return applied


async def upgrade(url: str, departments_file: str | None = None, revision: str = "head") -> list[str]:
    """Bring the schema to `revision` and load departments and categories into it; returns the migrations
    applied now ("0002 channels, edits and account links"), oldest first."""
    # Alembic's env runs its own event loop for the async engine: keep it off ours.
    applied = await asyncio.to_thread(_upgrade_sync, url, revision)
    if revision != "head":  # an older schema than the models describe (a migration test): leave it as it is
        return applied
    engine = make_engine(url)
    try:
        await load_reference_data(engine, departments_file)
    finally:
        await engine.dispose()
    return applied


async def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await engine.dispose()


async def schema_problem(url: str) -> str | None:
    """Why a server cannot start on the database at `url` (unreachable, or not at this code's revision), in
    words for the operator; None when it can. Checked before anything starts, so that the answer is one line
    that says what to do, not a traceback from the first statement."""
    where = make_url(url).render_as_string(hide_password=True)
    try:
        current = await current_revision(url)
    except Exception as error:  # whatever the driver raises, the operator gets one line
        return f"cannot reach the database at {where}: {type(error).__name__}: {str(error)[:200]}"
    script = ScriptDirectory.from_config(alembic_config(""))
    head = script.get_current_head()  # the revision this code's models describe
    if current == head:
        return None
    if current is None:
        return f"the database at {where} has no Oasis tables yet: run `oasis db upgrade` first"
    try:
        script.get_revision(current)
    except Exception:  # a revision this code has no migration for
        return (f"the database at {where} is at revision {current}, which this Oasis (revision {head}) does not "
                f"know: it was upgraded by a newer release; run that release, or restore a backup")
    return (f"the database at {where} is at revision {current}, and this Oasis needs {head}: "
            "run `oasis db upgrade` first")


async def load_reference_data(engine: AsyncEngine, departments_file: str | None = None) -> None:
    sessions = make_sessions(engine)
    async with sessions() as session, session.begin():
        await sync_directory(session, load_directory(departments_file))
