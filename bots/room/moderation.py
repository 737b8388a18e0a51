"""Moderating the dialogue room: `/hide` and `/unhide` for moderators, `/report` for anyone, each as a
reply to the message in the room or with its number (m<id>) from anywhere. `/hide <id> <reason>` with a
proposal's number hides the proposal."""

from __future__ import annotations

from bots.context import Ctx
from bots.forms import refuse
from bots.neutral import Form, FormField
from bots.room.commands import parse_message_id
from bots.router import Router
from core import moderation, proposals, room
from core.citizens import require_moderator
from core.errors import Invalid, OasisError
from core.rules import REASON_MAX
from core.statuses import Status

router = Router("room moderation")

HIDE_FORM, REPORT_FORM = "room.hide", "room.report"


def reason_form(ctx: Ctx, name: str, message_id: int) -> Form:
    """Where a surface points at a message without words (a Slack message shortcut), the reason is asked
    in a form."""
    t = ctx.t
    if name == HIDE_FORM:
        title, submit, required = t.tr_plain("Hide m{id}", id=message_id), t.tr_plain("Hide"), True
    else:
        title, submit, required = t.tr_plain("Report m{id}", id=message_id), t.tr_plain("Report"), False
    return Form(name, title, submit, (
        FormField("reason", t.tr_plain("Reason"), "text", required=required, max_length=REASON_MAX,
                  hint=t.tr_plain("The author is told why; every act is recorded.") if required else None),
    ), state=str(message_id))


def moderators_only(ctx: Ctx) -> None:
    require_moderator(ctx.actor)


async def _target(ctx: Ctx, args: str) -> tuple[int | None, str]:
    """(the room message, the rest of the words): `m12 reason`, or `reason` as a reply in the room."""
    word, _, rest = args.strip().partition(" ")
    if word[:1] in ("m", "M") and word[1:].isdecimal():
        return parse_message_id(word), rest.strip()
    if ctx.inbound.reply_to is not None:
        found = await room.copy_of(ctx.session, ctx.inbound.platform, ctx.chat_id, ctx.inbound.reply_to)
        return found, args.strip()
    return None, args.strip()


@router.command("hide", guard=moderators_only)
async def hide(ctx: Ctx, args: str) -> None:
    message_id, reason = await _target(ctx, args)
    if message_id is None:
        word, _, rest = args.strip().partition(" ")
        if word.lstrip("#").isdecimal():
            await _hide_proposal(ctx, int(word.lstrip("#")), rest)
            return
        raise Invalid("need_room_message_to_hide")
    if not reason.strip() and ctx.inbound.forms:
        ctx.open_form(reason_form(ctx, HIDE_FORM, message_id))
        return
    await moderation.hide(ctx.session, ctx.actor, message_id, reason)
    ctx.say(ctx.t.tr("Hidden everywhere: m{id}. Its author is told why.", id=message_id))


@router.form(HIDE_FORM)
async def hide_form(ctx: Ctx, fields: dict[str, str]) -> None:
    try:
        require_moderator(ctx.actor)
        message_id = parse_message_id(getattr(ctx.inbound.payload, "state", ""))
        await moderation.hide(ctx.session, ctx.actor, message_id, fields.get("reason", ""))
    except OasisError as error:
        refuse(ctx, error, "reason")
        return
    ctx.say(ctx.t.tr("Hidden everywhere: m{id}. Its author is told why.", id=message_id))


async def _hide_proposal(ctx: Ctx, proposal_id: int, reason: str) -> None:
    proposal = await proposals.get_proposal(ctx.session, proposal_id, for_update=True)
    why = " ".join(reason.split())
    if not why:
        raise Invalid("reason_empty")
    await proposals.record_transition(ctx.session, proposal, Status.HIDDEN, actor_id=ctx.actor.citizen_id,
                                      reason_text=why)
    ctx.reply(ctx.t.tr("#{id} is hidden; its page says when and why.", id=proposal_id))


@router.command("unhide", guard=moderators_only)
async def unhide(ctx: Ctx, args: str) -> None:
    message_id, _ = await _target(ctx, args)
    if message_id is None:
        raise Invalid("need_room_message_to_hide")
    await moderation.unhide(ctx.session, ctx.actor, message_id)
    ctx.say(ctx.t.tr("Restored everywhere: m{id}.", id=message_id))


@router.button("room.hide")
async def hide_reported(ctx: Ctx, value: str) -> None:
    """From the notice moderators get when reports hid a message: keep it hidden, now by a moderator."""
    require_moderator(ctx.actor)
    message_id = parse_message_id(value)
    await moderation.hide(ctx.session, ctx.actor, message_id, ctx.t.tr_plain("reported, confirmed by a moderator"))
    ctx.say(ctx.t.tr("Hidden everywhere: m{id}. Its author is told why.", id=message_id))


@router.button("room.restore")
async def restore_reported(ctx: Ctx, value: str) -> None:
    require_moderator(ctx.actor)
    message_id = parse_message_id(value)
    await moderation.unhide(ctx.session, ctx.actor, message_id)
    ctx.say(ctx.t.tr("Restored everywhere: m{id}.", id=message_id))


@router.command("report")
async def report(ctx: Ctx, args: str) -> None:
    message_id, reason = await _target(ctx, args)
    if message_id is None:
        raise Invalid("need_room_message_to_report")
    if not reason.strip() and ctx.inbound.forms:
        ctx.open_form(reason_form(ctx, REPORT_FORM, message_id))
        return
    await moderation.report(ctx.session, ctx.actor, message_id, reason, ctx.config.rules)
    ctx.say(ctx.t.tr("Thank you: m{id} is reported to the moderators.", id=message_id))


@router.form(REPORT_FORM)
async def report_form(ctx: Ctx, fields: dict[str, str]) -> None:
    try:
        message_id = parse_message_id(getattr(ctx.inbound.payload, "state", ""))
        await moderation.report(ctx.session, ctx.actor, message_id, fields.get("reason", ""), ctx.config.rules)
    except OasisError as error:
        refuse(ctx, error, "reason")
        return
    ctx.say(ctx.t.tr("Thank you: m{id} is reported to the moderators.", id=message_id))
