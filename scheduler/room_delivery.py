"""The dialogue room's part of the outbox: open a thread's place on a surface before its first message
goes there, turn a stored room message into the copy a surface shows, and remember that copy.

Rows of one room chat are delivered in id order, one at a time (scheduler/dispatch.py), and a thread's
rows are written in its sequence order (core/room.py), so every surface shows a thread in that order.
"""

from __future__ import annotations

from bots.neutral import Message
from bots.ports import PermanentError, RoomSender, Sender
from bots.room.render import mirrored_text, topic_title
from core import room
from core.addresses import Address
from core.db import Sessions
from core.models import Proposal, RoomMessage, RoomThread

OPEN, POST = "room_open", "room_post"
KINDS = frozenset({OPEN, POST})


class RoomDelivery:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    async def message_for(self, kind: str, params: dict[str, object], address: Address,
                          sender: Sender) -> Message | None:
        """What to send for a room row, after opening its thread's place if need be; None: nothing
        (the place was all a `room_open` asked for, or the message is gone)."""
        thread_id = int(str(params.get("thread_id")))
        place = await self._place(thread_id, address, sender)
        if kind == OPEN:
            return None
        async with self.sessions() as session:
            message = await session.get(RoomMessage, int(str(params.get("message_id"))))
            if message is None or message.deleted_at is not None or message.hidden_at is not None:
                return None
            reply_to = (await room.copy_on(session, message.reply_to_id, address.platform, address.chat_id)
                        if message.reply_to_id is not None else None)
        return Message(chat_id=address.chat_id, text=mirrored_text(params), thread_id=place,
                       reply_to_message_id=reply_to)

    async def sent(self, params: dict[str, object], address: Address, message_id: str | None) -> None:
        async with self.sessions() as session, session.begin():
            await room.remember_copy(session, int(str(params.get("message_id"))), address.platform,
                                     address.chat_id, message_id)

    async def _place(self, thread_id: int, address: Address, sender: Sender) -> str | None:
        async with self.sessions() as session:
            thread = await session.get(RoomThread, thread_id)
            if thread is None or thread.proposal_id is None:  # the Lobby: the General topic, the top level
                return None
            known = await room.place_of(session, thread_id, address.platform, address.chat_id)
            if known is not None:
                return known.place_ref
            proposal = await session.get(Proposal, thread.proposal_id)
            title = topic_title(thread.proposal_id, proposal.title if proposal is not None else "")
        if not isinstance(sender, RoomSender):
            raise PermanentError(f"{address.platform} cannot hold the dialogue room")
        place = await sender.open_thread(address.chat_id, title)
        async with self.sessions() as session, session.begin():
            await room.remember_place(session, thread_id, address.platform, address.chat_id, place)
        return place

