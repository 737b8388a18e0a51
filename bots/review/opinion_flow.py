"""/review <id>: the department opinion, step by step — forward with the four findings, or reject with reasons."""

from __future__ import annotations

from typing import Any

from bots import flows
from bots.context import Ctx
from bots.errors import error_text
from bots.i18n import N_, join
from bots.neutral import Button, Span
from bots.outbox_render import budget_line, reason_label
from bots.review.publishing import publish
from bots.router import Router
from core import reviews
from core.errors import Invalid, OasisError
from core.proposals import get_proposal
from core.statuses import ReasonCode

router = Router("opinion flow")
# Buttons already in people's chats carry the names of before issue 8.
router.alias(rrec="review.recommendation", rcode="review.reason", rsubmit="review.publish",
             rcancel="review.cancel")

FLOW = "review"
FORWARD_STEPS = {
    "necessity": N_("Necessity: why is it needed (or not)?"),
    "effectiveness": N_("Effectiveness: what would it achieve?"),
    "feasibility": N_("Feasibility: can the city do it, and how?"),
    "budget": N_("Estimated budget in KRW (digits, or - if unknown):"),
}
ORDER = list(FORWARD_STEPS)
EXPIRED = N_("This form has expired. Send /review <id> to start again.")


async def begin(ctx: Ctx, proposal_id: int) -> None:
    proposal = await get_proposal(ctx.session, proposal_id)
    reviews.check_may_review(ctx.actor, proposal)
    await flows.start(ctx, FLOW, "recommendation", {"id": proposal_id})
    buttons = ((Button("review.recommendation", "forward", ctx.t.tr_plain("➡ Forward to the expert panel")),
                Button("review.recommendation", "reject", ctx.t.tr_plain("✖ Reject with reasons"))),)
    ctx.reply(join(
        ctx.t.tr("Department opinion on #{id} {title}", id=proposal.id, title=Span(proposal.title, "bold")),
        ctx.t.tr("Forward it to the expert panel, or reject it with reasons? Send /cancel to stop."),
    ), buttons)


async def _choose(ctx: Ctx, data: dict[str, Any], choice: str) -> None:
    if choice == "forward":
        await flows.advance(ctx, FLOW, ORDER[0], {**data, "recommendation": "forward"})
        ctx.reply(ctx.t.tr(FORWARD_STEPS[ORDER[0]]))
    elif choice == "reject":
        await flows.advance(ctx, FLOW, "code", {**data, "recommendation": "reject"})
        codes = [Button("review.reason", c.value, reason_label(c.value, ctx.t)) for c in ReasonCode]
        rows = tuple(tuple(codes[i:i + 2]) for i in range(0, len(codes), 2))
        ctx.reply(ctx.t.tr("Why can it not be done?"), rows)
    else:
        raise Invalid("unknown_recommendation", value=choice)


@router.flow(FLOW)
async def on_text(ctx: Ctx, step: str, data: dict[str, Any], text: str) -> None:
    try:
        await _step(ctx, step, data, text)
    except OasisError as error:
        ctx.reply(error_text(error, ctx.t))


async def _step(ctx: Ctx, step: str, data: dict[str, Any], text: str) -> None:
    if step == "recommendation":
        await _choose(ctx, data, text.strip().lower())
    elif step in FORWARD_STEPS:
        value: Any = reviews.parse_budget(text) if step == "budget" else text.strip()
        data = {**data, step: value}
        following = ORDER[ORDER.index(step) + 1] if step != ORDER[-1] else None
        if following:
            await flows.advance(ctx, FLOW, following, data)
            ctx.reply(ctx.t.tr(FORWARD_STEPS[following]))
        else:
            await _preview(ctx, data)
    elif step == "code":
        await _on_code(ctx, data, text)
    elif step == "explanation":
        if not text.strip():
            raise Invalid("explanation_empty")
        await _preview(ctx, {**data, "explanation": text.strip()})
    else:
        await _preview(ctx, data)


async def _on_code(ctx: Ctx, data: dict[str, Any], value: str) -> None:
    code = reviews.parse_reason_code(value)
    await flows.advance(ctx, FLOW, "explanation", {**data, "reason_code": code})
    ctx.reply(ctx.t.tr("Explain the reasons concretely; the citizens will read exactly this:"))


async def _preview(ctx: Ctx, data: dict[str, Any]) -> None:
    await flows.advance(ctx, FLOW, "preview", data)
    lines = [ctx.t.tr("Please check the opinion on #{id}:", id=data["id"])]
    if data["recommendation"] == "forward":
        lines.append(ctx.t.tr("Recommendation: forward to the expert panel"))
        for label, key in ((N_("Necessity"), "necessity"), (N_("Effectiveness"), "effectiveness"),
                           (N_("Feasibility"), "feasibility")):
            lines.append(ctx.t.tr("{label}: {value}", label=ctx.t.tr_plain(label), value=data.get(key, "")))
        lines.append(budget_line(ctx.t, data.get("budget")))
    else:
        lines.append(ctx.t.tr("Recommendation: reject — {reason}",
                                reason=reason_label(data["reason_code"], ctx.t)))
        lines.append((Span(data["explanation"]),))
    buttons = ((Button("review.publish", str(data["id"]), ctx.t.tr_plain("✅ Publish")),
                Button("review.cancel", str(data["id"]), ctx.t.tr_plain("✖ Cancel"))),)
    ctx.reply(join(*lines), buttons)


@router.step_button("review.recommendation", flow=FLOW, steps=("recommendation",), expired=EXPIRED)
async def on_recommendation(ctx: Ctx, value: str, data: dict[str, Any]) -> None:
    await _choose(ctx, data, value)


@router.step_button("review.reason", flow=FLOW, steps=("code",), expired=EXPIRED)
async def on_code(ctx: Ctx, value: str, data: dict[str, Any]) -> None:
    await _on_code(ctx, data, value)


@router.step_button("review.publish", flow=FLOW, steps=("preview",), expired=EXPIRED)
async def on_submit(ctx: Ctx, _value: str, data: dict[str, Any]) -> None:
    await flows.leave(ctx)
    await publish(ctx, data["id"], reviews.Opinion(
        recommendation=data["recommendation"], necessity=data.get("necessity", ""),
        effectiveness=data.get("effectiveness", ""), feasibility=data.get("feasibility", ""),
        budget_krw=data.get("budget"), reason_code=data.get("reason_code"),
        explanation=data.get("explanation", ""),
    ))


@router.button("review.cancel")
async def on_cancel(ctx: Ctx, _value: str) -> None:
    await flows.leave(ctx)
    ctx.say(ctx.t.tr("Cancelled. Nothing was published."))
