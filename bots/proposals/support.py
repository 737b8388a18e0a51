"""Taking part in a proposal: support it, take support back, follow it, withdraw one's own."""

from __future__ import annotations

from collections.abc import Sequence

from bots.context import Ctx
from bots.errors import error_text
from bots.i18n import N_, join
from bots.ids import parse_id
from bots.router import Router
from bots.time import local_day
from core import proposals, votes
from core.errors import OasisError
from core.events import EnteredReview, Fact

router = Router("support")
# Buttons already in people's chats carry the names of before issue 8.
router.alias(vote="proposal.vote", unvote="proposal.unvote", follow="proposal.follow", unfollow="proposal.unfollow")


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
    elif result.call_closes is not None:
        ctx.say(join(ctx.t.tr("You support #{id}.", id=pid), ctx.t.tr(
            "It is part of a themed call that closes on {date}: then it goes to review with all the others.",
            date=local_day(result.call_closes, ctx.t.timezone)), sep=" "))
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
