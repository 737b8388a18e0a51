"""Moderation of the dialogue room: moderators hide and restore messages everywhere they were mirrored;
anyone reports one, and enough distinct reports hide it until a moderator decides. Every act is recorded."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.citizens import Actor, require_moderator
from core.clock import utcnow
from core.errors import InvalidState, NotFound
from core.events import RoomMessageModerated, publish
from core.models import ModerationAct, RoomMessage, RoomReport
from core.rules import REASON_MAX, Rules, checked_text
from core.upsert import insert_ignore

HIDE, UNHIDE, HIDDEN_BY_REPORTS = "hide", "unhide", "reports"


async def hide(session: AsyncSession, actor: Actor, message_id: int, reason: str) -> RoomMessage:
    require_moderator(actor)
    message = await _message(session, message_id)
    why = checked_text(reason, "reason", REASON_MAX)
    if message.hidden_at is not None and message.hidden_reason != HIDDEN_BY_REPORTS:
        raise InvalidState("already_hidden", id=message_id)
    message.hidden_at, message.hidden_reason = utcnow(), why
    session.add(ModerationAct(message_id=message.id, actor_id=actor.citizen_id, act=HIDE, reason=why,
                              created_at=message.hidden_at))
    await session.flush()
    await publish(session, RoomMessageModerated(message.id, hidden=True, reason=why, by=actor.citizen_id))
    return message


async def unhide(session: AsyncSession, actor: Actor, message_id: int) -> RoomMessage:
    require_moderator(actor)
    message = await _message(session, message_id)
    if message.hidden_at is None:
        raise InvalidState("not_hidden", id=message_id)
    message.hidden_at, message.hidden_reason = None, None
    session.add(ModerationAct(message_id=message.id, actor_id=actor.citizen_id, act=UNHIDE, reason="",
                              created_at=utcnow()))
    await session.flush()
    await publish(session, RoomMessageModerated(message.id, hidden=False, reason="", by=actor.citizen_id))
    return message


async def report(session: AsyncSession, actor: Actor, message_id: int, reason: str, rules: Rules) -> int:
    """Record one person's report; returns how many distinct people reported it. At the threshold the
    message is hidden everywhere, pending a moderator, who is told once."""
    message = await _message(session, message_id)
    if message.citizen_id == actor.citizen_id:
        raise InvalidState("report_own", id=message_id)
    why = " ".join(reason.split())[:REASON_MAX]
    if not await insert_ignore(session, RoomReport, message_id=message.id, citizen_id=actor.citizen_id,
                               reason=why, created_at=utcnow()):
        raise InvalidState("already_reported", id=message_id)
    count = int(await session.scalar(select(func.count()).where(RoomReport.message_id == message.id)) or 0)
    if count == rules.reports_to_hide and message.hidden_at is None:
        message.hidden_at, message.hidden_reason = utcnow(), HIDDEN_BY_REPORTS
        session.add(ModerationAct(message_id=message.id, actor_id=None, act=HIDDEN_BY_REPORTS, reason=why,
                                  created_at=message.hidden_at))
        await session.flush()
        await publish(session, RoomMessageModerated(message.id, hidden=True, reason=why, by_reports=True,
                                                    reports=count))
    return count


async def _message(session: AsyncSession, message_id: int) -> RoomMessage:
    message = await session.get(RoomMessage, message_id)
    if message is None or message.deleted_at is not None:
        raise NotFound("room_message_not_found", id=message_id)
    return message
