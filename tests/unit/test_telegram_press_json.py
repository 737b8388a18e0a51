"""The hot press read straight from the JSON (parse.press_from_json) against the general path
(Update.de_json, then to_inbound): on every generated update it either declines (None) or gives exactly
what the general path gives, and it never accepts what the general path would refuse."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from telegram import Update

from adapters.telegram.parse import press_from_json, to_inbound
from tests.doubles.telegram_updates import BOT_USERNAME, callback_update

GROUP = -1001234567890
NAMES = st.text(max_size=30) | st.sampled_from(["<b>Min-ji</b>", "김 민지", "", " ", "\x00"])
ANY = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63) | st.text(max_size=8) \
    | st.floats(allow_nan=False) | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=4),
                                                                                        st.integers(), max_size=2)
FIELDS = [("update_id",), ("callback_query", "id"), ("callback_query", "data"), ("callback_query", "chat_instance"),
          ("callback_query", "from", "id"), ("callback_query", "from", "first_name"),
          ("callback_query", "from", "last_name"), ("callback_query", "from", "is_bot"),
          ("callback_query", "from", "language_code"), ("callback_query", "message"),
          ("callback_query", "message", "message_id"), ("callback_query", "message", "date"),
          ("callback_query", "message", "chat"), ("callback_query", "message", "chat", "id"),
          ("callback_query", "message", "chat", "type"), ("callback_query", "message", "message_thread_id"),
          ("callback_query", "message", "is_topic_message"), ("callback_query", "inline_message_id"),
          ("callback_query", "game_short_name"), ("message",)]


@st.composite
def presses(draw: st.DrawFn) -> dict[str, Any]:
    """A button press in a private chat, a group or a forum topic, with any names and data; often with one
    field removed or replaced by any JSON value."""
    where = draw(st.sampled_from(["private", "group", "topic"]))
    update = callback_update(draw(st.integers(min_value=1, max_value=2**40)), draw(st.integers(1, 2**40)),
                             draw(st.sampled_from(["proposal.vote:1", "vote:12", "x", "", "a:b:c"]) | st.text()),
                             message_id=draw(st.integers(1, 2**31)),
                             chat_id=None if where == "private" else GROUP,
                             language_code=draw(st.none() | st.sampled_from(["ko", "en", "zh-hans"])))
    query = update["callback_query"]
    query["from"]["first_name"] = draw(NAMES)
    if draw(st.booleans()):
        query["from"]["last_name"] = draw(NAMES)
    if where != "private":
        query["message"]["chat"]["type"] = "supergroup"
    if where == "topic":
        query["message"].update(message_thread_id=draw(st.integers(1, 10**6)), is_topic_message=True)
    if draw(st.integers(0, 2)) == 0:
        path = draw(st.sampled_from(FIELDS))
        parent = update
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None  # type: ignore[assignment]
        if isinstance(parent, dict):
            if draw(st.booleans()):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(ANY)
    return update


def general(data: dict[str, Any]) -> tuple[Any, str | None] | str:
    """What the webhook's general path makes of an update, or "refused" where it answers 400."""
    try:
        update = Update.de_json(copy.deepcopy(data), None)
        inbound = to_inbound(update, BOT_USERNAME)
    except (ValueError, TypeError, KeyError, AttributeError):
        return "refused"
    return inbound, update.callback_query.id if update.callback_query is not None else None


@given(presses())
def test_the_fast_read_of_a_press_is_the_general_read_or_declines(data: dict[str, Any]) -> None:
    fast = press_from_json(copy.deepcopy(data))
    if fast is not None:
        assert general(data) == fast


def test_the_ordinary_shapes_take_the_fast_read() -> None:
    private = callback_update(7, 42, "proposal.vote:12", message_id=99, language_code="ko")
    topic = callback_update(8, 42, "room.report:3", chat_id=GROUP)
    topic["callback_query"]["message"]["chat"]["type"] = "supergroup"
    topic["callback_query"]["message"].update(message_thread_id=5, is_topic_message=True)
    for data in (private, topic):
        fast = press_from_json(data)
        assert fast is not None and fast == general(data)
    fast = press_from_json(topic)
    assert fast is not None and fast[0].where.thread_id == "5" and not fast[0].where.direct


def test_shapes_it_does_not_know_take_the_general_path() -> None:
    inaccessible = callback_update(9, 42, "vote:1")
    inaccessible["callback_query"]["message"]["date"] = 0
    inline = callback_update(10, 42, "vote:1")
    del inline["callback_query"]["message"]
    inline["callback_query"]["inline_message_id"] = "AAA"
    extra = {**callback_update(11, 42, "vote:1"), "message": {}}
    assert [press_from_json(d) for d in (inaccessible, inline, extra)] == [None, None, None]
