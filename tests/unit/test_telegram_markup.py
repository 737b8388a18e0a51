"""Neutral text → Telegram HTML: escaping, buttons, and splitting over the 4,096 limit."""

from __future__ import annotations

import pytest

from adapters.telegram.markup import (
    MAX_MESSAGE_LENGTH,
    keyboard,
    split_for_telegram,
    telegram_length,
    to_html,
)
from bots.neutral import Button, Span, plain_text
from tests.doubles.telegram_updates import html_to_plain


def test_user_text_is_escaped_in_every_style() -> None:
    evil = "<b>&</b>"
    spans = tuple(Span(evil, style) for style in ("plain", "bold", "italic", "code"))
    assert to_html(spans) == (
        "&lt;b&gt;&amp;&lt;/b&gt;"
        "<b>&lt;b&gt;&amp;&lt;/b&gt;</b>"
        "<i>&lt;b&gt;&amp;&lt;/b&gt;</i>"
        "<code>&lt;b&gt;&amp;&lt;/b&gt;</code>"
    )
    assert html_to_plain(to_html(spans)) == evil * 4


def test_links_escape_the_url_including_quotes() -> None:
    span = Span('see "#12" <here>', "link", url='https://x.test/p?a=1&b="2"')
    assert to_html((span,)) == ('<a href="https://x.test/p?a=1&amp;b=&quot;2&quot;">see "#12" &lt;here&gt;</a>')


def test_a_link_without_a_usable_url_is_plain_text() -> None:
    assert to_html((Span("no url", "link"),)) == "no url"
    assert to_html((Span("click", "link", url="javascript:alert(1)"),)) == "click"
    assert to_html((Span("open", "link", url="tg://resolve?domain=x"),)) == '<a href="tg://resolve?domain=x">open</a>'


def test_keyboard_rows_and_callback_data() -> None:
    markup = keyboard(
        (
            (Button("vote", "12", "Support"), Button("follow", "12", "Follow")),
            (),
            (Button("page", "", "More"),),
        )
    )
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [[("Support", "vote:12"), ("Follow", "follow:12")], [("More", "page:")]]


def test_no_buttons_means_no_keyboard() -> None:
    assert keyboard(()) is None
    assert keyboard(((),)) is None


def test_callback_data_is_limited_to_64_bytes_not_characters() -> None:
    assert keyboard(((Button("a", "x" * 62, "ok"),),)) is not None  # "a:" + 62 = 64 bytes
    with pytest.raises(ValueError, match="64 bytes"):
        keyboard(((Button("a", "x" * 63, "too long"),),))
    with pytest.raises(ValueError):
        keyboard(((Button("a", "한" * 21, "korean"),),))  # 2 + 63 bytes


def test_short_text_is_one_part_unchanged() -> None:
    text = (Span("Proposal "), Span("#12", "bold"), Span(" received"))
    assert split_for_telegram(text) == [text]


def test_long_text_splits_at_line_boundaries() -> None:
    lines = [f"line {n:03d} with some words\n" for n in range(40)]
    text = (Span("Title\n", "bold"), Span("".join(lines)))
    parts = split_for_telegram(text, limit=200)
    assert len(parts) > 1
    for part in parts:
        assert telegram_length(to_html(part)) <= 200
        assert plain_text(part).endswith("\n")  # every cut falls after a whole line
    assert "".join(plain_text(part) for part in parts) == plain_text(text)
    assert parts[0][0] == Span("Title\n", "bold")


def test_a_huge_word_is_cut_hard_but_nothing_is_lost() -> None:
    text = (Span("x" * 1000, "bold"),)
    parts = split_for_telegram(text, limit=300)
    assert all(telegram_length(to_html(part)) <= 300 for part in parts)
    assert all(span.style == "bold" for part in parts for span in part)
    assert "".join(plain_text(part) for part in parts) == "x" * 1000


def test_a_long_line_prefers_cutting_after_a_space() -> None:
    text = (Span(" ".join(["word"] * 100)),)
    parts = split_for_telegram(text, limit=100)
    assert all(plain_text(part).endswith(" ") for part in parts[:-1])
    assert "".join(plain_text(part) for part in parts) == plain_text(text)


def test_escaping_and_emoji_count_towards_the_limit() -> None:
    text = (Span("&" * 3000), Span("🙂" * 1500))  # 15,000 + 3,000 UTF-16 units once escaped
    parts = split_for_telegram(text)
    assert len(parts) >= 5
    for part in parts:
        rendered = to_html(part)
        assert telegram_length(rendered) <= MAX_MESSAGE_LENGTH
        html_to_plain(rendered)  # still valid Telegram HTML: no entity cut in half
    assert "".join(plain_text(part) for part in parts) == plain_text(text)


def test_split_parts_are_valid_html_with_styles_kept() -> None:
    body = "".join(f"<tag> & {n}\n" for n in range(600))
    text = (Span("Header\n", "bold"), Span(body, "italic"), Span("end", "link", url="https://x.test"))
    parts = split_for_telegram(text)
    assert len(parts) > 1
    for part in parts:
        assert telegram_length(to_html(part)) <= MAX_MESSAGE_LENGTH
        html_to_plain(to_html(part))
    assert parts[-1][-1] == Span("end", "link", url="https://x.test")
    assert "".join(plain_text(part) for part in parts) == plain_text(text)
