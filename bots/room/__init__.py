"""The dialogue room (시민대화방): `/comment` from a private chat, `/room`, and what people write in the
room itself (a Telegram forum, a Slack channel), held as one discussion per proposal (core/room.py)."""

from __future__ import annotations

from bots.room import commands, moderation
from bots.router import Router

router = Router("room").include_router(commands.router, moderation.router)
