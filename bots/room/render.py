"""How a room message looks on the surfaces it is mirrored to: `Name (Slack): text`, the name in bold.

The text is the person's, shown literally: each adapter escapes it for its platform's markup, and here
"@" is kept from becoming a mention, so a mirrored name or `@all` never pings anyone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bots.neutral import RichText, Span
from bots.platforms import PLATFORMS

WORD_JOINER = "\u2060"  # invisible; keeps "@name" from being read as a mention
TOPIC_TITLE_MAX = 128  # Telegram's limit for a forum topic's name


def unmentionable(text: str) -> str:
    return text.replace("@", "@" + WORD_JOINER)


def mirrored_text(params: Mapping[str, Any]) -> RichText:
    platform = PLATFORMS.get(str(params.get("origin") or ""))
    name = unmentionable(str(params.get("name") or "?"))
    where = f" ({platform.label})" if platform is not None else ""
    return (Span(name, "bold"), Span(f"{where}: "), Span(unmentionable(str(params.get("body") or ""))))


def topic_title(proposal_id: int, title: str) -> str:
    """`#12 Night buses`, cut to what a forum topic's name may hold."""
    full = f"#{proposal_id} {' '.join(title.split())}"
    return full if len(full) <= TOPIC_TITLE_MAX else full[:TOPIC_TITLE_MAX - 1] + "…"
