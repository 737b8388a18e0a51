"""The Slack journeys end to end: real server, real slack-bolt and slack_sdk, Slack Web API double over HTTP."""

from __future__ import annotations

import asyncio
import json
import time

from sqlalchemy import func, select, text

from core.db import make_engine
from core.models import Proposal, RoomMessage, Vote
from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_wire import buttons, message_text
from tests.e2e.slack_harness import (
    AUTHOR,
    CHANNEL,
    OFFICIAL,
    command,
    dm,
    message,
    opened_view,
    propose_via_modal,
    running,
    scalar,
    setup_department,
)

VOTER1, VOTER2 = "UVOTER1", "UVOTER2"
TITLE = "*Night* buses <b>& _more_ <@U123>"
REASON = "The road traffic ordinance forbids night routes here."


async def test_propose_vote_review_in_slack_and_outcome_by_dm(sessions, db_url: str) -> None:
    async with SlackApiDouble() as api:
        await setup_department(db_url, api)
        async with running(db_url, api, oasis_vote_threshold=2) as w:
            await command(w, AUTHOR, "propose")
            view = await opened_view(api, "propose", 1)
            refused = await w.post(rq.view_submission(AUTHOR, view, {
                "title": "   ", "description": "Something", "category": "transport"}))
            assert refused[0] == 200
            answer = json.loads(refused[1])
            assert answer["response_action"] == "errors" and set(answer["errors"]) == {"title"}
            assert await scalar(db_url, select(func.count()).select_from(Proposal)) == 0

            status, body = await w.post(rq.view_submission(AUTHOR, view, {
                "title": TITLE, "description": "Buses every 20 minutes after midnight.", "category": "transport"}))
            assert (status, body) == (200, "")
            received = await message(api, dm(AUTHOR), "Proposal #1 received")
            assert TITLE in message_text(received)  # rich text is literal: no markup, no mention
            bold = [e for b in received["blocks"] for s in b.get("elements", []) for e in s.get("elements", [])
                    if e.get("style") == {"bold": True}]
            assert [e["text"] for e in bold] == [TITLE]
            assert "&lt;b&gt;&amp; _more_ &lt;@U123&gt;" in received["text"]  # the mrkdwn fallback, escaped
            assert received["params"]["mrkdwn"] is False

            await command(w, VOTER1, "vote 1")
            await message(api, dm(VOTER1), "You support #1", "1 more supporter")
            await command(w, VOTER2, "show 1")
            card = await message(api, dm(VOTER2), "#1", TITLE)
            assert {b["action_id"].partition("#")[0] for b in buttons(card)} >= {"proposal.vote", "proposal.follow"}
            assert (await w.post(rq.press(VOTER2, card, "proposal.vote")))[0] == 200
            await message(api, dm(VOTER2), "reached 2 supporters")
            assert await scalar(db_url, select(Proposal.status).where(Proposal.id == 1)) == "under_review"
            await message(api, dm(AUTHOR), "#1", "under review")

            dept_card = await message(api, CHANNEL, "#1", "Please publish the department opinion")
            assert (await w.post(rq.press(VOTER1, dept_card, "review.open")))[0] == 200
            await api.wait_for(lambda m, p: m == "chat.postEphemeral" and p["user"] == VOTER1
                               and "Only officials" in message_text(p))
            assert not any(v["callback_id"] == "review" for v in api.views)

            assert (await w.post(rq.press(OFFICIAL, dept_card, "review.open")))[0] == 200
            review = await opened_view(api, "review", 1)
            assert review["private_metadata"] == "1"
            status, body = await w.post(rq.view_submission(OFFICIAL, review, {
                "recommendation": "reject", "reason_code": "law", "explanation": REASON}))
            assert (status, body) == (200, "")
            await message(api, dm(OFFICIAL), "Published")
            await api.wait_for(lambda m, p: m == "chat.update" and p["channel"] == CHANNEL
                               and p["ts"] == dept_card["ts"] and "Decided: rejected" in message_text(p))
            assert buttons(api.posted(CHANNEL)[0]) == []
            outcome = message_text(await message(api, dm(AUTHOR), "#1", "rejected"))
            assert "ordinance or law" in outcome and REASON in outcome
            assert api.refused == []


async def test_bad_or_stale_signature_is_refused(sessions, db_url: str) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        request = rq.slash_command(AUTHOR, "help", dm(AUTHOR))
        assert (await w.post(request, secret="not-the-secret"))[0] == 401
        assert (await w.post(request, timestamp=int(time.time()) - 6 * 60))[0] == 401
        tampered = rq.SlackRequest(request.body.replace("help", "mine"), request.content_type)
        headers = rq.signed_headers(request)
        async with w.slack.http.post(w.slack.url, data=tampered.body.encode(), headers=headers) as response:
            assert response.status == 401
        await asyncio.sleep(0.2)
        assert "chat.postMessage" not in api.methods()
        assert (await w.post(request))[0] == 200
        await message(api, dm(AUTHOR), "What I can do")


async def test_retried_event_takes_effect_once(sessions, db_url: str) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        await propose_via_modal(w, api, AUTHOR, "Benches at bus stops")
        await message(api, dm(AUTHOR), "Proposal #1 received")
        event = rq.message_im(VOTER1, "comment 1 Please add shade too", dm(VOTER1), event_id="Ev0RETRIED01")
        assert (await w.post(event))[0] == 200
        assert (await w.post(event, retry_num=1))[0] == 200
        assert (await w.post(event, retry_num=2))[0] == 200
        await message(api, dm(VOTER1), "Your comment on #1 was added")
        await asyncio.sleep(0.3)
        assert await scalar(db_url, select(func.count()).select_from(RoomMessage)) == 1
        assert sum("comment on #1" in t for t in api.texts(dm(VOTER1))) == 1
        assert await scalar(db_url, select(func.count()).select_from(Vote)) == 0


async def test_database_down_answers_500_and_the_redelivery_is_applied_once(sessions, db_url: str) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        await propose_via_modal(w, api, AUTHOR, "Benches at bus stops")
        await message(api, dm(AUTHOR), "Proposal #1 received")
        engine = make_engine(db_url)
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))
        vote = rq.slash_command(VOTER1, "vote 1", dm(VOTER1))
        assert (await w.post(vote))[0] == 500  # Slack tells the person it failed; nothing was acknowledged
        event = rq.message_im(VOTER1, "comment 1 Please add shade too", dm(VOTER1), event_id="Ev0DBDOWN01")
        assert (await w.post(event))[0] == 500  # the Events API will deliver it again
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
        await engine.dispose()

        assert (await w.post(event, retry_num=1))[0] == 200
        await message(api, dm(VOTER1), "Your comment on #1 was added")
        assert (await w.post(event, retry_num=2))[0] == 200
        await asyncio.sleep(0.3)
        assert await scalar(db_url, select(func.count()).select_from(RoomMessage)) == 1
        assert sum("comment on #1" in t for t in api.texts(dm(VOTER1))) == 1
        assert await scalar(db_url, select(func.count()).select_from(Vote)) == 0
        assert (await w.app.health()) is None
