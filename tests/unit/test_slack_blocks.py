"""Neutral text, buttons and forms → Block Kit; Slack's markup in incoming text → raw text."""

from __future__ import annotations

from adapters.slack.blocks import (
    action_id,
    button_blocks,
    escape,
    fallback_text,
    group_messages,
    home_view,
    incoming_text,
    message_blocks,
    modal_view,
    rich_text_blocks,
    split_action_id,
)
from bots.neutral import Button, Form, FormField, Message, Span


def elements(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks for s in b["elements"] for e in s["elements"]]


def test_escape_covers_slack_control_characters_only() -> None:
    assert escape("a & b < c > d *e* _f_ `g` <!channel>") == \
        "a &amp; b &lt; c &gt; d *e* _f_ `g` &lt;!channel&gt;"
    assert escape("&amp;") == "&amp;amp;"


def test_fallback_text_is_unstyled_escaped_and_bounded() -> None:
    text = (Span("Hi "), Span("<@U1> & *you*", "bold"), Span("x" * 5000))
    fallback = fallback_text(text)
    assert fallback.startswith("Hi &lt;@U1&gt; &amp; *you*x")
    assert len(fallback) <= 3000 and fallback.endswith("…")
    assert fallback_text((Span("  "),)) == ""


def test_rich_text_keeps_user_text_literal_with_one_element_per_style() -> None:
    text = (Span("#1 "), Span("*Night* _buses_ <b>&", "bold"), Span("\n"), Span("more"),
            Span("site", "link", url="https://oasis.test/p/1"), Span("evil", "link", url="javascript:alert(1)"),
            Span("code", "code"), Span("it", "italic"))
    got = elements(rich_text_blocks(text))
    assert got == [
        {"type": "text", "text": "#1 "},
        {"type": "text", "text": "*Night* _buses_ <b>&", "style": {"bold": True}},
        {"type": "text", "text": "\nmore"},
        {"type": "link", "url": "https://oasis.test/p/1", "text": "site"},
        {"type": "text", "text": "evil"},
        {"type": "text", "text": "code", "style": {"code": True}},
        {"type": "text", "text": "it", "style": {"italic": True}},
    ]
    assert rich_text_blocks((Span(" \n "),)) == []


def test_long_text_is_split_into_blocks_preferably_at_line_breaks() -> None:
    line = "word " * 100 + "\n"  # 501 characters
    blocks = rich_text_blocks((Span(line * 10),), limit=1200)
    texts = ["".join(e["text"] for e in elements([b])) for b in blocks]
    assert "".join(texts) == line * 10
    assert all(len(t) <= 1200 for t in texts) and all(t.endswith("\n") for t in texts)
    assert len(rich_text_blocks((Span("x" * 2500),), limit=1000)) == 3


def test_action_ids_are_unique_within_a_message_and_parse_back() -> None:
    assert split_action_id(action_id("vote", 3)) == "vote"
    assert split_action_id("page") == "page"
    assert split_action_id("a#b") == "a#b"
    merged = message_blocks([
        Message("D1", (Span("#1"),), ((Button("vote", "1", "Support"), Button("follow", "1", "Follow")),)),
        Message("D1", (Span("#2"),), ((Button("vote", "2", "Support"),),)),
    ])
    ids = [e["action_id"] for b in merged if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["vote#0", "follow#1", "vote#2"]
    assert [b["type"] for b in merged] == ["rich_text", "actions", "divider", "rich_text", "actions"]


def test_buttons_respect_slack_limits() -> None:
    row = tuple(Button("b", str(i), "L" * 100) for i in range(30))
    blocks = button_blocks((row,))
    assert [len(b["elements"]) for b in blocks] == [25, 5]
    assert len(blocks[0]["elements"][0]["text"]["text"]) == 75


def test_replies_are_merged_except_edits_and_other_threads() -> None:
    a, b = Message("D1", (Span("a"),)), Message("D1", (Span("b"),))
    edit = Message("D1", (Span("e"),), edit_message_id="1.2")
    threaded = Message("D1", (Span("t"),), thread_id="5.6")
    assert group_messages([a, b, edit, a, threaded]) == [[a, b], [edit], [a], [threaded]]
    many = [Message("D1", (Span(str(i)),), ((Button("v", str(i), "V"),),)) for i in range(30)]
    assert [len(g) for g in group_messages(many)] == [16, 14]


def test_home_view_stays_within_100_blocks() -> None:
    cards = [Message("home:U1", (Span(f"#{i}"),), ((Button("vote", str(i), "Support"),),)) for i in range(60)]
    view = home_view(cards)
    assert view["type"] == "home" and len(view["blocks"]) <= 100


def test_modal_from_a_form() -> None:
    form = Form("review", "Opinion on #12345678901234", "Publish", (
        FormField("recommendation", "Recommendation", "select", options=(("forward", "Forward"), ("reject", "R"))),
        FormField("explanation", "Explanation", "text", required=False, hint="Citizens read this."),
        FormField("budget", "Budget", "line", required=False, max_length=20, initial="1,000"),
        FormField("empty", "No options", "select"),
    ), state="12")
    view = modal_view(form)
    assert (view["type"], view["callback_id"], view["private_metadata"]) == ("modal", "review", "12")
    assert view["title"]["text"] == "Opinion on #12345678901…" and len(view["title"]["text"]) == 24
    select, explanation, budget, empty = view["blocks"]
    assert select["block_id"] == select["element"]["action_id"] == "recommendation"
    assert select["optional"] is False and select["element"]["type"] == "static_select"
    assert [o["value"] for o in select["element"]["options"]] == ["forward", "reject"]
    assert explanation["optional"] is True and explanation["element"]["multiline"] is True
    assert explanation["hint"]["text"] == "Citizens read this."
    assert budget["element"] == {"type": "plain_text_input", "action_id": "budget", "multiline": False,
                                 "max_length": 20, "initial_value": "1,000"}
    assert empty["element"]["type"] == "plain_text_input"  # Slack refuses a select without options


def test_incoming_text_undoes_slack_markup() -> None:
    assert incoming_text("a &lt;b&gt; &amp;lt; c") == "a <b> &lt; c"
    assert incoming_text("see <https://x.test/a|x.test/a> and <https://y.test>") == "see x.test/a and https://y.test"
    assert incoming_text("hi <@U123> in <#C1|general> <!here>") == "hi @U123 in #general @here"
    assert incoming_text("") == ""
