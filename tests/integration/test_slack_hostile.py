"""Hostile and malformed requests at POST /slack/events, through the real server, slack-bolt and database.

Unsigned or stale: 401 before anything is read. Signed but not shaped as Slack sends it: 400 and one
warning line, never a 500 or a traceback, and nothing stored or sent. Slash commands without a
trigger_id: each one takes effect, an exact retry of one changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from core.models import InboxEvent, Vote
from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import SlackApiDouble
from tests.e2e.slack_harness import AUTHOR, World, dm, message, propose_via_modal, running, scalar

VOTERS = ("UVOTER1", "UVOTER2", "UVOTER3")
VOTER = VOTERS[0]
LONG = "X" * 300
SENDS = {"chat.postMessage", "chat.postEphemeral", "views.open", "views.publish", "chat.update"}


async def state(db_url: str) -> tuple[int, int]:
    """(inbox rows, votes): what a request that took effect would change."""
    return (await scalar(db_url, select(func.count()).select_from(InboxEvent)),
            await scalar(db_url, select(func.count()).select_from(Vote)))


def sent(api: SlackApiDouble) -> list[str]:
    return [method for method, _ in api.calls if method in SENDS]


def payload(request: rq.SlackRequest) -> dict[str, Any]:
    return dict(json.loads(parse_qs(request.body)["payload"][0]))


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing logged at ERROR, no traceback anywhere."""
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert "Traceback" not in caplog.text


async def proposal(w: World, api: SlackApiDouble) -> None:
    await propose_via_modal(w, api, AUTHOR, "Benches at bus stops")
    await message(api, dm(AUTHOR), "Proposal #1 received")


