"""Forms for surfaces that can show one at once (Slack modals): the same use cases as the guided flows.

Each form is answered by a `FormSubmit` of the same name; a refused field comes back beside its input.
"""

from __future__ import annotations

from bots.context import Ctx
from bots.errors import error_text
from bots.names import categories_in_order
from bots.neutral import Form, FormField, plain_text
from bots.outbox_render import reason_label
from bots.router import Router
from core import proposals, reviews
from core.errors import Invalid, OasisError
from core.proposals import get_proposal
from core.rules import DESCRIPTION_MAX, TITLE_MAX
from core.statuses import ReasonCode

router = Router("forms")

PROPOSE, REVIEW = "propose", "review"

# Which input a refused value belongs to, by error code.
FIELD_OF = {
    "title_empty": "title", "title_too_long": "title",
    "description_empty": "description", "description_too_long": "description",
    "unknown_category": "category",
    "unknown_recommendation": "recommendation", "opinion_empty": "necessity",
    "unknown_reason_code": "reason_code", "explanation_empty": "explanation", "explanation_too_long": "explanation",
    "bad_budget": "budget",
}


async def propose_form(ctx: Ctx) -> Form:
    t = ctx.t
    return Form(PROPOSE, t.tr_plain("New proposal"), t.tr_plain("Submit"), (
        FormField("title", t.tr_plain("Title"), "line", max_length=TITLE_MAX,
                  hint=t.tr_plain("At most {limit} characters.", limit=TITLE_MAX)),
        FormField("description", t.tr_plain("Description"), "text", max_length=DESCRIPTION_MAX,
                  hint=t.tr_plain("The problem and your idea.")),
        FormField("category", t.tr_plain("Category"), "select", options=tuple(await categories_in_order(ctx))),
    ))


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


def _refuse(ctx: Ctx, error: OasisError, fallback_field: str) -> None:
    ctx.refuse_form({FIELD_OF.get(error.code, fallback_field): plain_text(error_text(error, ctx.t))})


async def on_propose(ctx: Ctx, fields: dict[str, str]) -> None:
    from bots.flows.propose import submit_and_confirm

    errors: dict[str, str] = {}
    for name, check in (("title", proposals.validate_title), ("description", proposals.validate_description)):
        try:
            check(fields.get(name, ""))
        except OasisError as error:
            errors[name] = plain_text(error_text(error, ctx.t))
    if errors:
        ctx.refuse_form(errors)
        return
    try:
        await submit_and_confirm(ctx, fields["title"], fields["description"], fields.get("category", ""))
    except OasisError as error:
        _refuse(ctx, error, "category")


async def on_review(ctx: Ctx, fields: dict[str, str]) -> None:
    from bots.flows.review import publish

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
        _refuse(ctx, error, "recommendation")


router.form(PROPOSE)(on_propose)
router.form(REVIEW)(on_review)
