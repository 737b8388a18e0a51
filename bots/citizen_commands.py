"""What every citizen can do: look, propose, support, discuss, follow, choose a language."""

from __future__ import annotations

from collections.abc import Sequence

from bots import flows, forms
from bots.context import Ctx
from bots.errors import error_text
from bots.flows import propose as propose_flow
from bots.i18n import LANGUAGES, N_, Translator, join
from bots.names import category_names, department_name, resolve_category
from bots.neutral import Button, Span
from bots.render import PAGE_SIZE, card_buttons, card_text, detail_text, page_buttons
from bots.router import Router
from core import proposals, queries, votes
from core.citizens import set_language
from core.errors import Invalid, OasisError
from core.events import EnteredReview, Fact
from core.statuses import Role

router = Router("citizen")
# Buttons already in people's chats carry the names of before issue 8.
router.alias(page="list.page", show="proposal.show", vote="proposal.vote", unvote="proposal.unvote",
             follow="proposal.follow", unfollow="proposal.unfollow", lang="account.language")

OASIS_NAME = N_("Oasis of 10 Million Imagination")
LANGUAGE_NAMES = {"ko": "한국어", "en": "English", "ja": "日本語", "zh": "中文"}


def parse_id(text: str) -> int:
    """'12', '#12' or 'p12' → 12; a clear error for anything else."""
    token = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    digits = token.lstrip("#pP")
    if not digits.isdecimal() or len(digits) > 12:
        raise Invalid("need_id", given=token)
    return int(digits)


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
        ctx.t.tr("/follow <id>, /unfollow <id> — news about a proposal"),
        ctx.t.tr("/mine — your proposals and what happens next"),
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
    ctx.reply(join(*lines))


@router.command("propose")
async def propose(ctx: Ctx, args: str) -> None:
    if ctx.inbound.forms and not args.strip():
        ctx.open_form(await forms.propose_form(ctx))
        return
    await propose_flow.begin(ctx, args)


@router.command("cancel")
async def cancel(ctx: Ctx, _args: str) -> None:
    if await flows.leave(ctx):
        ctx.reply(ctx.t.tr("Cancelled. Nothing was submitted."))
    else:
        ctx.reply(ctx.t.tr("There is nothing to cancel."))


async def _send_page(ctx: Ctx, order: str, category: str, offset: int) -> None:
    cards, total = await queries.list_cards(ctx.session, order=order, category=category or None,
                                            offset=offset, limit=PAGE_SIZE)
    if not cards:
        ctx.reply(ctx.t.tr("No proposals here yet. Be the first: /propose"))
        return
    names = await category_names(ctx)
    threshold = ctx.config.rules.vote_threshold
    for card in cards:
        ctx.reply(card_text(card, ctx.t, threshold, names.get(card.category, card.category)),
                  card_buttons(card, ctx.t))
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
                          ctx.config.public_url), card_buttons(d.card, ctx.t))


@router.command("vote")
@router.button("proposal.vote")
async def vote(ctx: Ctx, args: str) -> None:
    _answer_vote(ctx, await votes.vote(ctx.session, ctx.actor, parse_id(args), ctx.config.rules))


@router.batch_button("proposal.vote")
async def vote_presses(presses: list[tuple[Ctx, str]]) -> None:
    """Many Support presses in one go: one multi-row insert instead of a transaction each."""
    asked: list[tuple[Ctx, int]] = []
    for ctx, value in presses:
        try:
            asked.append((ctx, parse_id(value)))
        except OasisError as error:
            ctx.say(error_text(error, ctx.t))
    session, rules = presses[0][0].session, presses[0][0].config.rules
    results = await votes.vote_many(session, [(ctx.actor, pid) for ctx, pid in asked], rules)
    for (ctx, _pid), result in zip(asked, results, strict=True):
        if isinstance(result, OasisError):
            ctx.say(error_text(result, ctx.t))
        else:
            _answer_vote(ctx, result)


def _answer_vote(ctx: Ctx, result: votes.VoteResult) -> None:
    pid = result.proposal_id
    if not result.changed:
        ctx.say(ctx.t.tr("You already support #{id}.", id=pid))
    elif not result.may_enter_review:
        _vote_counted(ctx, pid, result.needed)
    else:
        ctx.then.append(lambda caused: _answer_near_threshold(ctx, result, caused))


