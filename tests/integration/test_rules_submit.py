"""Submitting a proposal (PRODUCT.md §2), on SQLite and PostgreSQL, through the real schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import proposals
from core.clock import utcnow
from core.db import Sessions
from core.errors import Invalid
from core.models import StatusEvent
from core.rules import Rules
from tests.integration import factories as f

THRESHOLD_5 = Rules(vote_threshold=5, review_days=14)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


# --- submit -------------------------------------------------------------------------------------------


async def test_submit_creates_an_open_proposal_routed_to_its_department(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "Ana")
    before = utcnow()
    async with sessions() as s, s.begin():
        made = await proposals.submit(s, author.actor, title="  Shade\x00 trees\n on  school roads ",
                                      description="Plant trees.\n\nMany of them.", category="environment")
        pid = made.id
    p = await f.get(sessions, pid)
    assert p.status == "open"
    assert p.title == "Shade trees on school roads"
    assert p.description == "Plant trees.\n\nMany of them."
    assert p.category_code == "environment"
    assert p.department_code == "environment"
    assert p.author_id == author.id
    assert p.review_deadline is None
    assert before - timedelta(seconds=1) <= p.created_at <= utcnow() + timedelta(seconds=1)

    history = await f.events(sessions, pid)
    assert [(e.from_status, e.to_status, e.actor_id) for e in history] == [(None, "open", author.id)]
    assert await f.followers(sessions, pid) == {author.id}
    assert await f.outbox(sessions) == []  # nobody to tell yet


async def test_submit_routes_each_category_to_its_configured_department(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    pid = await f.proposal(sessions, author, category="welfare")
    assert (await f.get(sessions, pid)).department_code == "welfare"


async def test_submit_refuses_an_unknown_category_and_writes_nothing(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    with pytest.raises(Invalid) as info:
        async with sessions() as s, s.begin():
            await proposals.submit(s, author.actor, title="t", description="d", category="space_program")
    assert info.value.code == "unknown_category"
    assert info.value.params == {"category": "space_program"}
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(StatusEvent)) == 0


@pytest.mark.parametrize(("title", "description", "code"), [
    ("", "d", "title_empty"),
    ("x" * 101, "d", "title_too_long"),
    ("t", " ", "description_empty"),
    ("t", "d" * 4001, "description_too_long"),
])
async def test_submit_checks_the_limits(sessions: Sessions, title: str, description: str, code: str) -> None:
    author = await f.citizen(sessions)
    with pytest.raises(Invalid) as info:
        async with sessions() as s, s.begin():
            await proposals.submit(s, author.actor, title=title, description=description, category="transport")
    assert info.value.code == code
