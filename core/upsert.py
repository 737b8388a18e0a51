"""INSERT ... ON CONFLICT DO NOTHING on both databases, reporting whether a row was written."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

_STATEMENTS: dict[tuple[str, Any], Any] = {}


def ignoring_insert(session: AsyncSession, model: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the session's database, built once per dialect and table."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    stmt = _STATEMENTS.get((dialect, model))
    if stmt is None:
        ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = _STATEMENTS[(dialect, model)] = ins(model).on_conflict_do_nothing()
    return stmt


async def insert_ignore(session: AsyncSession, model: Any, **values: Any) -> bool:
    """Run on the connection with parameters: this is on the vote path, where SQLAlchemy's
    per-statement work is most of the cost."""
    stmt = ignoring_insert(session, model)
    connection = await session.connection()
    result = await connection.execute(stmt, values)
    return bool(result.rowcount)
