"""The numbers that shape a proposal's life, from settings; and input limits from PRODUCT.md §3."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from core.errors import Invalid

TITLE_MAX = 100
DESCRIPTION_MAX = 4000
COMMENT_MAX = 8000  # a room message: long enough for any real post, in two Telegram parts at most
REASON_MAX = 500
EXPLANATION_MAX = 4000


@dataclass(frozen=True)
class Rules:
    vote_threshold: int = 5
    review_days: int = 14
    support_days: int = 0
    reports_to_hide: int = 3
    """Distinct people whose reports hide a room message pending a moderator (OASIS_REPORTS_TO_HIDE)."""
    room_flood: tuple[tuple[int, float], ...] = ((5, 30.0), (20, 600.0))
    """Per person, across linked accounts: at most n room messages in s seconds (OASIS_ROOM_FLOOD)."""
    panel_days: int = 14
    """Days the expert panels have to evaluate, from the department's forward (OASIS_PANEL_DAYS)."""
    panel_quorum: int = 1
    reminder_days: tuple[int, ...] = (3, 1)
    """Days before a deadline that the responsible people are reminded (OASIS_REMINDER_DAYS)."""
    """Evaluations each panel needs before the decision (OASIS_PANEL_QUORUM), unless it has no members or
    its deadline passed."""


def parse_days(text: str) -> tuple[int, ...]:
    """"3,1" → (3, 1): whole days, largest first; ValueError naming what is wrong."""
    days = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if not part.isdecimal() or int(part) < 1:
            raise ValueError(f"{part!r} is not a whole number of days (at least 1)")
        days.append(int(part))
    return tuple(sorted(set(days), reverse=True))


def parse_flood(text: str) -> tuple[tuple[int, float], ...]:
    """"5/30s,20/600s" (s, m or h) → ((5, 30.0), (20, 600.0)); ValueError naming what is wrong."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0}
    limits = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        count, _, window = part.partition("/")
        unit = units.get(window[-1:].lower()) if window else None
        if not count.strip().isdecimal() or unit is None or not window[:-1].strip().isdecimal():
            raise ValueError(f"{part!r} is not <count>/<seconds>s (like 5/30s or 20/10m)")
        if int(count) < 1 or int(window[:-1]) < 1:
            raise ValueError(f"{part!r}: count and window must be at least 1")
        limits.append((int(count), int(window[:-1]) * unit))
    if not limits:
        raise ValueError("no limit given (like 5/30s,20/600s)")
    return tuple(limits)


def clean_text(value: str) -> str:
    """Drop control and format characters (keeping newlines and tabs) and trim."""
    kept = []
    for ch in value:
        if ch in "\n\t":
            kept.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch in "\u2028\u2029\ufeff":
            continue
        else:
            kept.append(ch)
    return "".join(kept).strip()


def checked_text(value: str, field: str, limit: int, *, single_line: bool = False) -> str:
    text = clean_text(value)
    if single_line:
        text = " ".join(text.split())
    if not text:
        raise Invalid(f"{field}_empty")
    if len(text) > limit:
        raise Invalid(f"{field}_too_long", limit=limit, length=len(text))
    return text
