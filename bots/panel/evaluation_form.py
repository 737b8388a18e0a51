"""The evaluation as one form, where the surface can show one (a Slack modal from the request's button)."""

from __future__ import annotations

from bots.context import Ctx
from bots.forms import refuse
from bots.neutral import Form, FormField
from bots.panel.recording import record
from bots.router import Router
from core import panels
from core.errors import Invalid, OasisError
from core.models import Proposal

router = Router("panel evaluation form")

EVALUATE = "evaluate"


def evaluation_form(ctx: Ctx, proposal: Proposal) -> Form:
    t = ctx.t
    options = tuple((str(n), str(n)) for n in range(1, 6))
    labels = {"necessity": t.tr_plain("Necessity"), "effectiveness": t.tr_plain("Effectiveness"),
              "feasibility": t.tr_plain("Feasibility"), "budget_fit": t.tr_plain("Budget fit")}
    fields = tuple(FormField(name, labels[name], "select", options=options) for name in panels.SCORES)
    return Form(EVALUATE, t.tr_plain("Evaluate #{id}", id=proposal.id), t.tr_plain("Record"), (
        *fields, FormField("comment", t.tr_plain("Comment"), "text", required=False),
    ), state=str(proposal.id))


@router.form(EVALUATE)
async def on_evaluation(ctx: Ctx, fields: dict[str, str]) -> None:
    state = getattr(ctx.inbound.payload, "state", "")
    try:
        if not state.isdecimal():
            raise Invalid("need_id", given=state)
        scores = panels.Scores(*(panels.parse_score(fields.get(name, ""), name) for name in panels.SCORES))
        await record(ctx, int(state), scores, fields.get("comment", ""))
    except OasisError as error:
        refuse(ctx, error, "necessity")
