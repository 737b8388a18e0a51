"""The dialogue room's part of the outbox: open a thread's place on a surface before its first message
goes there (and again if someone deleted it), send a stored room message as the copy a surface shows
(always its current text, so a queued post or edit never shows an older version), edit and delete
copies, close a decided proposal's thread, and remember each copy.

Rows of one room chat are delivered in id order, one at a time (scheduler/dispatch.py), and a thread's
rows are written in its sequence order (core/room.py), so every surface shows a thread in that order.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bots.i18n import Translator
from bots.neutral import Message
from bots.outbox_render import status_label
from bots.ports import CannotDelete, PermanentError, PlaceGone, RoomSender, Sender
from bots.room.render import mirrored, topic_title
from core import room
from core.addresses import Address
from core.citizens import Actor, load_actor
from core.db import Sessions
from core.models import Citizen, Proposal, RoomMessage, RoomThread
from core.outbox import ROOM_DELETE, ROOM_NOTICE, notify
from core.statuses import Role

OPEN, POST, EDIT, DELETE, CLOSE = "room_open", "room_post", "room_edit", ROOM_DELETE, "room_close"
NOTICE = ROOM_NOTICE
KINDS = frozenset({OPEN, POST, EDIT, DELETE, CLOSE, NOTICE})
DIGEST = "room_digest"  # to a person, not a room: counted when it goes out


class RoomDelivery:
    def __init__(self, sessions: Sessions, t: Translator) -> None:
        self.sessions = sessions
        self.t = t
        """The room's own notes (a thread closed) are in the service's default language."""

    async def deliver(self, kind: str, params: dict[str, object], address: Address, sender: Sender) -> str | None:
        """Do what a room row asks on one surface; returns the id of what was posted, if anything."""
        target = _room_sender(sender, address)
        if kind == OPEN:
            await self._place(int(str(params.get("thread_id"))), address, target)
            return None
        if kind == CLOSE:
            await self._close(int(str(params.get("thread_id"))), str(params.get("status") or ""), address, target)
            return None
        if kind == NOTICE:
            return await self._notice(params, address, target)
        message_id = int(str(params.get("message_id")))
        if kind == DELETE:
            await self._delete(message_id, params, address, target)
            return None
        async with self.sessions() as session:
            message = await session.get(RoomMessage, message_id)
            if message is None or message.deleted_at is not None or message.hidden_at is not None:
                return None  # gone before its copy went out: nothing to show
            author = await session.get(Citizen, message.citizen_id)
            actor = await load_actor(session, message.citizen_id)
            answered = (await session.get(RoomMessage, message.reply_to_id)
                        if message.reply_to_id is not None else None)
            reply_to = (await room.copy_on(session, answered.id, address.platform, address.chat_id)
                        if answered is not None else None)
            answered_by = await session.get(Citizen, answered.citizen_id) if answered is not None else None
            shown = [c.platform_message_id for c in await room.parts_on(session, message.id, address.platform,
                                                                        address.chat_id)
                     if not c.origin and c.platform_message_id]
        if kind == EDIT and not shown:
            return None  # not sent yet: it will go out with the new text
        quoting = None
        if answered is not None and not target.replies_natively and answered.hidden_at is None \
                and answered.deleted_at is None:
            quoting = (answered_by.display_name if answered_by is not None else "", answered.body)
        name, text = mirrored(author.display_name if author is not None else "", message.origin, message.body,
                              quoting=quoting, badge=self._badge(actor))
        kept: list[str] = list(shown)

        async def keep(ids: list[str]) -> None:
            kept[:] = ids
            async with self.sessions() as session, session.begin():
                await room.keep_parts(session, message_id, address.platform, address.chat_id, ids)

        place = await self._place(message.thread_id, address, target)
        copy = Message(chat_id=address.chat_id, text=text, thread_id=place, reply_to_message_id=reply_to,
                       author=name)
        try:
            await target.post_copy(copy, shown, keep)
        except PlaceGone:  # someone deleted the topic: open it anew and post there
            place = await self._place(message.thread_id, address, target, reopen=True)
            await target.post_copy(replace(copy, thread_id=place, reply_to_message_id=None), [], keep)
        return kept[-1] if kept else None

    def _badge(self, actor: Actor) -> str:
        if actor.is_admin or actor.has(Role.MODERATOR):
            return self.t.tr_plain("moderator")
        if actor.has(Role.OFFICIAL):
            return self.t.tr_plain("official")
        return ""

    async def _notice(self, params: dict[str, object], address: Address, sender: RoomSender) -> str | None:
        """The bot's short note in a thread, answering the message it is about (a flood notice to someone
        the bot may not write to privately)."""
        if params.get("notice") != "flood":
            raise PermanentError(f"unknown room notice {params.get('notice')!r}")
        text = self.t.tr("You are writing faster than the dialogue room allows: your next messages for a little "
                         "while are kept but not shown to others. Please slow down (and start a private chat "
                         "with me to be told such things privately).")
        place = await self._place(int(str(params.get("thread_id"))), address, sender)
        reply_to = str(params["reply_to"]) if params.get("reply_to") and sender.replies_natively else None
        return await sender.send(Message(chat_id=address.chat_id, text=text, thread_id=place,
                                         reply_to_message_id=reply_to))

    async def _delete(self, message_id: int, params: dict[str, object], address: Address,
                      sender: RoomSender) -> None:
        """Every part of a message's copy on one surface goes. Where the platform refuses, the bot's own
        copy is edited to a placeholder; a person's original stays, with a notice in its thread, and whoever
        asked (the moderator, the author) is told."""
        hide = bool(params.get("hide"))
        async with self.sessions() as session:
            message = await session.get(RoomMessage, message_id)
            parts = await room.parts_on(session, message_id, address.platform, address.chat_id)
        kept: set[str] = set()
        for part in parts:
            assert part.platform_message_id is not None  # parts_on gives only copies the platform holds
            try:
                await sender.delete(address.chat_id, part.platform_message_id)
            except CannotDelete:
                kept.add(part.platform_message_id)
                if not part.origin:
                    placeholder = (self.t.tr("[hidden by a moderator]") if hide
                                   else self.t.tr("[deleted by its author]"))
                    await sender.send(Message(chat_id=address.chat_id, text=placeholder,
                                              edit_message_id=part.platform_message_id))
        originals = [p.platform_message_id for p in parts if p.origin and p.platform_message_id in kept]
        async with self.sessions() as session, session.begin():
            await room.forget_copies(session, message_id, address.platform, address.chat_id, frozenset(originals))
            if originals and message is not None and isinstance(params.get("by"), int):
                await notify(session, [int(str(params["by"]))], f"room-kept:{message_id}:{address.platform}",
                             "room_original_kept", {"message_id": message_id, "platform": address.platform,
                                                    "hide": hide})
        if originals and hide and message is not None:
            place = await self._place(message.thread_id, address, sender)
            notice = self.t.tr("A moderator hid the message above (m{id}) everywhere else; the bot may not "
                               "delete it here. Please do not answer it.", id=message_id)
            await sender.send(Message(chat_id=address.chat_id, text=notice, thread_id=place,
                                      reply_to_message_id=originals[0] if sender.replies_natively else None))

    async def digest(self, params: dict[str, object], citizen_id: int | None) -> dict[str, object] | None:
        """A discussion digest's params with the count of what others said in its hour; None if nothing
        is left to tell (all of it hidden or deleted, or only the reader's own)."""
        try:
            since = datetime.fromisoformat(str(params["since"]))
            until = datetime.fromisoformat(str(params["until"]))
            proposal_id = int(str(params["id"]))
        except (KeyError, ValueError):
            return dict(params)  # a malformed row still says something (bots/outbox_render.py)
        async with self.sessions() as session:
            count = await room.said_between(session, proposal_id, since, until, not_by=citizen_id)
        return {**params, "count": count} if count else None

    async def _place(self, thread_id: int, address: Address, sender: RoomSender, *,
                     reopen: bool = False) -> str | None:
        async with self.sessions() as session:
            thread = await session.get(RoomThread, thread_id)
            if thread is None or thread.proposal_id is None:  # the Lobby: the General topic, the top level
                return None
            known = await room.place_of(session, thread_id, address.platform, address.chat_id)
            if known is not None and not reopen:
                return known.place_ref
            proposal = await session.get(Proposal, thread.proposal_id)
            title = topic_title(thread.proposal_id, proposal.title if proposal is not None else "")
        place = await sender.open_thread(address.chat_id, title)
        async with self.sessions() as session, session.begin():
            await room.remember_place(session, thread_id, address.platform, address.chat_id, place)
        return place

    async def _close(self, thread_id: int, status: str, address: Address, sender: RoomSender) -> None:
        async with self.sessions() as session:
            thread = await session.get(RoomThread, thread_id)
            known = await room.place_of(session, thread_id, address.platform, address.chat_id)
        if thread is None or thread.proposal_id is None or known is None or known.place_ref is None:
            return  # never opened here: nothing to close
        note = self.t.tr("This discussion is closed: #{id} is {status}. Thank you for taking part.",
                         id=thread.proposal_id, status=status_label(status, self.t))
        try:
            await sender.send(Message(chat_id=address.chat_id, text=note, thread_id=known.place_ref))
        except PlaceGone:
            return  # the topic is gone already: nothing left to close
        await sender.close_thread(address.chat_id, known.place_ref)


def _room_sender(sender: Sender, address: Address) -> RoomSender:
    if not isinstance(sender, RoomSender):
        raise PermanentError(f"{address.platform} cannot hold the dialogue room")
    return sender
