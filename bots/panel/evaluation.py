"""/panel and /evaluate: what waits for a panel member, and their scores, guided or in one line."""

from __future__ import annotations

from typing import Any

from bots import flows
from bots.context import Ctx
from bots.errors import error_text
from bots.i18n import N_, join
from bots.ids import parse_id
from bots.neutral import Button, Span
from bots.panel.evaluation_form import evaluation_form
from bots.panel.recording import record
from bots.router import Router
from bots.time import local_day
from core import panels
from core.clock import utcnow
from core.errors import Invalid, OasisError
from core.proposals import get_proposal

router = Router("panel evaluation")

FLOW = "evaluate"
QUESTIONS = {
    "necessity": N_("Necessity: how much is it needed? (1 = not at all, 5 = very much)"),
    "effectiveness": N_("Effectiveness: how well would it work? (1–5)"),
    "feasibility": N_("Feasibility: how well can the city carry it out? (1–5)"),
    "budget_fit": N_("Budget fit: how reasonable is its cost? (1–5)"),
}
ORDER = list(QUESTIONS)
EXPIRED = N_("This evaluation has expired. Send /evaluate <id> to start again.")


def score_buttons(step: str) -> tuple[tuple[Button, ...], ...]:
    return (tuple(Button("panel.score", f"{step}:{n}", str(n)) for n in range(1, 6)),)


@router.command("panel")
async def waiting(ctx: Ctx, _args: str) -> None:
    proposals = await panels.waiting_for(ctx.session, ctx.actor)
    if not proposals:
        ctx.reply(ctx.t.tr("Nothing is waiting for your evaluation."))
        return
    now = utcnow()
    for proposal in proposals:
        due = proposal.panel_deadline
        when = (ctx.t.tr("Overdue since {date}", date=Span(local_day(due, ctx.config.timezone), "bold"))
                if due is not None and due < now else
                ctx.t.tr("Evaluation due by {date}", date=local_day(due, ctx.config.timezone)) if due else ())
        ctx.reply(join(ctx.t.tr("#{id} {title}", id=proposal.id, title=Span(proposal.title, "bold")), when),
                  ((Button("panel.open", str(proposal.id), ctx.t.tr_plain("✍ Evaluate")),),))


@router.command("evaluate")
async def evaluate(ctx: Ctx, args: str) -> None:
    """`/evaluate <id>` (guided, or a form where the surface has them) or `/evaluate <id> n e f b [comment]`."""
    proposal_id = parse_id(args)
    words = args.split(maxsplit=5)[1:]
    if not words:
        await _begin(ctx, proposal_id)
        return
    if len(words) < len(panels.SCORES):
        raise Invalid("need_scores")
    scores = panels.Scores.parse(*words[:4])
    await record(ctx, proposal_id, scores, words[4] if len(words) > 4 else "")


@router.button("panel.open")
async def open_evaluation(ctx: Ctx, value: str) -> None:
    await _begin(ctx, parse_id(value))


async def _begin(ctx: Ctx, proposal_id: int) -> None:
    proposal = await get_proposal(ctx.session, proposal_id)
    panels.check_may_evaluate(ctx.actor, proposal)
    if ctx.inbound.forms:
        ctx.open_form(evaluation_form(ctx, proposal))
        return
    await flows.start(ctx, FLOW, ORDER[0], {"id": proposal_id})
    ctx.reply(join(ctx.t.tr("Evaluation of #{id} {title}", id=proposal.id, title=Span(proposal.title, "bold")),
                   ctx.t.tr("Four scores from 1 to 5, then a comment. Send /cancel to stop."),
                   ctx.t.tr(QUESTIONS[ORDER[0]])), score_buttons(ORDER[0]))


@router.flow(FLOW)
async def on_text(ctx: Ctx, step: str, data: dict[str, Any], text: str) -> None:
    try:
        await _step(ctx, step, data, text)
    except OasisError as error:
        ctx.reply(error_text(error, ctx.t))


async def _step(ctx: Ctx, step: str, data: dict[str, Any], text: str) -> None:
    if step == "comment":
        await flows.leave(ctx)
        comment = "" if text.strip() in ("-", "") else text
        await record(ctx, int(data["id"]), panels.Scores(*(int(data[name]) for name in panels.SCORES)), comment)
        return
    data = {**data, step: panels.parse_score(text, step)}
    following = ORDER[ORDER.index(step) + 1] if step != ORDER[-1] else "comment"
    await flows.advance(ctx, FLOW, following, data)
    if following == "comment":
        ctx.reply(ctx.t.tr("A comment for the record (or - for none):"))
    else:
        ctx.reply(ctx.t.tr(QUESTIONS[following]), score_buttons(following))


@router.step_button("panel.score", flow=FLOW, steps=tuple(ORDER), expired=EXPIRED)
async def on_score(ctx: Ctx, value: str, data: dict[str, Any]) -> None:
    step, _, score = value.partition(":")
    state_step = await flows.current_step(ctx)
    if step != state_step:
        ctx.notice(ctx.t.tr_plain(EXPIRED))
        return
    await _step(ctx, step, data, score)
