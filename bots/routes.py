"""The root router: every capability the conversation offers, listed once. A new capability is one
package under bots/ with a `router`, and one line here."""

from __future__ import annotations

from bots import account, calls, panel, proposals, review, room
from bots.router import Router


def root_router() -> Router:
    return Router("root").include_router(
        account.router,
        proposals.router,
        review.router,
        panel.router,
        calls.router,
        room.router,
    )
