"""Migrations that move data, on SQLite and PostgreSQL: what was stored before them reads the same after."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from core.db import make_engine, make_sessions
from core.migrate import alembic_config, upgrade
from core.models import Base
from tests.dbutil import empty_database

NOW = datetime(2026, 11, 1, 10, 0)


async def run(url: str, statement: str, **params: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            result = await session.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_comments_become_the_first_messages_of_each_discussion_and_come_back(db_url: str) -> None:
    await empty_database(db_url)
    await upgrade(db_url, revision="0004")  # an old schema: the reference data of its day is loaded by hand
    await run(db_url, "INSERT INTO departments (code, name_ko, name_en) VALUES ('transport', '교통', 'Transport')")
    await run(db_url, "INSERT INTO categories (code, name_ko, name_en, department_code, position) VALUES "
              "('transport', '교통', 'Transport', 'transport', 0)")
    await run(db_url, "INSERT INTO citizens (id, display_name, created_at) VALUES (1, 'A', :t), (2, 'B', :t)",
              t=NOW)
    for pid in (1, 2):
        await run(db_url, "INSERT INTO proposals (id, author_id, kind, title, description, category_code, "
                  "department_code, status, created_at, status_changed_at) VALUES "
                  "(:id, 1, 'proposal', 'T', 'D', 'transport', 'transport', 'open', :t, :t)", id=pid, t=NOW)
    rows = [(1, 2, "first on 1", "telegram", False, NOW + timedelta(minutes=1)),
            (2, 1, "only on 2", "slack", True, NOW + timedelta(minutes=2)),
            (1, 1, "second on 1", "console", False, NOW + timedelta(minutes=3))]
    for pid, cid, body, platform, hidden, at in rows:
        await run(db_url, "INSERT INTO comments (proposal_id, citizen_id, body, platform, hidden, created_at) "
                  "VALUES (:p, :c, :b, :pl, :h, :t)", p=pid, c=cid, b=body, pl=platform, h=hidden, t=at)

    await upgrade(db_url)
    moved = await run(db_url, "SELECT t.key, t.proposal_id, t.last_seq, m.seq, m.citizen_id, m.origin, m.body, "
                      "m.hidden_at IS NOT NULL FROM room_messages m JOIN room_threads t ON t.id = m.thread_id "
                      "ORDER BY t.proposal_id, m.seq")
    assert [tuple(r) for r in moved] == [
        ("p1", 1, 2, 1, 2, "telegram", "first on 1", False),
        ("p1", 1, 2, 2, 1, "console", "second on 1", False),
        ("p2", 2, 1, 1, 1, "slack", "only on 2", True),
    ]

    await asyncio.to_thread(command.downgrade, alembic_config(db_url), "0004")
    back = await run(db_url, "SELECT proposal_id, citizen_id, body, platform, hidden FROM comments ORDER BY id")
    assert [(p, c, b, pl, bool(h)) for p, c, b, pl, h in back] == [
        (1, 2, "first on 1", "telegram", False), (1, 1, "second on 1", "console", False),
        (2, 1, "only on 2", "slack", True)]


async def test_the_migrations_build_exactly_the_schema_the_models_describe(sessions: object, db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
    finally:
        await engine.dispose()
    assert differences == []


async def test_proposals_stored_before_the_search_terms_are_indexed_by_the_migration(db_url: str) -> None:
    await empty_database(db_url)
    await upgrade(db_url, revision="0011")
    await run(db_url, "INSERT INTO departments (code, name_ko, name_en) VALUES ('transport', '교통', 'Transport')")
    await run(db_url, "INSERT INTO categories (code, name_ko, name_en, department_code, position) VALUES "
              "('transport', '교통', 'Transport', 'transport', 0)")
    await run(db_url, "INSERT INTO citizens (id, display_name, created_at) VALUES (1, 'A', :t)", t=NOW)
    for pid, title in ((1, "심야버스 노선"), (2, "Night Buses")):
        await run(db_url, "INSERT INTO proposals (id, author_id, kind, title, description, category_code, "
                  "department_code, status, created_at, status_changed_at) VALUES "
                  "(:id, 1, 'free', :title, '공원', 'transport', 'transport', 'open', :t, :t)",
                  id=pid, title=title, t=NOW)
    await upgrade(db_url)
    rows = await run(db_url, "SELECT proposal_id, term FROM search_terms ORDER BY proposal_id, term")
    assert [tuple(r) for r in rows] == [(1, "공원"), (1, "노선"), (1, "버스"), (1, "심야"), (1, "야버"),
                                        (2, "buses"), (2, "night"), (2, "공원")]
