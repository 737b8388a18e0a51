"""Slack and Telegram in one server: one person across both counts once; both platforms' votes add up."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.models import Proposal, Vote
from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_wire import message_text
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import message_update
from tests.e2e.slack_harness import (
    AUTHOR,
    CHANNEL,
    World,
    command,
    dm,
    message,
    propose_via_modal,
    running,
    scalar,
    setup_department,
)

TG_PERSON, TG_OTHER = 100, 200
SLACK_PERSON, SLACK_OTHER = "UPERSON", "USOMEONE"


async def telegram(w: World, user: int, text: str) -> None:
    assert w.telegram is not None
    assert await w.telegram.post(message_update(w.telegram.next_id(), user, text)) == 200


async def telegram_reply(api: TelegramApiDouble, chat: int, needle: str) -> str:
    _, params = await api.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == str(chat)
                                   and needle in p["text"])
    return str(params["text"])


async def link(w: World, tg: TelegramApiDouble, slack: SlackApiDouble, tg_user: int, slack_user: str) -> str:
    """/link on Telegram, /oasis link CODE on Slack; returns Slack's answer."""
    await telegram(w, tg_user, "/link")
    found = re.search(r"<code>([A-Z0-9]+)</code>", await telegram_reply(tg, tg_user, "link code"))
    assert found is not None
    await command(w, slack_user, f"link {found.group(1)}")
    return message_text(await message(slack, dm(slack_user), "linked"))


async def test_linked_person_votes_once_across_platforms(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg, running(db_url, slack, tg) as w:
        await propose_via_modal(w, slack, AUTHOR, "Shade trees on the river walk")
        await message(slack, dm(AUTHOR), "Proposal #1 received")

        # Linked first, then voting on both platforms: the second vote is the same person's.
        assert "now linked" in await link(w, tg, slack, TG_PERSON, SLACK_PERSON)
        await telegram(w, TG_PERSON, "/vote 1")
        await telegram_reply(tg, TG_PERSON, "You support #1")
        await command(w, SLACK_PERSON, "vote 1")
        await message(slack, dm(SLACK_PERSON), "You already support #1")
        assert await scalar(db_url, select(func.count()).select_from(Vote)) == 1

        # Voting on both platforms first, then linking: the two votes become one.
        await telegram(w, TG_OTHER, "/vote 1")
        await telegram_reply(tg, TG_OTHER, "You support #1")
        await command(w, SLACK_OTHER, "vote 1")
        await message(slack, dm(SLACK_OTHER), "You support #1")
        assert await scalar(db_url, select(func.count()).select_from(Vote)) == 3
        answer = await link(w, tg, slack, TG_OTHER, SLACK_OTHER)
        assert "1 vote was counted twice and now counts once" in answer
        assert await scalar(db_url, select(func.count()).select_from(Vote)) == 2


async def test_slack_and_telegram_votes_reach_the_threshold_together(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        await setup_department(db_url, slack)
        async with running(db_url, slack, tg, oasis_vote_threshold=2) as w:
            await propose_via_modal(w, slack, AUTHOR, "Night buses on weekends")
            await message(slack, dm(AUTHOR), "Proposal #1 received")
            await telegram(w, TG_OTHER, "/vote 1")
            await telegram_reply(tg, TG_OTHER, "1 more supporter is needed")
            await command(w, SLACK_OTHER, "show 1")
            card = await message(slack, dm(SLACK_OTHER), "#1", "1 supporter")
            assert (await w.post(rq.press(SLACK_OTHER, card, "proposal.vote")))[0] == 200
            await message(slack, dm(SLACK_OTHER), "reached 2 supporters")
            assert await scalar(db_url, select(Proposal.status).where(Proposal.id == 1)) == "under_review"
            # Everyone hears it on their own platform; the department's card appears in its Slack channel.
            await message(slack, dm(AUTHOR), "#1", "under review")
            await telegram_reply(tg, TG_OTHER, "under review")
            await message(slack, CHANNEL, "#1", "Night buses on weekends")
