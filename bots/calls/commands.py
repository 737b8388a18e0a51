"""/calls (open themed calls, each with a button to propose to it), /subscribe and /unsubscribe."""

from __future__ import annotations

from bots.context import Ctx
from bots.i18n import join
from bots.names import department_name
from bots.neutral import Button, Span
from bots.router import Router
from bots.time import local_day
from core import calls, subscriptions
from core.errors import Invalid

router = Router("calls commands")


@router.command("calls")
async def open_calls(ctx: Ctx, _args: str) -> None:
    found = await calls.open_calls(ctx.session)
    if not found:
        ctx.reply(ctx.t.tr("No themed call is open now. Send /subscribe calls to hear of the next one."))
        return
    for call in found:
        department = await department_name(ctx, call.department_code)
        lines = [ctx.t.tr("Themed call: {title}", title=Span(call.title, "bold")),
                 ctx.t.tr("By {department}, open until {date}.", department=department,
                          date=local_day(call.closes_at, ctx.t.timezone))]
        if call.description:
            lines.append((Span(call.description),))
        ctx.reply(join(*lines), ((Button("propose.call", str(call.id), ctx.t.tr_plain("✍ Propose to this call")),),))


@router.command("subscribe")
async def subscribe(ctx: Ctx, args: str) -> None:
    if not args.strip():
        await _explain(ctx)
        return
    topic, new = await subscriptions.subscribe(ctx.session, ctx.actor, args.split()[0])
    if new:
        ctx.reply(ctx.t.tr("Subscribed to {topic}. /unsubscribe {topic} stops it.", topic=topic))
    else:
        ctx.reply(ctx.t.tr("You are subscribed to {topic} already.", topic=topic))


@router.command("unsubscribe")
async def unsubscribe(ctx: Ctx, args: str) -> None:
    if not args.strip():
        raise Invalid("need_topic", topics=", ".join(await subscriptions.topics(ctx.session)))
    topic, removed = await subscriptions.unsubscribe(ctx.session, ctx.actor, args.split()[0])
    if removed:
        ctx.reply(ctx.t.tr("Unsubscribed from {topic}.", topic=topic))
    else:
        ctx.reply(ctx.t.tr("You were not subscribed to {topic}.", topic=topic))


async def _explain(ctx: Ctx) -> None:
    mine = await subscriptions.mine(ctx.session, ctx.actor)
    ctx.reply(join(
        ctx.t.tr("Send /subscribe <topic>: a category (new proposals in it), calls (themed calls), reports "
                 "(monthly reports) or all. Topics: {topics}.",
                 topics=", ".join(await subscriptions.topics(ctx.session))),
        ctx.t.tr("Your subscriptions: {topics}", topics=", ".join(mine)) if mine
        else ctx.t.tr("You have no subscriptions yet."),
    ))
