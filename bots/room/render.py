"""How a room message looks on the surfaces it is mirrored to: `Name (Slack): text`, the name in bold.

The text is the person's, shown literally: each adapter escapes it for its platform's markup, and here
"@" is kept from becoming a mention, so a mirrored name or `@all` never pings anyone."""

from __future__ import annotations

from bots.neutral import Author, RichText, Span
from bots.platforms import PLATFORMS

WORD_JOINER = "\u2060"  # invisible; keeps "@name" from being read as a mention
TOPIC_TITLE_MAX = 128  # Telegram's limit for a forum topic's name


def unmentionable(text: str) -> str:
    return text.replace("@", "@" + WORD_JOINER)


QUOTE_MAX = 80


def mirrored(name: str, origin: str, body: str, *, quoting: tuple[str, str] | None = None,
             badge: str = "") -> tuple[Author, RichText]:
    """Who said it and what, as a room copy shows it. `quoting`: (name, text) of the message this one
    answers, shown as one line before it where the surface cannot answer a message natively. `badge`:
    the author's role here ("official"), from our roles only, never from what a name claims."""
    platform = PLATFORMS.get(origin)
    where = " · ".join(w for w in (platform.label if platform is not None else "", badge) if w)
    author = Author(unmentionable(name or "?"), where)
    said = (Span(unmentionable(body)),)
    if quoting is None:
        return author, said
    first = " ".join(quoting[1].split())
    excerpt = first if len(first) <= QUOTE_MAX else first[:QUOTE_MAX - 1] + "…"
    return author, (Span(f"↪ {unmentionable(quoting[0])}: {unmentionable(excerpt)}", "italic"), Span("\n"), *said)


def topic_title(proposal_id: int, title: str) -> str:
    """`#12 Night buses`, cut to what a forum topic's name may hold."""
    full = f"#{proposal_id} {' '.join(title.split())}"
    return full if len(full) <= TOPIC_TITLE_MAX else full[:TOPIC_TITLE_MAX - 1] + "…"
