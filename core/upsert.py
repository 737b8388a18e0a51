"""INSERT ... ON CONFLICT DO NOTHING on both databases, reporting whether a row was written."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(session: AsyncSession, model: Any, **values: Any) -> bool:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = ins(model).values(**values).on_conflict_do_nothing()
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]
