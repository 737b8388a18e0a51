"""Publishing the department opinion and telling the official, the same from the flow, the form and one line."""

from __future__ import annotations

from bots.context import Ctx
from bots.outbox_render import reason_label
from core import reviews


async def publish(ctx: Ctx, proposal_id: int, opinion: reviews.Opinion) -> None:
    await reviews.review(ctx.session, ctx.actor, proposal_id, opinion, panel_days=ctx.config.rules.panel_days)
    if opinion.recommendation == "forward":
        ctx.reply(ctx.t.tr("Published: #{id} goes to the expert panel. Everyone who follows it is told.",
                             id=proposal_id))
    else:
        ctx.reply(ctx.t.tr("Published: #{id} was rejected ({reason}). Everyone who follows it is told.",
                             id=proposal_id, reason=reason_label(opinion.reason_code or "other", ctx.t)))
