"""The department opinion as one form, where the surface can show one (a Slack modal)."""

from __future__ import annotations

from bots.context import Ctx
from bots.forms import refuse
from bots.neutral import Form, FormField
from bots.outbox_render import reason_label
from bots.review.publishing import publish
from bots.router import Router
from core import reviews
from core.errors import Invalid, OasisError
from core.proposals import get_proposal
from core.statuses import ReasonCode

router = Router("opinion form")

REVIEW = "review"


async def review_form(ctx: Ctx, proposal_id: int) -> Form:
    """The department opinion as one form; refused at once if this person may not write it."""
    proposal = await get_proposal(ctx.session, proposal_id)
    reviews.check_may_review(ctx.actor, proposal)
    t = ctx.t
    codes = tuple((c.value, reason_label(c.value, t)) for c in ReasonCode)
    return Form(REVIEW, t.tr_plain("Opinion on #{id}", id=proposal_id), t.tr_plain("Publish"), (
        FormField("recommendation", t.tr_plain("Recommendation"), "select",
                  options=(("forward", t.tr_plain("Forward to the expert panel")), ("reject", t.tr_plain("Reject")))),
        FormField("necessity", t.tr_plain("Necessity"), "text", required=False),
        FormField("effectiveness", t.tr_plain("Effectiveness"), "text", required=False),
        FormField("feasibility", t.tr_plain("Feasibility"), "text", required=False),
        FormField("budget", t.tr_plain("Estimated budget (KRW)"), "line", required=False,
                  hint=t.tr_plain("Digits, for example 1,200,000.")),
        FormField("reason_code", t.tr_plain("Reason (if rejected)"), "select", options=codes, required=False),
        FormField("explanation", t.tr_plain("Explanation"), "text", required=False,
                  hint=t.tr_plain("Required for a rejection: citizens read exactly this.")),
    ), state=str(proposal_id))



@router.form(REVIEW)
async def on_review(ctx: Ctx, fields: dict[str, str]) -> None:
    state = getattr(ctx.inbound.payload, "state", "")
    try:
        if not state.isdecimal():
            raise Invalid("need_id", given=state)
        budget = reviews.parse_budget(fields.get("budget", ""))
        opinion = reviews.Opinion(
            recommendation=fields.get("recommendation", ""), necessity=fields.get("necessity", ""),
            effectiveness=fields.get("effectiveness", ""), feasibility=fields.get("feasibility", ""),
            budget_krw=budget, reason_code=fields.get("reason_code") or None,
            explanation=fields.get("explanation", ""),
        )
        if opinion.recommendation == "reject" and not opinion.reason_code:
            raise Invalid("unknown_reason_code", code="", codes=", ".join(c.value for c in ReasonCode))
        await publish(ctx, int(state), opinion)
    except OasisError as error:
        refuse(ctx, error, "recommendation")
