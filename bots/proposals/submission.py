"""Submitting a proposal and confirming it, the same from the guided flow and from the form."""

from __future__ import annotations

from bots.context import Ctx
from bots.i18n import join
from bots.neutral import Span
from bots.render import proposal_link
from core import proposals


async def submit_and_confirm(ctx: Ctx, title: str, description: str, category: str) -> None:
    proposal = await proposals.submit(ctx.session, ctx.actor, title=title, description=description,
                                      category=category)
    threshold = ctx.config.rules.vote_threshold
    ctx.notice(ctx.t.tr_plain("Proposal #{id} received", id=proposal.id))
    ctx.reply(join(
        ctx.t.tr("Proposal #{id} received: {title}", id=proposal.id, title=Span(proposal.title, "bold")),
        ctx.t.tr_plural(
            "When {n} person supports it, the responsible department must review it and publish its reasons.",
            "When {n} people support it, the responsible department must review it and publish its reasons.",
            threshold),
        ctx.t.tr("Share it: {link}", link=proposal_link(ctx.config.public_url, proposal.id)),
    ))

