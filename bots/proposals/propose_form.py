"""/propose as one form, where the surface can show one (a Slack modal)."""

from __future__ import annotations

from bots.context import Ctx
from bots.errors import error_text
from bots.forms import refuse
from bots.names import categories_in_order
from bots.neutral import Form, FormField, plain_text
from bots.proposals.submission import submit_and_confirm
from bots.router import Router
from core import calls, proposals
from core.errors import OasisError
from core.rules import DESCRIPTION_MAX, TITLE_MAX

router = Router("propose form")

PROPOSE = "propose"


async def propose_form(ctx: Ctx) -> Form:
    t = ctx.t
    return Form(PROPOSE, t.tr_plain("New proposal"), t.tr_plain("Submit"), (
        FormField("title", t.tr_plain("Title"), "line", max_length=TITLE_MAX,
                  hint=t.tr_plain("At most {limit} characters.", limit=TITLE_MAX)),
        FormField("description", t.tr_plain("Description"), "text", max_length=DESCRIPTION_MAX,
                  hint=t.tr_plain("The problem and your idea.")),
        FormField("category", t.tr_plain("Category"), "select", options=tuple(await categories_in_order(ctx))),
        *await _call_field(ctx),
    ))


async def _call_field(ctx: Ctx) -> tuple[FormField, ...]:
    """A choice among the open themed calls, when there are any."""
    found = await calls.open_calls(ctx.session)
    if not found:
        return ()
    options = (("0", ctx.t.tr_plain("No themed call")), *((str(c.id), c.title[:70]) for c in found))
    return (FormField("call", ctx.t.tr_plain("Themed call"), "select", options=options, required=False),)



@router.form(PROPOSE)
async def on_propose(ctx: Ctx, fields: dict[str, str]) -> None:
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
        call = fields.get("call") or "0"
        await submit_and_confirm(ctx, fields["title"], fields["description"], fields.get("category", ""),
                                 int(call) if call.isdecimal() and call != "0" else None)
    except OasisError as error:
        refuse(ctx, error, "category")
