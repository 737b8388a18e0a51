"""core.upsert.insert_rows: many rows in one statement, the same on both databases (PostgreSQL unnests one
array per column; SQLite takes the rows as they are)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
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


async def test_timestamps_are_stored_as_the_orm_stores_them(sessions: Sessions) -> None:
    """SQLite keeps a timestamp as text; insert_rows formats each one once per batch, not through the
    column's own processor per row: what it stores must read back, and sort, as what the ORM stores."""
    shared = utcnow().replace(microsecond=123456)
    people = [await f.citizen(sessions, f"p{n}") for n in range(3)]
    rows = [{"citizen_id": p.id, "platform": "slack", "user_id": f"U{n}", "display_name": f"p{n}", "locale": None,
             "direct_chat_id": None, "last_seen_at": at}
            for n, (p, at) in enumerate(zip(people, [shared, shared, shared.replace(microsecond=0)], strict=True))]
    async with sessions() as session, session.begin():
        await insert_rows(session, Identity, rows, ignore_conflicts=False)
        session.add(Identity(citizen_id=people[0].id, platform="web", user_id="w0", display_name="p0",
                             last_seen_at=shared))
    async with sessions() as session:
        seen = dict((await session.execute(select(Identity.user_id, Identity.last_seen_at)
                                           .where(Identity.platform.in_(["slack", "web"])))).all())
        as_stored = dict((await session.execute(text(
            "SELECT user_id, CAST(last_seen_at AS TEXT) FROM identities WHERE platform IN ('slack', 'web')"))).all())
        newest = (await session.scalars(select(Identity.user_id).where(Identity.platform == "slack")
                                        .order_by(Identity.last_seen_at, Identity.user_id))).all()
    assert seen == {"U0": shared, "U1": shared, "U2": shared.replace(microsecond=0), "w0": shared}
    assert as_stored["U0"] == as_stored["U1"] == as_stored["w0"]
    assert list(newest) == ["U2", "U0", "U1"]
