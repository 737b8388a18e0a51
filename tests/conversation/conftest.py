"""A capability's conversation test in a few lines: `speaker("alice")` talks to the real Conversation on
a real database (tests/driver.py), with a small threshold so review is a few votes away."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bots.context import BotConfig
from bots.conversation import Conversation
from core.db import Sessions
from core.rules import Rules
from tests.driver import Speaker

RULES = Rules(vote_threshold=3, review_days=14)


@pytest.fixture
def conversation(sessions: Sessions) -> Conversation:
    return Conversation(sessions, BotConfig(RULES, "https://oasis.test", "en"))


@pytest.fixture
def speaker(conversation: Conversation) -> Callable[..., Speaker]:
    def make(user: str, **options: object) -> Speaker:
        return Speaker(conversation, user, **options)  # type: ignore[arg-type]

    return make
