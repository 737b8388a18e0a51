"""Proposals as citizens meet them: browse, propose (guided or as a form), support, follow, discuss, withdraw."""

from __future__ import annotations

from bots.proposals import browse, propose_flow, propose_form, support
from bots.router import Router

router = Router("proposals").include_router(browse.router, propose_flow.router, propose_form.router, support.router)
