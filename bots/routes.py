"""The root router: every capability the conversation offers, listed once. A new capability is one
router here."""

from __future__ import annotations

from bots import account_commands, citizen_commands, forms, staff_commands
from bots.flows import propose, review
from bots.router import Router


def root_router() -> Router:
    return Router("root").include_router(
        citizen_commands.router,
        propose.router,
        forms.router,
        account_commands.router,
        staff_commands.router,
        review.router,
    )
