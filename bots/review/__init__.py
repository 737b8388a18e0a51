"""The department's side: its queue, and the opinion (guided, as a form, or in one line) that every
proposal with enough support is owed."""

from __future__ import annotations

from bots.review import commands, opinion_flow, opinion_form
from bots.router import Router

router = Router("review").include_router(commands.router, opinion_flow.router, opinion_form.router)
