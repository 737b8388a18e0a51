"""How a room message looks on the surfaces it is mirrored to: `Name (Slack): text`, the name in bold.

The text is the person's, shown literally: each adapter escapes it for its platform's markup, and here
"@" is kept from becoming a mention, so a mirrored name or `@all` never pings anyone."""

from __future__ import annotations

from bots.neutral import RichText, Span
from bots.platforms import PLATFORMS

WORD_JOINER = "\u2060"  # invisible; keeps "@name" from being read as a mention
TOPIC_TITLE_MAX = 128  # Telegram's limit for a forum topic's name


def unmentionable(text: str) -> str:
    return text.replace("@", "@" + WORD_JOINER)


def mirrored_text(name: str, origin: str, body: str) -> RichText:
    platform = PLATFORMS.get(origin)
    where = f" ({platform.label})" if platform is not None else ""
    return (Span(unmentionable(name or "?"), "bold"), Span(f"{where}: "), Span(unmentionable(body)))


def topic_title(proposal_id: int, title: str) -> str:
    """`#12 Night buses`, cut to what a forum topic's name may hold."""
    full = f"#{proposal_id} {' '.join(title.split())}"
    return full if len(full) <= TOPIC_TITLE_MAX else full[:TOPIC_TITLE_MAX - 1] + "…"
