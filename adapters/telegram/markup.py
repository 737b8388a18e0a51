"""Neutral rich text and buttons → Telegram HTML and inline keyboards.

User text reaches here raw (the core never formats), so every span is escaped here, once.
Telegram rejects messages over 4,096 characters, so long texts are split at line breaks first,
then between spans, then at spaces, and only as a last resort inside a word.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bots.neutral import Button, RichText, Span

MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64

_TAGS = {"bold": "b", "italic": "i", "code": "code"}
_URL_SCHEMES = ("http://", "https://", "tg://")  # others (javascript:, file:) make Telegram reject all


def escape(text: str) -> str:
    """Escape the three characters Telegram's HTML parse mode requires (&, <, >)."""
    return html.escape(text, quote=False)


def span_html(span: Span) -> str:
    """One span as Telegram HTML; a link without a URL Telegram accepts degrades to plain text."""
    body = escape(span.text)
    if span.style == "link" and span.url and span.url.lower().startswith(_URL_SCHEMES):
        return f'<a href="{html.escape(span.url, quote=True)}">{body}</a>'
    tag = _TAGS.get(span.style)
    return f"<{tag}>{body}</{tag}>" if tag else body


def to_html(text: RichText) -> str:
    """The whole text as Telegram HTML (parse_mode="HTML")."""
    return "".join(span_html(span) for span in text)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), so emoji never push us over the limit."""
    return len(text.encode("utf-16-le")) // 2


def keyboard(buttons: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Rows of neutral buttons as an inline keyboard; None when there are none.

    Raises ValueError when a button's callback data would exceed Telegram's 64-byte limit,
    because Telegram would reject the whole message.
    """
    rows: list[list[InlineKeyboardButton]] = []
    for row in buttons:
        keys = [InlineKeyboardButton(b.label, callback_data=callback_data(b)) for b in row]
        if keys:
            rows.append(keys)
    return InlineKeyboardMarkup(rows) if rows else None


def callback_data(button: Button) -> str:
    """`action:value`, checked against the 64-byte limit."""
    data = f"{button.action}:{button.value}"
    if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_DATA_BYTES} bytes: {data!r}")
    return data


def split_for_telegram(text: RichText, limit: int = MAX_MESSAGE_LENGTH) -> list[RichText]:
    """Split text whose HTML exceeds `limit` into parts that each fit, keeping lines whole if possible."""
    if telegram_length(to_html(text)) <= limit:
        return [text]
    parts: list[RichText] = []
    current: list[Span] = []
    used = 0

    def flush() -> None:
        nonlocal current, used
        if "".join(s.text for s in current).strip():
            parts.append(_merge(current))
        current, used = [], 0

    for line in _lines(text):
        size = sum(_size(span) for span in line)
        if size <= limit:
            if used + size > limit:
                flush()
            current.extend(line)
            used += size
            continue
        for span in line:
            for piece in _cut(span, limit, room=limit - used):
                piece_size = _size(piece)
                if used + piece_size > limit:
                    flush()
                current.append(piece)
                used += piece_size
    flush()
    return parts or [text]


def _size(span: Span) -> int:
    return telegram_length(span_html(span))


def _lines(text: RichText) -> list[list[Span]]:
    """Spans regrouped into lines; each line keeps its trailing newline."""
    lines: list[list[Span]] = []
    current: list[Span] = []
    for span in text:
        chunks = span.text.split("\n")
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            piece = chunk if last else chunk + "\n"
            if piece:
                current.append(replace(span, text=piece))
            if not last:
                lines.append(current)
                current = []
    if current:
        lines.append(current)
    return lines


def _cut(span: Span, limit: int, *, room: int | None = None) -> Iterator[Span]:
    """Pieces of one over-long span, each rendering within `limit`, the first within the `room` left in
    the current part (so a long text after a short name does not leave the name alone); prefers cutting
    after a space."""
    if _size(replace(span, text="")) >= limit:
        span = Span(span.text)  # a link whose URL alone is too long: keep the words, drop the link
    full = limit - _size(replace(span, text=""))
    budget = full if room is None else max(min(room - _size(replace(span, text="")), full), 1)
    rest = span.text
    while rest:
        used, end = 0, 0
        for char in rest:
            cost = telegram_length(escape(char))
            if used + cost > budget:
                break
            used += cost
            end += 1
        end = max(end, 1)
        if end < len(rest):
            space = rest.rfind(" ", 0, end)
            if space > end // 2:
                end = space + 1
        yield replace(span, text=rest[:end])
        rest = rest[end:]
        budget = full


def _merge(spans: list[Span]) -> RichText:
    """Join neighbouring fragments of the same style, undoing the line split where it was not needed."""
    merged: list[Span] = []
    for span in spans:
        if merged and (merged[-1].style, merged[-1].url) == (span.style, span.url):
            merged[-1] = replace(merged[-1], text=merged[-1].text + span.text)
        else:
            merged.append(span)
    return tuple(merged)
