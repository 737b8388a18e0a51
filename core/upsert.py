"""INSERT ... ON CONFLICT DO NOTHING on both databases, reporting whether a row was written; and many rows
in one fixed statement, for the batches of the vote path."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, Row, String, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
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
        stmt, processors = _sqlite_insert(connection.dialect, model, columns, ignore_conflicts, returning)
        result = await connection.execute(stmt, _processed(rows, processors) if processors else list(rows))
    return result.all() if returning else []


@cache
def _unnesting_insert(model: Any, columns: tuple[str, ...], ignore_conflicts: bool, returning: tuple[str, ...]) -> Any:
    table = model.__table__
    arrays = select(*(func.unnest(bindparam(name, type_=ARRAY(table.c[name].type))).label(name) for name in columns))
    stmt = postgresql.insert(table).from_select(list(columns), arrays)
    if ignore_conflicts:
        stmt = stmt.on_conflict_do_nothing()
    return stmt.returning(*(table.c[name] for name in returning)) if returning else stmt


Processor = Callable[[Any], Any]


@cache
def _sqlite_insert(dialect: Dialect, model: Any, columns: tuple[str, ...], ignore_conflicts: bool,
                   returning: tuple[str, ...]) -> tuple[Any, dict[str, Processor]]:
    """The statement, and the bind processor of each column that has one (a datetime's, on SQLite: its text).

    The statement takes every value as it is given: `insert_rows` runs the processors itself, once per
    distinct value, because a batch's rows share their timestamps and SQLAlchemy would format each again
    for every row (a tenth of a storm's SQLite batch)."""
    table = model.__table__
    processors = {name: found for name in columns
                  if (found := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None}
    stmt = _ignoring("sqlite", model) if ignore_conflicts else insert(model)
    stmt = stmt.values({name: bindparam(name, type_=String()) for name in processors})
    return (stmt.returning(*(table.c[name] for name in returning)) if returning else stmt), processors


def _processed(rows: Sequence[Mapping[str, Any]], processors: dict[str, Processor]) -> list[dict[str, Any]]:
    """The rows with each processed value computed once per object (by identity: equal values of another
    kind, an aware datetime in another zone, are processed on their own)."""
    done: dict[tuple[str, int], Any] = {}
    out = []
    for row in rows:
        row = dict(row)
        for name, process in processors.items():
            value = row[name]
            key = (name, id(value))  # `rows` holds every value for the whole loop: ids are not reused
            if key not in done:
                done[key] = process(value)
            row[name] = done[key]
        out.append(row)
    return out


def dialect_of(session: AsyncSession) -> str:
    """The session's database: "postgresql" or "sqlite" (a session not bound yet is taken for SQLite)."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"
