"""Slack payloads → neutral Inbound (pure functions, no network)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from adapters.slack.parse import (
    Malformed,
    action_channel,
    action_inbound,
    check,
    command_inbound,
    home_inbound,
    input_names,
    interaction_id,
    is_person_message,
    message_inbound,
    split_command,
    submitted_fields,
    view_inbound,
)
from bots.neutral import ButtonPress, Command, FormSubmit, Text, Who
from tests.doubles import slack_requests as rq

WHO = Who("slack", "U1", "ann", "en-US")


def form(request: rq.SlackRequest) -> dict:
    fields = {k: v[0] for k, v in parse_qs(request.body, keep_blank_values=True).items()}
    return json.loads(fields["payload"]) if "payload" in fields else fields


def test_split_command() -> None:
    assert split_command("") == Command("help")
    assert split_command("  ") == Command("help")
    assert split_command("/") == Command("help")
    assert split_command("VOTE  12 ") == Command("vote", "12")
    assert split_command("/show 3") == Command("show", "3")
    assert split_command("comment 3 a &lt; b\nline 2") == Command("comment", "3 a < b\nline 2")


def test_command_inbound() -> None:
    body = form(rq.slash_command("U1", "vote 5", "C9", trigger_id="7.8.x"))
    inbound = command_inbound(body, WHO, direct=False)
    assert (inbound.platform, inbound.event_id, inbound.forms) == ("slack", "command:7.8.x", True)
    assert (inbound.where.chat_id, inbound.where.direct, inbound.payload) == ("C9", False, Command("vote", "5"))


def test_only_new_person_messages_in_the_dm_count() -> None:
    event = json.loads(rq.message_im("U1", "hi", "DU1").body)["event"]
    assert is_person_message(event)
    for extra in ({"subtype": "message_changed"}, {"bot_id": "B1"}, {"channel_type": "channel"},
                  {"user": None}, {"hidden": True}):
        assert not is_person_message({**event, **extra})
    body = json.loads(rq.message_im("U1", "x &amp; y", "DU1", event_id="Ev9").body)
    inbound = message_inbound(body, WHO)
    assert (inbound.event_id, inbound.payload, inbound.where.direct) == ("Ev9", Text("x & y"), True)


def test_home_only_for_the_home_tab() -> None:
    assert home_inbound(json.loads(rq.app_home_opened("U1", "DU1", tab="messages").body), WHO) is None
    inbound = home_inbound(json.loads(rq.app_home_opened("U1", "DU1").body), WHO)
    assert inbound is not None and inbound.payload == Command("mine")
    assert inbound.where.chat_id == "home:U1" and not inbound.where.direct


def test_button_press() -> None:
    body = form(rq.block_actions("U1", "vote#2", "12", channel="C1", message_ts="1.5", trigger_id="t1"))
    assert action_channel(body) == "C1"
    inbound = action_inbound(body, WHO, "C1", direct=False)
    assert inbound is not None
    assert (inbound.payload, inbound.event_id, inbound.forms) == (ButtonPress("vote", "12", "1.5"), "action:t1", True)
    ephemeral = form(rq.block_actions("U1", "page#0", "new::5", channel="C1", message_ts="1.6", ephemeral=True))
    pressed = action_inbound(ephemeral, WHO, "C1", direct=False)
    assert pressed is not None and pressed.payload == ButtonPress("page", "new::5", None)  # cannot be edited
    home = form(rq.block_actions("U1", "follow#0", "3", channel=None, message_ts=None))
    assert action_channel(home) is None
    select = {**body, "actions": [{"type": "static_select", "action_id": "x"}]}
    assert action_inbound(select, WHO, "C1", direct=False) is None


def test_interaction_id_without_trigger() -> None:
    assert interaction_id("view", {"view": {"id": "V1", "hash": "h"}}) == "view:V1:h"
    press = {"container": {"message_ts": "1.2"}, "actions": [{"action_ts": "3.4"}], "user": {"id": "U1"}}
    assert interaction_id("action", press) == "action:1.2:3.4:U1"
    assert interaction_id("action", {**press, "user": {"id": "U2"}}) == "action:1.2:3.4:U2"


def untriggered(user: str, text: str = "vote 1", channel: str = "C1") -> dict:
    body = form(rq.slash_command(user, text, channel))
    del body["trigger_id"]
    return body


def test_commands_without_trigger_id_are_told_apart_by_their_body() -> None:
    keys = [interaction_id("command", untriggered(user)) for user in ("U1", "U2", "U3")]
    assert len(set(keys)) == 3 and all(k.startswith("command:") and len(k) <= 100 for k in keys)
    assert interaction_id("command", untriggered("U1")) == keys[0]  # a retry carries the same body
    assert interaction_id("command", untriggered("U1", "vote 2")) != keys[0]
    assert interaction_id("command", untriggered("U1", channel="C2")) != keys[0]
    assert command_inbound(untriggered("U1"), WHO, direct=False).event_id == keys[0]


def test_keys_fit_the_inbox_column() -> None:
    view = {"view": {"id": "V" * 80, "hash": "h" * 80}}
    key = interaction_id("view", view)
    assert len(key) <= 100 and key.startswith("view:") and key == interaction_id("view", view)
    assert key != interaction_id("view", {"view": {"id": "V" * 80, "hash": "x" * 80}})


def test_check_accepts_what_slack_sends() -> None:
    view = {"id": "V1", "hash": "1.2", "type": "modal", "callback_id": "review", "private_metadata": "12",
            "blocks": [{"type": "input", "block_id": "b", "element": {"type": "static_select", "action_id": "b",
                                                                       "options": []}}]}
    for request in (rq.slash_command("U1", "vote 5", "C9"), rq.message_im("U1", "hi", "DU1", thread_ts="1.2"),
                    rq.message_im("U1", "x", "DU1", subtype="message_changed"),
                    rq.app_home_opened("U1", "DU1"), rq.view_submission("U1", view, {"b": None}),
                    rq.block_actions("U1", "vote#2", "12", channel="C1", message_ts="1.5"),
                    rq.block_actions("U1", "follow#0", "3", channel=None, message_ts=None)):
        body = form(request) if request.content_type == rq.FORM else json.loads(request.body)
        check(body)
    bot_message = json.loads(rq.message_im("U1", "x", "DU1", bot_id="B1").body)
    del bot_message["event"]["user"]  # bots write without a user: ignored, not refused
    check(bot_message)
    check({"type": "url_verification", "challenge": "c", "token": "t"})
    check({"ssl_check": "1", "token": "t"})


def test_check_refuses_what_slack_never_sends() -> None:
    command = form(rq.slash_command("U1", "vote 5", "C9"))
    event = json.loads(rq.message_im("U1", "hi", "DU1").body)
    press = form(rq.block_actions("U1", "vote#2", "12", channel="C1", message_ts="1.5"))
    view = {"id": "V1", "hash": "1.2", "type": "modal", "callback_id": "review", "private_metadata": "12",
            "blocks": []}
    submit = form(rq.view_submission("U1", view, {}))
    check(submit)
    long = "U" * 300
    malformed = [
        [press], "payload", None, {}, {"type": "shortcut"}, {"type": ["block_actions"]},
        {**command, "user_id": long}, {**command, "channel_id": ""}, {**command, "trigger_id": "T" * 300},
        {**command, "text": ["vote"]}, {k: v for k, v in command.items() if k != "user_id"},
        {**command, "user_id": "U1\x00"}, {**command, "channel_id": "Cä"}, {**command, "user_id": " "},
        {**event, "event": "message"}, {k: v for k, v in event.items() if k != "event_id"},
        {**event, "event": {k: v for k, v in event["event"].items() if k != "channel"}},
        {**event, "event": {**event["event"], "user": long}}, {**event, "event_id": long},
        {**command, "event": None},
        {**press, "actions": []}, {**press, "actions": {"0": press["actions"][0]}}, {**press, "actions": ["x"]},
        {**press, "actions": [{**press["actions"][0], "action_id": 5}]}, {**press, "user": "U1"},
        {**press, "user": {"id": long}}, {**press, "channel": {"id": long}}, {**press, "trigger_id": long},
        {**press, "container": "C1"}, {**press, "message": {"ts": ["1"]}},
        {**submit, "view": {**submit["view"], "state": {"values": "x"}}},
        {**submit, "view": {**submit["view"], "state": "x"}},
        {**submit, "view": {**submit["view"], "state": {"values": {"b": {"a": "x"}}}}},
        {**submit, "view": {**submit["view"], "private_metadata": str(2**63)}},
        {**submit, "view": {**submit["view"], "private_metadata": "9" * 5000}},
        {**submit, "view": {**submit["view"], "private_metadata": 12}},
        {**submit, "view": {**submit["view"], "callback_id": None}}, {**submit, "view": []},
        {**submit, "view": {k: v for k, v in submit["view"].items() if k != "type"}},
        {**submit, "view": {**submit["view"], "blocks": "x"}},
    ]
    for body in malformed:
        with pytest.raises(Malformed):
            check(body)
    check({**submit, "view": {**submit["view"], "private_metadata": str(2**63 - 1)}})
    check({**submit, "view": {**submit["view"], "private_metadata": "not a number"}})  # the form refuses it


def test_view_submission() -> None:
    view = {"callback_id": "review", "private_metadata": "12", "blocks": [
        {"type": "input", "block_id": "recommendation",
         "element": {"type": "static_select", "action_id": "recommendation",
                     "options": [{"text": {"type": "plain_text", "text": "R"}, "value": "reject"}]}},
        {"type": "input", "block_id": "budget", "element": {"type": "plain_text_input", "action_id": "budget"}},
        {"type": "input", "block_id": "reason_code",
         "element": {"type": "static_select", "action_id": "reason_code",
                     "options": [{"text": {"type": "plain_text", "text": "L"}, "value": "law"}]}},
        {"type": "divider"},
    ]}
    body = form(rq.view_submission("U1", view, {"recommendation": "reject", "budget": None, "reason_code": None}))
    assert submitted_fields(body["view"]) == {"recommendation": "reject", "budget": "", "reason_code": ""}
    assert input_names(view) == ["recommendation", "budget", "reason_code"]
    inbound = view_inbound(body, WHO, "DU1")
    assert isinstance(inbound.payload, FormSubmit)
    assert (inbound.payload.form, inbound.payload.state, inbound.where.chat_id) == ("review", "12", "DU1")
    assert inbound.event_id.startswith("view:")
