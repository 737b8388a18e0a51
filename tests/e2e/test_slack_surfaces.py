"""Slack's own surfaces end to end: App Home, DMs without "/", channels (ephemeral), locale and /lang."""

from __future__ import annotations

import asyncio

from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_wire import buttons, message_text
from tests.e2e.slack_harness import AUTHOR, command, dm, message, propose_via_modal, running

KOREAN, GUEST = "UKOREAN", "UGUEST"


async def test_app_home_shows_my_proposals_without_ending_a_dm_conversation(sessions, db_url: str) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        await propose_via_modal(w, api, AUTHOR, "Water fountains in parks")
        await message(api, dm(AUTHOR), "Proposal #1 received")

        assert (await w.post(rq.message_im(AUTHOR, "propose", dm(AUTHOR))))[0] == 200  # the guided flow
        await message(api, dm(AUTHOR), "title")
        assert (await w.post(rq.app_home_opened(AUTHOR, dm(AUTHOR), tab="messages")))[0] == 200
        assert (await w.post(rq.app_home_opened(AUTHOR, dm(AUTHOR))))[0] == 200
        await api.wait_for(lambda m, p: m == "views.publish" and p["user_id"] == AUTHOR)
        assert api.methods().count("views.publish") == 1
        home = api.home[AUTHOR]
        assert "#1 Water fountains in parks" in message_text(home)
        assert {b["action_id"].partition("#")[0] for b in buttons(home)} >= {"proposal.vote", "proposal.follow"}

        # Opening Home did not cancel the proposal being written in the DM.
        assert (await w.post(rq.message_im(AUTHOR, "Drinking water on hot days", dm(AUTHOR))))[0] == 200
        await message(api, dm(AUTHOR), "describe the problem")

        follow = next(b for b in buttons(home) if b["action_id"].startswith("proposal.follow"))
        press = rq.block_actions(AUTHOR, follow["action_id"], follow["value"], channel=None, message_ts=None)
        assert (await w.post(press))[0] == 200
        await api.wait_for(lambda m, p: m == "chat.postEphemeral" and p["user"] == AUTHOR
                           and "#1" in message_text(p))


async def test_language_from_slack_locale_and_lang_overrides(sessions, db_url: str) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        api.add_user(KOREAN, "minji", locale="ko-KR")
        await command(w, KOREAN, "")  # an empty /oasis is help
        await message(api, dm(KOREAN), "할 수 있는 일")
        await command(w, KOREAN, "lang en")
        await message(api, dm(KOREAN), "Language set: English")
        await command(w, KOREAN, "help")
        await message(api, dm(KOREAN), "What I can do")
        await message(api, dm(KOREAN), "/oasis propose — write a new proposal")


async def test_channels_get_ephemeral_replies_and_dms_ignore_bots_and_edits(sessions, db_url: str) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        api.add_channel("CGENERAL")
        await command(w, GUEST, "help", channel="CGENERAL")
        await api.wait_for(lambda m, p: m == "chat.postEphemeral" and p["channel"] == "CGENERAL"
                           and p["user"] == GUEST and "What I can do" in message_text(p))
        await command(w, GUEST, "new", channel="CELSEWHERE")  # the bot is not in it: answered in the DM
        await message(api, dm(GUEST), "No proposals here yet")
        assert api.posted("CGENERAL") == []

        await w.post(rq.message_im(GUEST, "help", dm(GUEST), bot_id="BOTHER"))
        await w.post(rq.message_im(GUEST, "help", dm(GUEST), subtype="message_changed"))
        await w.post(rq.message_im(GUEST, "/unvote 7", dm(GUEST)))  # in a DM a leading "/" is optional
        await message(api, dm(GUEST), "#7")
        await asyncio.sleep(0.2)
        assert not any("What I can do" in t for t in api.texts(dm(GUEST)))
