"""/decide (admins) and /progress (the department's officials, admins): adoption and implementation."""

from __future__ import annotations

from bots.context import Ctx
from bots.i18n import N_
from bots.ids import parse_id
from bots.outbox_render import reason_label, status_label
from bots.router import Router
from core import panels
from core.errors import Invalid
from core.statuses import Status

router = Router("decisions")

PANEL_NAMES = {"panel_internal": N_("internal panel"), "panel_external": N_("external panel")}
WAIVED_BECAUSE = {"no_members": N_("it has no members"), "deadline_passed": N_("its deadline has passed")}


@router.command("decide")
async def decide(ctx: Ctx, args: str) -> None:
    """`/decide <id> adopt <text>` or `/decide <id> reject <code> <text>`."""
    proposal_id = parse_id(args)
    words = args.split(maxsplit=2)[1:]
    if not words:
        raise Invalid("need_decision")
    decision, rest = words[0].lower(), words[1] if len(words) > 1 else ""
    code = None
    if decision == panels.REJECT:
        code, _, rest = rest.partition(" ")
    event = await panels.decide(ctx.session, ctx.actor, proposal_id, decision, rest, ctx.config.rules,
                                reason_code=code)
    if decision == panels.ADOPT:
        ctx.reply(ctx.t.tr("Decided: #{id} is adopted. Everyone who follows it is told.", id=proposal_id))
    else:
        ctx.reply(ctx.t.tr("Decided: #{id} is rejected ({reason}). Everyone who follows it is told.",
                           id=proposal_id, reason=reason_label(code or "other", ctx.t)))
    for panel, why in ((event.details or {}).get("quorum_waived") or {}).items():
        ctx.reply(ctx.t.tr("Recorded with the decision: the {panel} had too few evaluations, which did not hold "
                           "it up because {why}.", panel=ctx.t.tr_plain(PANEL_NAMES.get(panel, panel)),
                           why=ctx.t.tr_plain(WAIVED_BECAUSE.get(why, why))))


@router.command("progress")
async def progress(ctx: Ctx, args: str) -> None:
    """`/progress <id> implementing <text>` or `/progress <id> implemented <text>`."""
    proposal_id = parse_id(args)
    words = args.split(maxsplit=2)[1:]
    if not words:
        raise Invalid("unknown_progress", value="")
    stage, text = words[0].lower(), words[1] if len(words) > 1 else ""
    event = await panels.progress(ctx.session, ctx.actor, proposal_id, stage, text)
    if event.from_status == event.to_status:
        ctx.reply(ctx.t.tr("Progress note on #{id} recorded. Everyone who follows it is told.", id=proposal_id))
    else:
        ctx.reply(ctx.t.tr("Recorded: #{id} is now {status}. Everyone who follows it is told.", id=proposal_id,
                           status=status_label(Status(event.to_status), ctx.t)))
