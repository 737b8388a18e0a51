"""Supporting a proposal, through the conversation as a person talks to it (tests/driver.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

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


async def test_the_vote_that_reaches_the_threshold_is_thanked_and_the_department_asked(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    await f.official(sessions, "transport")
    first, second, third = speaker("first"), speaker("second"), speaker("third")
    counted = said(await first.command("vote", str(pid)))
    assert counted == f"You support #{pid}. 2 more supporters are needed for review."
    assert said(await second.press("proposal.vote", str(pid))).startswith(f"You support #{pid}. 1 more supporter")
    sent = await third.press("vote", str(pid))  # the button's name before issue 8
    assert said(sent) == (f"Your support sent #{pid} to review! | Thank you! With your support #{pid} reached 3 "
                          "supporters and goes to the responsible department for review.")
    assert (await f.get(sessions, pid)).status == "under_review"
    assert len(await f.outbox(sessions, kind="review_queued")) == 1
    late = speaker("late")
    assert "support is only possible while a proposal is open" in said(await late.command("vote", str(pid)))


async def test_a_storm_of_presses_in_one_batch_thanks_only_the_vote_that_counted(
    sessions: Sessions, conversation: Conversation
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"))
    voters = [Speaker(conversation, f"storm{n}") for n in range(8)]  # all waiting at once: one batch of 8
    answers = await asyncio.gather(*(v.press("proposal.vote", str(pid)) for v in voters))
    thanked = [a for a in answers if "sent #" in said(a)]
    assert len(thanked) == 1
    assert await f.vote_count(sessions, pid) == 8
    assert (await f.get(sessions, pid)).status == "under_review"
