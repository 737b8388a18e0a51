"""Recording a panel member's evaluation and telling them, the same from the flow, the form and one line."""

from __future__ import annotations

from bots.context import Ctx
from core import panels


async def record(ctx: Ctx, proposal_id: int, scores: panels.Scores, comment: str) -> None:
    _row, changed = await panels.evaluate(ctx.session, ctx.actor, proposal_id, scores, comment)
    numbers = f"{scores.necessity}/{scores.effectiveness}/{scores.feasibility}/{scores.budget_fit}"
    if changed:
        ctx.reply(ctx.t.tr("Your evaluation of #{id} is changed: {scores}. You can change it until the decision.",
                           id=proposal_id, scores=numbers))
    else:
        ctx.reply(ctx.t.tr("Thank you: your evaluation of #{id} is recorded ({scores}). You can change it until "
                           "the decision.", id=proposal_id, scores=numbers))
