"""The front desk: the welcome, the list of what Oasis can do, and leaving a step half done."""

from __future__ import annotations

from bots import flows
from bots.account.commands import LANGUAGE_NAMES
from bots.context import Ctx
from bots.i18n import N_, join
from bots.neutral import Button, Span
from bots.proposals.browse import show
from bots.router import Router
from core.statuses import Role

router = Router("welcome")

OASIS_NAME = N_("Oasis of 10 Million Imagination")


@router.command("start")
async def start(ctx: Ctx, args: str) -> None:
    if args.strip().startswith("p") and args.strip()[1:].isdigit():
        await show(ctx, args.strip()[1:])
        return
    buttons = (tuple(Button("account.language", code, name) for code, name in LANGUAGE_NAMES.items()),)
    ctx.reply(join(
        ctx.t.tr("Welcome to {oasis}!", oasis=Span(ctx.t.tr_plain(OASIS_NAME), "bold")),
        ctx.t.tr_plural("Propose a policy for the city, support others' proposals and follow what happens. "
                     "When a proposal gets {n} supporter, the responsible department must review it and "
                     "publish its reasons.",
                     "Propose a policy for the city, support others' proposals and follow what happens. "
                     "When a proposal gets {n} supporters, the responsible department must review it and "
                     "publish its reasons.", ctx.config.rules.vote_threshold),
        ctx.t.tr("Start with /propose, see proposals with /new or /top, or send /help."),
        ctx.t.tr("Choose your language:"),
    ), buttons)


@router.command("help")
async def help_(ctx: Ctx, _args: str) -> None:
    lines = [
        ctx.t.tr("What I can do:"),
        ctx.t.tr("/propose — write a new proposal"),
        ctx.t.tr("/new, /top, /list [category] — browse proposals"),
        ctx.t.tr("/show <id> — a proposal with its votes, status and the department's opinion"),
        ctx.t.tr("/vote <id>, /unvote <id> — support a proposal, or take your support back"),
        ctx.t.tr("/comment <id> <text> — join the discussion"),
        ctx.t.tr("/room [id] — the dialogue room: where a proposal is discussed, on every messenger"),
        ctx.t.tr("/delete — reply it to your own room message (or /delete m<id>) to delete it everywhere"),
        ctx.t.tr("/report <reason> — reply it to a room message that breaks the rules"),
        ctx.t.tr("/follow <id>, /unfollow <id> — news about a proposal"),
        ctx.t.tr("/mine — your proposals and what happens next"),
        ctx.t.tr("/mileage — your points and level (proposing, supporting and discussing earn them)"),
        ctx.t.tr("/calls — open themed calls; /subscribe calls|reports|all|<category> — announcements"),
        ctx.t.tr("/withdraw <id> — withdraw your open proposal"),
        ctx.t.tr("/lang ko|en|ja|zh — language"),
        ctx.t.tr("/link — use Oasis from another messenger as the same person"),
        ctx.t.tr("/notify via telegram|slack — where news about proposals reaches you"),
        ctx.t.tr("/cancel — leave the current step"),
    ]
    if ctx.actor.is_admin or ctx.actor.has(Role.OFFICIAL):
        lines.append(ctx.t.tr("For officials:"))
        lines.append(ctx.t.tr("/queue — proposals waiting for your department's opinion"))
        lines.append(ctx.t.tr("/review <id> — write the department opinion (guided), or in one line: "
                                "/review <id> forward <opinion> or /review <id> reject <code> <explanation>"))
        lines.append(ctx.t.tr("/route <id> <department> — send a proposal to another department"))
        lines.append(ctx.t.tr("/call new — open a themed call for your department"))
        lines.append(ctx.t.tr("/progress <id> implementing|implemented <text> — record implementation (a repeated "
                              "implementing is a progress note)"))
    if ctx.actor.has(Role.PANEL_INTERNAL) or ctx.actor.has(Role.PANEL_EXTERNAL):
        lines.append(ctx.t.tr("For the expert panel:"))
        lines.append(ctx.t.tr("/panel — proposals waiting for your evaluation"))
        lines.append(ctx.t.tr("/evaluate <id> — score a proposal (guided), or in one line: /evaluate <id> <necessity> "
                              "<effectiveness> <feasibility> <budget fit> [comment], each 1–5"))
    if ctx.actor.is_admin:
        lines.append(ctx.t.tr("For administrators:"))
        lines.append(ctx.t.tr("/decide <id> adopt <text> or /decide <id> reject <code> <text> — the final decision "
                              "once the panels have evaluated"))
    if ctx.actor.is_admin or ctx.actor.has(Role.MODERATOR):
        lines.append(ctx.t.tr("For moderators:"))
        lines.append(ctx.t.tr("/hide <reason> — reply it to a room message (or /hide m<id> <reason>) to hide it "
                              "everywhere; /unhide m<id> restores it; /hide <id> <reason> hides a proposal"))
    ctx.reply(join(*lines))


@router.command("cancel")
async def cancel(ctx: Ctx, _args: str) -> None:
    if await flows.leave(ctx):
        ctx.reply(ctx.t.tr("Cancelled. Nothing was submitted."))
    else:
        ctx.reply(ctx.t.tr("There is nothing to cancel."))
