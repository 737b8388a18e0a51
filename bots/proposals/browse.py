"""Looking at proposals: the lists, one proposal in full, and one's own."""

from __future__ import annotations

from collections.abc import Sequence

from bots.context import Ctx
from bots.ids import parse_id
from bots.names import category_names, department_name, resolve_category
from bots.render import PAGE_SIZE, card_buttons, card_text, detail_text, page_buttons
from bots.router import Router
from core import queries
from core.clock import utcnow
from core.errors import Invalid
from core.queries import Card

router = Router("browse")
# Buttons already in people's chats carry the names of before issue 8.
router.alias(page="list.page", show="proposal.show")


async def _send_page(ctx: Ctx, order: str, category: str, offset: int) -> None:
    cards, total = await queries.list_cards(ctx.session, order=order, category=category or None,
                                            offset=offset, limit=PAGE_SIZE)
    if not cards:
        ctx.reply(ctx.t.tr("No proposals here yet. Be the first: /propose"))
        return
    await _send_cards(ctx, cards)
    pages = page_buttons(order, category, offset, total, ctx.t)
    last = offset // PAGE_SIZE + 1
    ctx.reply(ctx.t.tr("Page {page} of {pages}", page=last, pages=(total + PAGE_SIZE - 1) // PAGE_SIZE),
              (pages,) if pages else ())


@router.command("new")
async def new(ctx: Ctx, _args: str) -> None:
    await _send_page(ctx, "new", "", 0)


@router.command("top")
async def top(ctx: Ctx, _args: str) -> None:
    await _send_page(ctx, "top", "", 0)


@router.command("list")
async def list_(ctx: Ctx, args: str) -> None:
    category = ""
    if args.strip():
        found = await resolve_category(ctx, args)
        if found is None:
            raise Invalid("unknown_category", category=args.strip())
        category = found
    await _send_page(ctx, "list", category, 0)


@router.button("list.page")
async def page(ctx: Ctx, value: str) -> None:
    order, _, rest = value.partition(":")
    category, _, offset = rest.partition(":")
    await _send_page(ctx, order if order in ("new", "top", "list") else "new", category,
                     int(offset) if offset.isdigit() else 0)


@router.command("show")
@router.button("proposal.show")
async def show(ctx: Ctx, args: str) -> None:
    d = await queries.detail(ctx.session, parse_id(args))
    names = await category_names(ctx)
    dep = await department_name(ctx, d.card.department)
    ctx.reply(detail_text(d, ctx.t, ctx.config.rules.vote_threshold, names.get(d.card.category, ""), dep,
                          ctx.config.public_url, timezone=ctx.config.timezone, now=utcnow()),
              card_buttons(d.card, ctx.t))


@router.command("mine")
async def mine(ctx: Ctx, _args: str) -> None:
    cards = await queries.my_cards(ctx.session, ctx.actor.citizen_id)
    if not cards:
        ctx.reply(ctx.t.tr("You have no proposals yet. Send /propose to write one."))
        return
    await _send_cards(ctx, cards)


async def _send_cards(ctx: Ctx, cards: Sequence[Card]) -> None:
    names = await category_names(ctx)
    threshold = ctx.config.rules.vote_threshold
    for card in cards:
        ctx.reply(card_text(card, ctx.t, threshold, names.get(card.category, card.category)),
                  card_buttons(card, ctx.t))
