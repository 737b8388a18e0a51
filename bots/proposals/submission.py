"""Submitting a proposal and confirming it, the same from the guided flow and from the form."""

from __future__ import annotations

from bots.context import Ctx
from bots.i18n import join
from bots.names import department_name
from bots.neutral import Span
from bots.render import proposal_link
from core import proposals


async def submit_and_confirm(ctx: Ctx, title: str, description: str, category: str,
                             call_id: int | None = None) -> None:
    proposal = await proposals.submit(ctx.session, ctx.actor, title=title, description=description,
                                      category=category, call_id=call_id)
    threshold = ctx.config.rules.vote_threshold
    ctx.notice(ctx.t.tr_plain("Proposal #{id} received", id=proposal.id))
    words = await proposals.routed_by(ctx.session, proposal.id)
    department = await department_name(ctx, proposal.department_code)
    if call_id is not None:
        routed = ctx.t.tr("It is part of the themed call of {department}: when the call closes, it goes to review "
                          "with all the others, whatever its votes.", department=department)
    elif words:
        routed = ctx.t.tr("It goes to {department}, because it mentions: {words}.", department=department,
                          words=", ".join(words))
    else:
        routed = ctx.t.tr("It goes to {department}.", department=department)
    ctx.reply(join(
        ctx.t.tr("Proposal #{id} received: {title}", id=proposal.id, title=Span(proposal.title, "bold")),
        routed,
        ctx.t.tr_plural(
            "When {n} person supports it, the responsible department must review it and publish its reasons.",
            "When {n} people support it, the responsible department must review it and publish its reasons.",
            threshold),
        ctx.t.tr("Share it: {link}", link=proposal_link(ctx.config.public_url, proposal.id)),
    ))

