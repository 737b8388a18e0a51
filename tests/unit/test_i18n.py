"""Messages name commands as each surface types them, and never touch the user's own text."""

from __future__ import annotations

from bots.i18n import Translator, format_rich
from bots.neutral import Span, plain_text


def test_commands_follow_the_surface_prefix_in_both_languages() -> None:
    msgid = "Start with /propose, see proposals with /new or /top, or send /help."
    assert Translator("en").tr_plain(msgid) == msgid
    slack = Translator("en", "/oasis ").tr_plain(msgid)
    assert slack == "Start with /oasis propose, see proposals with /oasis new or /oasis top, or send /oasis help."
    assert "/oasis propose" in Translator("ko", "/oasis ").tr_plain(msgid)


def test_user_text_urls_and_fractions_are_left_alone() -> None:
    text = format_rich("{title} at https://oasis.test/p/1, 1/2 done, and/or /vote {id}",
                       {"title": Span("my /propose idea", "bold"), "id": 3}, "/oasis ")
    assert plain_text(text) == "my /propose idea at https://oasis.test/p/1, 1/2 done, and/or /oasis vote 3"