def _answer_near_threshold(ctx: Ctx, result: votes.VoteResult, caused: Sequence[Fact]) -> None:
    pid = result.proposal_id
    if any(isinstance(e, EnteredReview) and e.proposal_id == pid and e.sent_by == ctx.actor.citizen_id
           for e in caused):
        ctx.notice(ctx.t.tr_plain("Your support sent #{id} to review!", id=pid))
        ctx.reply(ctx.t.tr_plural(
            "Thank you! With your support #{id} reached {n} supporter and goes to the responsible "
            "department for review.",
            "Thank you! With your support #{id} reached {n} supporters and goes to the responsible "
            "department for review.", ctx.config.rules.vote_threshold, id=pid))
    else:
        _vote_counted(ctx, pid, result.needed)


def _vote_counted(ctx: Ctx, pid: int, needed: int) -> None:
    if needed > 0:
        more = ctx.t.tr_plural("{n} more supporter is needed for review.",
                            "{n} more supporters are needed for review.", needed)
    else:
        more = ctx.t.tr("It has enough supporters for review.")
    ctx.say(join(ctx.t.tr("You support #{id}.", id=pid), more, sep=" "))


@router.command("unvote")
@router.button("proposal.unvote")
async def unvote(ctx: Ctx, args: str) -> None:
    result = await votes.unvote(ctx.session, ctx.actor, parse_id(args), ctx.config.rules)
    if result.changed:
        ctx.say(ctx.t.tr("Your support for #{id} was withdrawn.", id=result.proposal_id))
    else:
        ctx.reply(ctx.t.tr("You were not supporting #{id}.", id=result.proposal_id))


@router.command("comment")
async def comment(ctx: Ctx, args: str) -> None:
    pid = parse_id(args)
    _, _, body = args.strip().partition(" ")
    await proposals.add_comment(ctx.session, ctx.actor, pid, body, platform=ctx.inbound.platform)
    ctx.reply(ctx.t.tr("Your comment on #{id} was added.", id=pid))


@router.command("follow")
@router.button("proposal.follow")
async def follow(ctx: Ctx, args: str) -> None:
    pid = parse_id(args)
    created = await proposals.follow(ctx.session, ctx.actor, pid)
    msg = N_("You will be told about every change to #{id}.") if created else N_("You already follow #{id}.")
    ctx.say(ctx.t.tr(msg, id=pid))


@router.command("unfollow")
@router.button("proposal.unfollow")
async def unfollow(ctx: Ctx, args: str) -> None:
    pid = parse_id(args)
    removed = await proposals.unfollow(ctx.session, ctx.actor, pid)
    msg = N_("You no longer follow #{id}.") if removed else N_("You were not following #{id}.")
    ctx.say(ctx.t.tr(msg, id=pid))


@router.command("withdraw")
async def withdraw(ctx: Ctx, args: str) -> None:
    proposal = await proposals.withdraw(ctx.session, ctx.actor, parse_id(args))
    ctx.reply(ctx.t.tr("#{id} was withdrawn.", id=proposal.id))


@router.command("mine")
async def mine(ctx: Ctx, _args: str) -> None:
    cards = await queries.my_cards(ctx.session, ctx.actor.citizen_id)
    if not cards:
        ctx.reply(ctx.t.tr("You have no proposals yet. Send /propose to write one."))
        return
    names = await category_names(ctx)
    threshold = ctx.config.rules.vote_threshold
    for card in cards:
        ctx.reply(card_text(card, ctx.t, threshold, names.get(card.category, card.category)),
                  card_buttons(card, ctx.t))


@router.command("lang")
@router.button("account.language")
async def lang(ctx: Ctx, args: str) -> None:
    code = args.strip().lower()
    if code not in LANGUAGES:
        buttons = (tuple(Button("account.language", c, name) for c, name in LANGUAGE_NAMES.items()),)
        ctx.reply(ctx.t.tr("Choose a language: /lang ko, /lang en, /lang ja or /lang zh."), buttons)
        return
    await set_language(ctx.session, ctx.actor.citizen_id, code)
    ctx.t = Translator(code, ctx.t.command_prefix)
    ctx.say(ctx.t.tr("Language set: {name}", name=LANGUAGE_NAMES[code]))
