"""INSERT ... ON CONFLICT DO NOTHING on both databases, reporting whether a row was written; and many rows
in one fixed statement, for the batches of the vote path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, Row, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import bindparam


def ignoring_insert(session: AsyncSession, model: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the session's database, built once per dialect and table."""
    return _ignoring(dialect_of(session), model)


@cache
def _ignoring(dialect: str, model: Any) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model).on_conflict_do_nothing()


async def insert_ignore(session: AsyncSession, model: Any, **values: Any) -> bool:
    """Run on the connection with parameters: this is on the vote path, where SQLAlchemy's
    per-statement work is most of the cost."""
    stmt = ignoring_insert(session, model)
    connection = await session.connection()
    result = await connection.execute(stmt, values)
    return bool(result.rowcount)


Rows = Sequence[Row[*tuple[Any, ...]]]


async def insert_rows(session: AsyncSession, model: Any, rows: Sequence[Mapping[str, Any]], *,
                      ignore_conflicts: bool = True, returning: tuple[str, ...] = ()) -> Rows:
    """Insert `rows` (all with the same keys) in one statement; with `returning`, those columns of the rows
    written (in no particular order; with `ignore_conflicts`, none for a row that was already there).

    On PostgreSQL the statement takes one array per column and unnests them: the same text for any number
    of rows, so the driver prepares it once, and the database runs one statement (and its statement
    triggers) instead of one per row. SQLite gets the rows as the driver's executemany, or one multi-row
    statement when there is a RETURNING (SQLAlchemy's insertmanyvalues).
    """
    if not rows:
        return []
    columns = tuple(rows[0])
    connection = await session.connection()
    if dialect_of(session) == "postgresql":
        stmt = _unnesting_insert(model, columns, ignore_conflicts, returning)
        result = await connection.execute(stmt, {name: [row[name] for row in rows] for name in columns})
    else:
        result = await connection.execute(_sqlite_insert(model, ignore_conflicts, returning), list(rows))
    return result.all() if returning else []


@cache
def _unnesting_insert(model: Any, columns: tuple[str, ...], ignore_conflicts: bool, returning: tuple[str, ...]) -> Any:
    table = model.__table__
    arrays = select(*(func.unnest(bindparam(name, type_=ARRAY(table.c[name].type))).label(name) for name in columns))
    stmt = postgresql.insert(table).from_select(list(columns), arrays)
    if ignore_conflicts:
        stmt = stmt.on_conflict_do_nothing()
    return stmt.returning(*(table.c[name] for name in returning)) if returning else stmt


@cache
def _sqlite_insert(model: Any, ignore_conflicts: bool, returning: tuple[str, ...]) -> Any:
    stmt = _ignoring("sqlite", model) if ignore_conflicts else insert(model)
    table = model.__table__
    return stmt.returning(*(table.c[name] for name in returning)) if returning else stmt


def dialect_of(session: AsyncSession) -> str:
    """The session's database: "postgresql" or "sqlite" (a session not bound yet is taken for SQLite)."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"
