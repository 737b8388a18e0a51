"""Supporting a proposal, through the conversation as a person talks to it (tests/driver.py)."""

from __future__ import annotations

from bots.context import BotConfig
from bots.conversation import Conversation
from core.db import Sessions
from core.rules import Rules
from tests.driver import Speaker, said
from tests.integration import factories as f


async def test_support_by_command_and_button_counts_once_and_can_be_withdrawn(sessions: Sessions) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    conversation = Conversation(sessions, BotConfig(Rules(vote_threshold=5), "https://oasis.test", "en"))
    mina = Speaker(conversation, "mina")
    assert f"You support #{pid}. 4 more supporters are needed for review." == said(await mina.command("vote", str(pid)))
    assert f"You already support #{pid}." == said(await mina.press("vote", str(pid)))  # a toast
    assert f"Your support for #{pid} was withdrawn." in said(await mina.command("unvote", f"#{pid}"))
    assert await f.vote_count(sessions, pid) == 0
    assert "There is no proposal #999." in said(await mina.command("vote", "999"))
