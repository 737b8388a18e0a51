"""A person and their own session with Oasis: the welcome, help, cancel, language, linked accounts and
where news reaches them."""

from __future__ import annotations

from bots.account import commands, mileage, welcome
from bots.router import Router

router = Router("account").include_router(welcome.router, commands.router, mileage.router)
