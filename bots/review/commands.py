"""What officials and admins do in the chat: see their queue and publish the department opinion."""

from __future__ import annotations

from bots.context import Ctx
from bots.i18n import join
from bots.ids import parse_id
from bots.names import category_names, department_name
from bots.neutral import Button, Span
from bots.render import card_text
from bots.review import opinion_flow
from bots.review.opinion_form import review_form
from bots.review.publishing import publish
from bots.router import Router
from bots.time import local_day
from core import queries, reviews, routing
from core.citizens import require_staff
from core.clock import utcnow
from core.errors import Invalid

router = Router("review commands")
# Buttons already in people's chats carry the names of before issue 8.
router.alias(review="review.open")


def staff_only(ctx: Ctx) -> None:
    require_staff(ctx.actor)


@router.command("queue", guard=staff_only)
async def queue(ctx: Ctx, _args: str) -> None:
    cards = await queries.review_queue(ctx.session, ctx.actor)
    if not cards:
        ctx.reply(ctx.t.tr("No proposals are waiting for your department's opinion."))
        return
    names = await category_names(ctx)
    threshold = ctx.config.rules.vote_threshold
    now = utcnow()
    for card in cards:
        due = local_day(card.review_deadline, ctx.t.timezone)
        when = (ctx.t.tr("Overdue since {date}", date=Span(due, "bold"))
                if card.review_deadline is not None and card.review_deadline < now
                else ctx.t.tr("Opinion due by {date}", date=due))
        ctx.reply(join(card_text(card, ctx.t, threshold, names.get(card.category, card.category)), when),
                  ((Button("review.open", str(card.id), ctx.t.tr_plain("✍ Write opinion")),),))


@router.button("review.open")
async def review_button(ctx: Ctx, value: str) -> None:
    if ctx.inbound.forms:
        ctx.open_form(await review_form(ctx, parse_id(value)))
        return
    await opinion_flow.begin(ctx, parse_id(value))


@router.command("review", guard=staff_only)
async def review(ctx: Ctx, args: str) -> None:
    """`/review <id>` (guided), `/review <id> forward <opinion>`, `/review <id> reject <code> <explanation>`."""
    proposal_id = parse_id(args)
    rest = args.strip().split(maxsplit=1)[1] if len(args.strip().split(maxsplit=1)) > 1 else ""
    if not rest:
        if ctx.inbound.forms:
            ctx.open_form(await review_form(ctx, proposal_id))
        else:
            await opinion_flow.begin(ctx, proposal_id)
        return
    choice, _, tail = rest.partition(" ")
    choice = choice.lower()
    if choice == "forward":
        opinion = reviews.Opinion(recommendation="forward", explanation=tail.strip())
    elif choice == "reject":
        code, _, explanation = tail.strip().partition(" ")
        opinion = reviews.Opinion(recommendation="reject", reason_code=code, explanation=explanation)
    else:
        raise Invalid("unknown_recommendation", value=choice)
    await publish(ctx, proposal_id, opinion)


@router.command("route", guard=staff_only)
async def route(ctx: Ctx, args: str) -> None:
    """`/route <id> <department>`: the department's officials (or an admin) send it elsewhere."""
    proposal_id = parse_id(args)
    words = args.split()
    if len(words) < 2:
        raise Invalid("need_department")
    event = await routing.reroute(ctx.session, ctx.actor, proposal_id, words[1], ctx.config.rules)
    target = str(((event.details or {}).get("routed") or {}).get("to") or words[1])
    ctx.reply(ctx.t.tr("Sent #{id} to {department}. Its officials are told, and so is everyone who follows it.",
                       id=proposal_id, department=await department_name(ctx, target)))
