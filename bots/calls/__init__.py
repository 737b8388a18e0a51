"""Themed calls (공모) and announcements: /calls, /call new for staff, /subscribe and /unsubscribe."""

from __future__ import annotations

from bots.calls import commands, new_call
from bots.router import Router

router = Router("calls").include_router(commands.router, new_call.router)
