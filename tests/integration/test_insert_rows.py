"""core.upsert.insert_rows: many rows in one statement, the same on both databases (PostgreSQL unnests one
array per column; SQLite takes the rows as they are)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.clock import utcnow
from core.db import Sessions
from core.models import Follow, Identity
from core.upsert import insert_rows
from tests.integration import factories as f


async def test_rows_already_there_are_skipped_and_not_returned(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    pid = await f.proposal(sessions, author)  # the author follows their proposal
    people = [(await f.citizen(sessions, f"p{n}")).id for n in range(3)]
    now = utcnow()
    rows = [{"proposal_id": pid, "citizen_id": cid, "created_at": now} for cid in [author.id, *people]]
    async with sessions() as session, session.begin():
        written = await insert_rows(session, Follow, rows, returning=("citizen_id",))
        assert sorted(cid for (cid,) in written) == sorted(people)
        assert await insert_rows(session, Follow, rows, returning=("citizen_id",)) == []
        assert await insert_rows(session, Follow, []) == []
    async with sessions() as session:
        stored = (await session.scalars(select(Follow.citizen_id).where(Follow.proposal_id == pid))).all()
    assert sorted(stored) == sorted([author.id, *people])


async def test_a_conflict_is_an_error_unless_ignored(sessions: Sessions) -> None:
    someone = await f.citizen(sessions, "someone")
    row = {"citizen_id": someone.id, "platform": someone.platform, "user_id": someone.user_id,
           "display_name": "again", "locale": None, "direct_chat_id": None, "last_seen_at": utcnow()}
    async with sessions() as session:
        with pytest.raises(IntegrityError):
            await insert_rows(session, Identity, [row], ignore_conflicts=False)
        await session.rollback()
