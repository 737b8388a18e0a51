"""One person across platforms: link codes, the merge, and where notifications go afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import Command, Inbound, Where, Who, plain_text
from bots.platforms import MESSAGED_BY_USER_ID
from core import linking
from core.addresses import resolve_address
from core.citizens import load_actor
from core.clock import utcnow
from core.db import Sessions
from core.errors import Forbidden, Invalid, InvalidState
from core.models import Citizen, Identity, LinkCode, Vote
from core.rules import Rules
from tests.integration import factories as f

RULES = Rules(vote_threshold=3)


async def test_linking_merges_two_accounts_and_counts_a_shared_vote_once(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    pid = await f.proposal(sessions, author)
    on_telegram = await f.citizen(sessions, "Mina", platform="telegram")
    on_slack = await f.citizen(sessions, "Mina", platform="slack")
    await f.vote(sessions, on_telegram, pid, RULES)
    await f.vote(sessions, on_slack, pid, RULES)
    assert await f.vote_count(sessions, pid) == 2
    async with sessions() as s, s.begin():
        code = await linking.issue_code(s, on_telegram.actor, "telegram")
    async with sessions() as s, s.begin():
        result = await linking.redeem_code(s, on_slack.actor, code.lower())
    assert result is not None and result.citizen_id == on_telegram.id and result.votes_dropped == 1
    assert await f.vote_count(sessions, pid) == 1
    assert await f.followers(sessions, pid) == {author.id, on_telegram.id}
    async with sessions() as s:
        owners = set((await s.scalars(select(Identity.citizen_id).where(Identity.user_id.in_(
            [on_telegram.user_id, on_slack.user_id])))).all())
        assert owners == {on_telegram.id}
        assert await s.get(Citizen, on_slack.id) is None
    # The same person voting again from either account changes nothing.
    async with sessions() as s, s.begin():
        actor = await load_actor(s, on_telegram.id)
        from core import votes
        again = await votes.vote(s, actor, pid, RULES)
    assert not again.changed and again.count == 1


async def test_codes_are_single_use_expire_and_limit_guessing(sessions: Sessions) -> None:
    first = await f.citizen(sessions, platform="telegram")
    second = await f.citizen(sessions, platform="slack")
    async with sessions() as s, s.begin():
        code = await linking.issue_code(s, first.actor, "telegram")
    async with sessions() as s, s.begin():
        with pytest.raises(InvalidState):
            await linking.redeem_code(s, first.actor, code)
    async with sessions() as s, s.begin():
        await s.execute(update(LinkCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    async with sessions() as s, s.begin():
        assert await linking.redeem_code(s, second.actor, code) is None
    for _ in range(linking.MAX_FAILURES - 1):
        async with sessions() as s, s.begin():
            assert await linking.redeem_code(s, second.actor, "WRONG123") is None
    async with sessions() as s, s.begin():
        fresh = await linking.issue_code(s, first.actor, "telegram")
    async with sessions() as s, s.begin():
        with pytest.raises(Forbidden) as refused:
            await linking.redeem_code(s, second.actor, fresh)  # locked, even with the right code
    assert refused.value.code == "link_locked"


async def test_notify_via_chooses_the_platform(sessions: Sessions) -> None:
    person = await f.citizen(sessions, platform="telegram")
    other = await f.citizen(sessions, platform="slack")
    async with sessions() as s, s.begin():
        code = await linking.issue_code(s, person.actor, "telegram")
    async with sessions() as s, s.begin():
        await linking.redeem_code(s, other.actor, code)
    async with sessions() as s, s.begin():
        with pytest.raises(Invalid):
            await linking.set_notify_platform(s, person.actor, "console")
        await linking.set_notify_platform(s, person.actor, "telegram")
    async with sessions() as s:
        chosen = await resolve_address(s, person.id, ["telegram", "slack"], by_user_id=MESSAGED_BY_USER_ID)
    assert chosen is not None and chosen.platform == "telegram"


async def test_link_in_the_conversation(sessions: Sessions) -> None:
    conversation = Conversation(sessions, BotConfig(RULES, "https://oasis.test", "en"))
    tg, sl = Who("telegram", "501", "Mina", "en"), Who("slack", "U501", "Mina", "en")
    replies = await conversation(Inbound("telegram", "1", tg, Where("501"), Command("link")))
    assert replies is not None
    text = plain_text(replies[0].text)
    code = text.split(": ", 1)[1].split()[0]
    assert "within 10 minutes" in text
    linked = await conversation(Inbound("slack", "2", sl, Where("D501"), Command("link", code)))
    assert linked is not None and "now linked" in plain_text(linked[0].text)
    wrong = await conversation(Inbound("slack", "3", sl, Where("D501"), Command("link", "NOPE")))
    assert wrong is not None and "wrong, used or expired" in plain_text(wrong[0].text)
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Citizen)) == 1
        assert await s.scalar(select(func.count()).select_from(Vote)) == 0
