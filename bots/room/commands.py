"""Talking in the dialogue room: `/comment <id> <text>` from anywhere, `/room [id]`, and messages written
in the room's topics and threads, each stored once and mirrored to every other surface."""

from __future__ import annotations

from bots.context import Ctx
from bots.i18n import join
from bots.ids import parse_id
from bots.neutral import Span
from bots.platforms import PLATFORMS
from bots.router import Router
from core import room
from core.errors import Invalid
from core.models import RoomThread

router = Router("room commands")


@router.command("comment")
async def comment(ctx: Ctx, args: str) -> None:
    pid = parse_id(args)
    _, _, body = args.strip().partition(" ")
    posted = await room.comment(ctx.session, ctx.actor, pid, body, platform=ctx.inbound.platform,
                                flood=ctx.config.rules.room_flood)
    if posted.hidden_reason == room.FLOODED:
        ctx.reply(ctx.t.tr("You are writing faster than the room allows: your comment on #{id} is kept but not "
                           "shown to others. Please wait a little.", id=pid))
        return
    ctx.reply(ctx.t.tr("Your comment on #{id} was added.", id=pid))


@router.command("room")
async def room_(ctx: Ctx, args: str) -> None:
    """How to join the room, and where a proposal's discussion is on each surface."""
    rooms = await room.destinations(ctx.session)
    thread: RoomThread | None = None
    if args.strip():
        thread = await room.discussion(ctx.session, parse_id(args))
    if not rooms:
        ctx.reply(ctx.t.tr("The dialogue room is not open on any messenger yet. You can still join a "
                           "proposal's discussion from here: /comment <id> <text>."))
        return
    lines = [ctx.t.tr("The dialogue room: one discussion per proposal, the same on every messenger.")]
    for place in rooms:
        platform = PLATFORMS.get(place.platform)
        label = platform.label if platform is not None else place.platform
        where = None
        if thread is not None:
            found = await room.place_of(ctx.session, thread.id, place.platform, place.chat_id)
            if found is not None and platform is not None and platform.place_link is not None:
                where = platform.place_link(place.chat_id, found.place_ref)
        if thread is None:
            lines.append(ctx.t.tr("{platform}: the room's Lobby, and a topic for each proposal.",
                                  platform=Span(label, "bold")))
        elif where is not None:
            lines.append(ctx.t.tr("{platform}: {link}", platform=Span(label, "bold"), link=Span(where, "link")))
        else:
            lines.append(ctx.t.tr("{platform}: the topic is being opened; look for “#{id}” in the room.",
                                  platform=Span(label, "bold"), id=thread.proposal_id))
    lines.append(ctx.t.tr("From a private chat: /comment <id> <text>. What you write appears everywhere, "
                          "with your name and messenger."))
    ctx.reply(join(*lines))


@router.in_group("text")
async def said_in_room(ctx: Ctx, text: str) -> None:
    """A message written in a room's topic or thread (or its Lobby); other group chats are not ours."""
    inbound = ctx.inbound
    if inbound.message_id is None:
        return
    thread = await room.thread_at(ctx.session, inbound.platform, ctx.chat_id, inbound.where.thread_id)
    if thread is None:
        return
    await room.post(ctx.session, ctx.actor, thread, text, platform=inbound.platform,
                    written=room.Written(inbound.platform, ctx.chat_id, inbound.message_id, inbound.reply_to),
                    flood=ctx.config.rules.room_flood)


@router.in_group("edit")
async def edited_in_room(ctx: Ctx, text: str) -> None:
    """The author changed their room message where they wrote it: every copy shows the new text."""
    if ctx.inbound.message_id is not None:
        await room.edit(ctx.session, ctx.actor, ctx.inbound.platform, ctx.chat_id, ctx.inbound.message_id, text)


@router.in_group("delete")
async def deleted_in_room(ctx: Ctx, _text: str) -> None:
    """The author deleted their room message where they wrote it (Slack tells us): every copy goes."""
    inbound = ctx.inbound
    if inbound.message_id is None:
        return
    message_id = await room.copy_of(ctx.session, inbound.platform, ctx.chat_id, inbound.message_id)
    if message_id is not None:
        await room.delete(ctx.session, ctx.actor, message_id, written_in=(inbound.platform, ctx.chat_id))


@router.command("delete")
async def delete(ctx: Ctx, args: str) -> None:
    """Reply /delete to one's own message in the room (Telegram never tells bots of deletions), or
    /delete m<id> from anywhere: every copy goes."""
    inbound = ctx.inbound
    message_id: int | None = None
    if args.strip():
        message_id = parse_message_id(args)
    elif inbound.reply_to is not None:
        message_id = await room.copy_of(ctx.session, inbound.platform, ctx.chat_id, inbound.reply_to)
    if message_id is None:
        raise Invalid("need_room_message")
    await room.delete(ctx.session, ctx.actor, message_id)
    ctx.reply(ctx.t.tr("Deleted everywhere: m{id}.", id=message_id))


def parse_message_id(text: str) -> int:
    """'m12' or '12' → 12: a room message's number, as /room and moderators' notices show it."""
    token = text.strip().split(maxsplit=1)[0]
    digits = token[1:] if token[:1] in ("m", "M") else token
    if not digits.isdecimal() or len(digits) > 12:
        raise Invalid("need_room_message")
    return int(digits)
