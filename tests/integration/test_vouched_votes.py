"""A cookie is not a person (PRODUCT.md §3): Support from a web chat person counts only once a messenger
account vouches for them, a rule of core/votes.py that both vote paths apply."""

from __future__ import annotations

import pytest

from core import votes
from core.citizens import Account, enter_many
from core.db import Sessions
from core.errors import Forbidden
from core.linking import merge_citizens
from core.rules import Rules
from tests.integration import factories as f

RULES = Rules(vote_threshold=5)
UNVOUCHED = frozenset({"web"})


async def test_an_unlinked_web_person_is_refused_and_a_linked_one_counts(sessions: Sessions) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    linked_tg = await f.citizen(sessions, "linked")
    async with sessions() as s, s.begin():
        visitor, linked, messenger = await enter_many(s, [
            Account("web", "cookie-1", "web-AAAAA"), Account("web", "cookie-2", "web-BBBBB"),
            Account("telegram", "42", "Kim")], unvouched=UNVOUCHED)
    assert not visitor.vouched and not linked.vouched and messenger.vouched
    async with sessions() as s, s.begin():
        with pytest.raises(Forbidden) as refused:
            await votes.vote(s, visitor, pid, RULES)
        assert refused.value.code == "vote_needs_linked_account"
        await merge_citizens(s, keep=linked_tg.id, gone=linked.citizen_id)
    async with sessions() as s, s.begin():
        again, = await enter_many(s, [Account("web", "cookie-2", "web-BBBBB")], unvouched=UNVOUCHED)
        assert again.vouched and again.citizen_id == linked_tg.id
        results = await votes.vote_many(s, [(visitor, pid), (again, pid), (messenger, pid)], RULES)
    assert isinstance(results[0], Forbidden)
    assert not isinstance(results[1], Exception) and results[1].changed
    assert not isinstance(results[2], Exception) and results[2].changed
    assert await f.vote_count(sessions, pid) == 2
