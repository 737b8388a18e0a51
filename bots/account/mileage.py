"""/mileage: a person's points balance, level and recent entries (core/mileage.py)."""

from __future__ import annotations

from bots.context import Ctx
from bots.i18n import N_, join
from bots.neutral import RichText, Span
from bots.router import Router
from bots.time import local_day
from core import mileage

router = Router("mileage")

LEVEL_NAMES = {"sprout": N_("🌱 Sprout"), "citizen": N_("🏠 Citizen"), "devoted": N_("🔥 Devoted"),
               "oasis": N_("🌴 Oasis")}
REASONS = {
    "proposal": N_("proposal #{id} submitted"),
    "proposal_reversed": N_("proposal #{id} withdrawn or hidden"),
    "vote": N_("supported #{id}"),
    "unvote": N_("support for #{id} taken back"),
    "comment": N_("comment on #{id}"),
    "review": N_("#{id} reached review"),
    "adopted": N_("#{id} adopted"),
    "implemented": N_("#{id} implemented"),
}


@router.command("mileage")
async def show(ctx: Ctx, _args: str) -> None:
    balance = await mileage.balance(ctx.session, ctx.actor.citizen_id)
    level, next_at = mileage.level(balance)
    lines: list[RichText] = [
        ctx.t.tr("Your mileage: {points} points", points=Span(str(balance), "bold")),
        ctx.t.tr("Level: {level}", level=ctx.t.tr_plain(LEVEL_NAMES[level])),
    ]
    if next_at is not None:
        lines.append(ctx.t.tr("{n} more points to the next level.", n=next_at - balance))
    entries = await mileage.recent(ctx.session, ctx.actor.citizen_id)
    if entries:
        lines.append(ctx.t.tr("Recent:"))
    for entry in entries:
        what = REASONS.get(entry.reason)
        said = ctx.t.tr_plain(what, id=entry.proposal_id) if what else entry.reason
        lines.append((Span(f"{local_day(entry.created_at, ctx.t.timezone)} {entry.points:+d} · {said}"),))
    if not entries:
        lines.append(ctx.t.tr("Points come from proposing, supporting and discussing: /help shows how."))
    ctx.reply(join(*lines))