async def test_unsigned_garbage_is_refused_with_401(sessions: Any, db_url: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        now = str(int(time.time()))
        vote = rq.slash_command(VOTER, "vote 1", dm(VOTER)).body.encode()
        binary = bytes(range(256)) * 4
        attempts = [
            (b"{not json", {"Content-Type": "application/json"}),  # no signature at all
            (b"{not json", {"Content-Type": "application/json", "X-Slack-Request-Timestamp": now,
                            "X-Slack-Signature": "v0=" + "0" * 64}),
            (binary, {"Content-Type": "application/octet-stream"}),
            (binary, rq.raw_headers(binary, now)),  # signed, but not UTF-8: not something Slack signed
            (vote, rq.raw_headers(vote, "not-a-number", content_type=rq.FORM)),
            (vote, rq.raw_headers(vote, "", content_type=rq.FORM)),
            (vote, rq.raw_headers(vote, "1e9", content_type=rq.FORM)),
            (vote, rq.raw_headers(vote, "9" * 5000, content_type=rq.FORM)),
            (vote, rq.raw_headers(vote, str(int(time.time()) - 6 * 60), content_type=rq.FORM)),  # stale
            (vote, {**rq.raw_headers(vote, now, content_type=rq.FORM), "X-Slack-Signature": "v0=ä"}),
        ]
        before = await state(db_url)
        for body, headers in attempts:
            assert await w.slack.post_raw(body, headers) == (401, "")
        await asyncio.sleep(0.2)
        assert await state(db_url) == before
        assert sent(api) == []
        assert_quiet(caplog)


def malformed() -> list[rq.SlackRequest]:
    """Signed requests that no Slack sends, each aimed at something that would change: a vote for #1."""
    press = payload(rq.block_actions(VOTER, "vote#0", "1", channel=dm(VOTER), message_ts="1.2"))
    event = json.loads(rq.message_im(VOTER, "vote 1", dm(VOTER)).body)
    view = {"id": "V9", "hash": "1.2", "type": "modal", "callback_id": "review", "private_metadata": "1",
            "blocks": []}
    submit = payload(rq.view_submission(VOTER, view, {}))
    return [
        rq.SlackRequest("{not json", "application/json"),
        rq.SlackRequest("payload=%7Bnot+json", rq.FORM),
        rq.SlackRequest('{"a":' * 5000 + "1" + "}" * 5000, "application/json"),  # too deep to read
        rq.interaction([press]), rq.interaction("block_actions"), rq.interaction(None), rq.json_request({}),
        rq.interaction({**press, "type": "shortcut"}),
        rq.interaction({**press, "actions": []}),
        rq.interaction({**press, "actions": press["actions"][0]}),
        rq.interaction({**press, "actions": [{**press["actions"][0], "action_id": 7}]}),
        rq.interaction({**press, "user": VOTER}),
        rq.interaction({**press, "user": {**press["user"], "id": LONG}}),
        rq.interaction({**press, "channel": {"id": LONG}, "container": {**press["container"], "channel_id": LONG}}),
        rq.interaction({**press, "trigger_id": LONG}),
        rq.interaction({**submit, "view": {**submit["view"], "state": {"values": "title"}}}),
        rq.interaction({**submit, "view": {**submit["view"], "state": "values"}}),
        rq.interaction({**submit, "view": {**submit["view"], "private_metadata": str(2**63)}}),
        rq.interaction({**submit, "view": {**submit["view"], "private_metadata": "9" * 5000}}),
        rq.interaction({**submit, "view": ["V9"]}),
        rq.slash_command(LONG, "vote 1", dm(VOTER)),
        rq.slash_command(VOTER, "vote 1", LONG),
        rq.slash_command(VOTER, "vote 1", dm(VOTER), trigger_id=LONG),
        rq.json_request({"command": "/oasis", "user_id": VOTER, "channel_id": dm(VOTER), "text": ["vote", "1"]}),
        rq.json_request({k: v for k, v in event.items() if k != "event_id"}),
        rq.json_request({**event, "event": {k: v for k, v in event["event"].items() if k != "channel"}}),
        rq.json_request({**event, "event": "vote 1"}),
        rq.json_request({**event, "event": {**event["event"], "user": LONG}}),
        rq.json_request({**event, "event_id": LONG}),
    ]


async def test_signed_malformed_requests_are_refused_with_400(sessions: Any, db_url: str,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        await proposal(w, api)
        await asyncio.sleep(0.2)
        before, calls = await state(db_url), len(sent(api))
        caplog.clear()
        requests = malformed()
        for request in requests:
            assert await w.post(request) == (400, ""), request.body[:200]
        await asyncio.sleep(0.2)
        assert await state(db_url) == before
        assert len(sent(api)) == calls
        refused = [r for r in caplog.records if r.name == "adapters.slack.events" and "400" in r.getMessage()]
        assert len(refused) == len(requests) and {r.levelno for r in refused} == {logging.WARNING}
        assert all("\n" not in r.getMessage() for r in refused)
        assert_quiet(caplog)

        # The same vote, well formed, takes effect: what was refused would have changed something.
        assert (await w.post(rq.slash_command(VOTER, "vote 1", dm(VOTER))))[0] == 200
        await message(api, dm(VOTER), "You support #1")
        assert (await state(db_url))[1] == before[1] + 1


async def test_a_forged_form_state_is_answered_in_the_modal(sessions: Any, db_url: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        await proposal(w, api)
        await asyncio.sleep(0.2)
        before = await state(db_url)
        view = {"id": "V9", "hash": "1.2", "type": "modal", "callback_id": "review", "private_metadata": "one",
                "blocks": []}
        status, body = await w.post(rq.view_submission(VOTER, view, {}))
        assert status == 200  # the person waits in the modal: they are told there, and nothing changes
        answer = json.loads(body)
        assert answer["response_action"] == "errors" and answer["errors"]
        assert (await state(db_url))[1] == before[1]
        assert_quiet(caplog)


async def test_commands_without_trigger_id_each_take_effect_and_a_retry_none(
        sessions: Any, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    async with SlackApiDouble() as api, running(db_url, api) as w:
        await proposal(w, api)
        requests = {user: rq.without(rq.slash_command(user, "vote 1", dm(user)), "trigger_id") for user in VOTERS}
        for user, request in requests.items():
            assert await w.post(request) == (200, "")
            await message(api, dm(user), "You support #1")
        assert (await state(db_url))[1] == 3
        stored, replies = await state(db_url), api.texts(dm(VOTERS[1]))
        assert len(replies) == 1 and "You support #1" in replies[0]

        # Slack's retry: the same body, a later timestamp, X-Slack-Retry-Num.
        retry = await w.post(requests[VOTERS[1]], timestamp=int(time.time()) + 2, retry_num=1)
        assert retry == (200, "")
        await asyncio.sleep(0.3)
        assert await state(db_url) == stored
        assert api.texts(dm(VOTERS[1])) == replies  # not applied again, not answered again
        assert_quiet(caplog)
