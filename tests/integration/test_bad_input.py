"""Whatever a person sends — empty, huge, binary, control characters, markup — gets an answer, never a crash."""

from __future__ import annotations

import asyncio
import itertools
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import ButtonPress, Command, Inbound, Payload, Text, Where, Who
from core.db import make_engine, make_sessions
from core.rules import Rules
from tests.dbutil import fresh_database, sqlite_url
from tests.integration import factories as f
from tests.replies import words

COMMANDS = ["start", "help", "propose", "cancel", "new", "top", "list", "show", "vote", "unvote", "comment",
            "follow", "unfollow", "withdraw", "mine", "lang", "queue", "review", "link", "notify", "nonsense"]
NASTY = st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ["", " ", "\x00\x01\x02", "<b>x</b>&amp;", "*bold* _it_ `code` [a](http://x)", "#", "#999999999999999",
     "p0", "-1", "1e9", "²", "#³ x", "１２", "\u202etxet", "x" * 5000, "12 " + "y" * 4500, "\n\n\n"])
PAYLOADS = st.one_of(
    st.builds(Text, NASTY),
    st.builds(Command, st.sampled_from(COMMANDS), NASTY),
    st.builds(ButtonPress, st.sampled_from(["vote", "follow", "show", "page", "pcat", "psubmit", "rrec", "zzz"]),
              st.text(alphabet=string.printable, max_size=40)),
)
_events = itertools.count()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated SQLite file with a proposal to act on; every example adds to it."""
    url = sqlite_url(tmp_path_factory.mktemp("bad-input"))

    async def prepare() -> None:
        engine, sessions = await fresh_database(url)
        await f.proposal(sessions, await f.citizen(sessions, "author"))
        await engine.dispose()

    asyncio.run(prepare())
    return url


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=st.lists(PAYLOADS, min_size=1, max_size=6))
async def test_every_input_gets_an_answer(database: str, payloads: list[Payload]) -> None:
    engine = make_engine(database)
    conversation = Conversation(make_sessions(engine), BotConfig(Rules(vote_threshold=2), "https://oasis.test", "en"))
    who = Who("telegram", "42", "Tester", "en")
    try:
        for payload in payloads:
            replies = await conversation(Inbound("telegram", f"e{next(_events)}", who, Where("42"), payload))
            assert replies, f"no answer to {payload!r}"
            for reply in replies:
                text = words(reply)
                assert text.strip(), f"an empty answer to {payload!r}"
                assert "went wrong on our side" not in text, payload
    finally:
        await engine.dispose()
