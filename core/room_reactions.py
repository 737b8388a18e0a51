"""The dialogue room's reactions (core/reactions.py lists them with the rest): a discussion opened on each
surface, every message mirrored, changed, moderated or deleted everywhere, flood and moderation notices,
the hourly digest for followers, and a decided proposal's discussion closed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.citizens import has_direct_chat, moderators
from core.clock import utcnow
from core.events import (
    DiscussionOpened,
    EnteredReview,
    RoomMessageChanged,
    RoomMessageModerated,
    RoomMessagePosted,
    StatusChanged,
)
from core.models import Proposal, RoomCopy, RoomMessage
from core.outbox import ROOM_DELETE, ROOM_NOTICE, notify, notify_channel, notify_followers
from core.room import close, copies, destinations, discussion, places
from core.statuses import Status

DISCUSSION_ENDS = frozenset({Status.ADOPTED, Status.REJECTED, Status.WITHDRAWN, Status.CLOSED, Status.HIDDEN})


async def close_discussion(session: AsyncSession, event: StatusChanged) -> None:
    """A decided or withdrawn proposal's topic is closed, with a closing note in each room's thread."""
    if event.to_status not in DISCUSSION_ENDS:
        return
    thread = await close(session, event.proposal_id)
    if thread is None:
        return
    for place in await places(session, thread.id):
        await notify_channel(session, place.platform, place.chat_id, f"room-close:{thread.id}", "room_close",
                             {"thread_id": thread.id, "proposal_id": event.proposal_id, "status": event.to_status})


async def open_discussion(session: AsyncSession, event: EnteredReview) -> None:
    """A proposal under review is talked about: its discussion opens in the room if it has not yet."""
    await discussion(session, event.proposal_id)


async def open_places(session: AsyncSession, event: DiscussionOpened) -> None:
    """Each room surface opens the thread's topic (Telegram) or root message (Slack), in the outbox's
    order: before any message of the thread goes there."""
    params = {"thread_id": event.thread_id, "proposal_id": event.proposal_id, "title": event.title}
    for room in await destinations(session):
        await notify_channel(session, room.platform, room.chat_id, f"room-open:{event.thread_id}", "room_open",
                             params)


async def mirror_message(session: AsyncSession, event: RoomMessagePosted) -> None:
    """One copy on every room surface but the one it was written in, each delivered by the outbox."""
    if not event.held:
        await _post_copies(session, event.message_id, skip=event.written_in)


async def tell_flooded(session: AsyncSession, event: RoomMessagePosted) -> None:
    """Over the flood limit: the person is told once (not at every held message) to slow down; privately,
    or, for someone who never wrote to the bot privately (a Telegram bot may not write first), in a short
    reply in the thread where they wrote."""
    if not (event.held and event.first_held):
        return
    if event.written_in is not None and not await has_direct_chat(session, event.citizen_id):
        platform, chat_id = event.written_in
        origin = next((c for c in await copies(session, event.message_id) if c.origin), None)
        message = await session.get(RoomMessage, event.message_id)
        await notify_channel(session, platform, chat_id, f"room-flood:{event.message_id}", ROOM_NOTICE,
                             {"message_id": event.message_id, "notice": "flood",
                              "thread_id": message.thread_id if message is not None else None,
                              "reply_to": origin.platform_message_id if origin is not None else None})
        return
    await notify(session, [event.citizen_id], f"room-flood:{event.message_id}", "room_flood",
                 {"message_id": event.message_id})


async def _post_copies(session: AsyncSession, message_id: int, *, skip: tuple[str, str] | None) -> None:
    """A copy on every room surface that holds none yet (a restored message keeps a person's original that
    the bot could not delete, and gets a copy everywhere else)."""
    message = await session.get(RoomMessage, message_id)
    if message is None:
        raise LookupError(f"room message {message_id} vanished within its own transaction")
    params = {"message_id": message.id, "thread_id": message.thread_id, "seq": message.seq}
    rows = await copies(session, message.id)
    known = {(c.platform, c.chat_id) for c in rows}
    shown = {(c.platform, c.chat_id) for c in rows if c.platform_message_id}
    for room in await destinations(session):
        if (room.platform, room.chat_id) == skip or (room.platform, room.chat_id) in shown:
            continue
        if (room.platform, room.chat_id) not in known:
            session.add(RoomCopy(message_id=message.id, platform=room.platform, chat_id=room.chat_id, part=0,
                                 platform_message_id=None, origin=False, created_at=message.created_at))
        await notify_channel(session, room.platform, room.chat_id, f"room:{message.id}", "room_post",
                             params)


async def mirror_moderation(session: AsyncSession, event: RoomMessageModerated) -> None:
    """Hidden: every copy goes, the person's own too where the platform lets the bot. Restored: it is
    posted again on every room surface."""
    if not event.hidden:
        await _post_copies(session, event.message_id, skip=None)
        return
    await _delete_copies(session, event.message_id, skip=None, by=event.by, hide=True)


async def _delete_copies(session: AsyncSession, message_id: int, *, skip: tuple[str, str] | None,
                         by: int | None, hide: bool) -> None:
    """One delete per surface holding a copy (all its parts go together), before any queued send."""
    for copy in await copies(session, message_id):
        if copy.part != 0 or (copy.platform, copy.chat_id) == skip:
            continue
        await notify_channel(session, copy.platform, copy.chat_id, f"room_delete:{copy.id}",
                             ROOM_DELETE, {"message_id": message_id, "copy_id": copy.id, "by": by,
                                             "hide": hide})


async def tell_moderated(session: AsyncSession, event: RoomMessageModerated) -> None:
    """The author learns why; reports that hid a message reach the moderators once, with the buttons."""
    message = await session.get(RoomMessage, event.message_id)
    if message is None or not event.hidden:
        return
    params = {"message_id": message.id, "reason": event.reason, "by_reports": event.by_reports,
              "reports": event.reports, "excerpt": message.body[:200]}
    await notify(session, [message.citizen_id], f"room-hidden:{message.id}:{utcnow().timestamp()}", "room_hidden",
                 params)
    if event.by_reports:
        await notify(session, await moderators(session), f"room-reported:{message.id}", "room_reported", params)


async def mirror_change(session: AsyncSession, event: RoomMessageChanged) -> None:
    """Every copy the bot made shows the new text, or goes; the person's own copy too when they deleted
    it elsewhere (with /delete), where the platform lets the bot."""
    message = await session.get(RoomMessage, event.message_id)
    if event.deleted:
        await _delete_copies(session, event.message_id, skip=event.written_in,
                             by=message.citizen_id if message is not None else None, hide=False)
        return
    for copy in await copies(session, event.message_id):
        if copy.part != 0 or (copy.platform, copy.chat_id) == event.written_in or copy.origin:
            continue
        await notify_channel(session, copy.platform, copy.chat_id, f"room_edit:{copy.id}", "room_edit",
                             {"message_id": event.message_id, "copy_id": copy.id})


DIGEST_PERIOD = timedelta(hours=1)


async def tell_followers_of_discussion(session: AsyncSession, event: RoomMessagePosted) -> None:
    """The author and followers hear of a proposal's discussion at most once an hour each: one notice at
    the end of the hour, counting what was said in it ("3 new messages in the discussion of #12")."""
    if event.proposal_id is None or event.held:
        return
    proposal = await session.get(Proposal, event.proposal_id)
    if proposal is None:
        raise LookupError(f"proposal {event.proposal_id} vanished within its own transaction")
    now = utcnow()
    since = now.replace(minute=0, second=0, microsecond=0)
    params = {"id": proposal.id, "title": proposal.title, "since": since.isoformat(timespec="minutes"),
              "until": (since + DIGEST_PERIOD).isoformat(timespec="minutes")}
    await notify_followers(session, proposal.id, f"room-digest:{proposal.id}:{params['since']}", "room_digest",
                           params, exclude=(event.citizen_id,), due_at=since + DIGEST_PERIOD)
