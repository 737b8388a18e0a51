"""What follows each domain event: the one table to read to know what a change sets in motion.

Reactions run inside the transaction that made the change, so a notice or a card is stored with the change
it announces, or not at all. Follow-ups run after the commit, each in a short transaction of its own:
the threshold check after a vote is one, so a vote never waits on a lock of the proposal row. Mileage,
subscriptions, panel requests and room mirrors hang off these events too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import mileage, panels
from core.citizens import has_direct_chat, moderators, officials_of
from core.clock import utcnow
from core.db import Sessions, is_database_failure
from core.directory import department_names, get_department
from core.events import (
    AccountsMerged,
    DiscussionOpened,
    EnteredReview,
    Fact,
    ProposalSubmitted,
    Reviewed,
    RoomMessageChanged,
    RoomMessageModerated,
    RoomMessagePosted,
    Routed,
    StatusChanged,
    Supported,
    take,
)
from core.models import DepartmentReview, Proposal, RoomCopy, RoomMessage
from core.outbox import ROOM_DELETE, ROOM_NOTICE, notify, notify_channel, notify_followers
from core.room import close, copies, destinations, discussion, places
from core.rules import Rules
from core.statuses import Status
from core.subscriptions import subscribers
from core.votes import start_review_if_due

log = logging.getLogger(__name__)

Reaction = Callable[[AsyncSession, Any], Awaitable[None]]
FollowUpStep = Callable[[AsyncSession, Any, Rules], Awaitable[None]]


@dataclass(frozen=True)
class FollowUp:
    step: FollowUpStep
    only_if: Callable[[Any], bool] = lambda _event: True
    """Most events need no follow-up: skip them without opening a transaction."""


def card_ref(proposal_id: int) -> str:
    """The department card of a proposal, edited in place as its review goes on."""
    return f"department-card:{proposal_id}"


async def tell_followers(session: AsyncSession, event: StatusChanged) -> None:
    params: dict[str, object] = {"id": event.proposal_id, "title": event.title, "from": event.from_status,
                                 "to": event.to_status, "reason_code": event.reason_code,
                                 "reason_text": event.reason_text, **event.findings}
    await notify_followers(session, event.proposal_id, f"status:{event.status_event_id}", "status_changed",
                           params, event.not_told)


async def ask_panels(session: AsyncSession, event: StatusChanged) -> None:
    """Every member of both expert panels is asked to evaluate a forwarded proposal, by its deadline."""
    if event.to_status != Status.PANEL_REVIEW or event.from_status == event.to_status:
        return
    proposal = await _proposal(session, event.proposal_id)
    deadline = proposal.panel_deadline.isoformat(timespec="minutes") if proposal.panel_deadline else None
    await notify(session, await panels.members(session), f"panel:{proposal.id}", "panel_request",
                 {"id": proposal.id, "title": proposal.title, "deadline": deadline})


async def _card_params(session: AsyncSession, proposal: Proposal) -> dict[str, Any]:
    return {"id": proposal.id, "title": proposal.title, "department": proposal.department_code,
            "department_names": await department_names(session, proposal.department_code)}


async def ask_department(session: AsyncSession, event: EnteredReview) -> None:
    """Every official of the department learns that #id waits for their opinion, and by when."""
    proposal = await _proposal(session, event.proposal_id)
    params = {**await _card_params(session, proposal), "deadline": event.deadline.isoformat(timespec="minutes")}
    await notify(session, await officials_of(session, proposal.department_code), f"queue:{proposal.id}",
                 "review_queued", params)


async def post_department_card(session: AsyncSession, event: EnteredReview) -> None:
    """A card in the department's own channel, where one of them can take it up."""
    await _post_card(session, await _proposal(session, event.proposal_id), event.deadline, f"card:{event.proposal_id}")


async def _post_card(session: AsyncSession, proposal: Proposal, deadline: datetime, key: str) -> None:
    department = await get_department(session, proposal.department_code)
    if department.channel_platform and department.channel_id:
        params = {**await _card_params(session, proposal), "deadline": deadline.isoformat(timespec="minutes"),
                  "description": proposal.description[:500]}
        await notify_channel(session, department.channel_platform, department.channel_id, key, "department_card",
                             params, message_ref=card_ref(proposal.id))


async def tell_routed(session: AsyncSession, event: Routed) -> None:
    """Sent to another department: under review, its officials get it in their queue (and channel) with
    the new deadline; whoever follows the proposal learns who handles it now."""
    proposal = await _proposal(session, event.proposal_id)
    params = await _card_params(session, proposal)
    if event.deadline is not None:
        await notify(session, await officials_of(session, proposal.department_code),
                     f"queue:{proposal.id}:{event.status_event_id}", "review_queued",
                     {**params, "deadline": event.deadline.isoformat(timespec="minutes")})
        await _post_card(session, proposal, event.deadline, f"card:{proposal.id}:{event.status_event_id}")
    await notify_followers(session, proposal.id, f"routed:{event.status_event_id}", "routed",
                           {**params, "from_department": event.from_department,
                            "from_department_names": await department_names(session, event.from_department)},
                           exclude=(event.by,))


async def update_department_card(session: AsyncSession, event: Reviewed) -> None:
    """Show the opinion on the card, so nobody in the channel writes a second one."""
    proposal = await _proposal(session, event.proposal_id)
    department = await get_department(session, proposal.department_code)
    review = await session.get(DepartmentReview, event.review_id)
    if not (department.channel_platform and department.channel_id) or review is None:
        return
    params = {**await _card_params(session, proposal), "recommendation": review.recommendation,
              "to": proposal.status, "reason_code": review.reason_code, "reason_text": review.explanation,
              "review_id": review.id, "necessity": review.necessity, "effectiveness": review.effectiveness,
              "feasibility": review.feasibility, "budget_krw": review.budget_krw}
    await notify_channel(session, department.channel_platform, department.channel_id,
                         f"card:{proposal.id}:review:{review.id}", "department_card", params,
                         edit_ref=card_ref(proposal.id))


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
    proposal = await _proposal(session, event.proposal_id)
    now = utcnow()
    since = now.replace(minute=0, second=0, microsecond=0)
    params = {"id": proposal.id, "title": proposal.title, "since": since.isoformat(timespec="minutes"),
              "until": (since + DIGEST_PERIOD).isoformat(timespec="minutes")}
    await notify_followers(session, proposal.id, f"room-digest:{proposal.id}:{params['since']}", "room_digest",
                           params, exclude=(event.citizen_id,), due_at=since + DIGEST_PERIOD)


async def tell_category_subscribers(session: AsyncSession, event: ProposalSubmitted) -> None:
    """Who subscribed to a category (or to all) hears of its new proposals."""
    proposal = await _proposal(session, event.proposal_id)
    readers = [c for c in await subscribers(session, proposal.category_code) if c != event.author_id]
    if readers:
        await notify(session, readers, f"new:{proposal.id}", "new_proposal",
                     {"id": proposal.id, "title": proposal.title, "category": proposal.category_code})


async def earn_for_proposal(session: AsyncSession, event: ProposalSubmitted) -> None:
    await mileage.award(session, event.author_id, f"proposal:{event.proposal_id}", "proposal",
                        mileage.values(session).proposal, event.proposal_id)


async def earn_for_review(session: AsyncSession, event: EnteredReview) -> None:
    proposal = await _proposal(session, event.proposal_id)
    await mileage.award(session, proposal.author_id, f"review:{proposal.id}", "review",
                        mileage.values(session).review, proposal.id)


async def earn_for_outcome(session: AsyncSession, event: StatusChanged) -> None:
    """The author earns for adoption and implementation; a withdrawn or hidden proposal's points go back."""
    if event.from_status == event.to_status:
        return  # a progress note
    proposal = await _proposal(session, event.proposal_id)
    values = mileage.values(session)
    earned = {Status.ADOPTED: ("adopted", values.adopted), Status.IMPLEMENTED: ("implemented", values.implemented)}
    if event.to_status in earned:
        reason, points = earned[Status(event.to_status)]
        await mileage.award(session, proposal.author_id, f"{reason}:{proposal.id}", reason, points, proposal.id)
    elif event.to_status in (Status.WITHDRAWN, Status.HIDDEN):
        await mileage.take_back(session, proposal.author_id, f"proposal:{proposal.id}", "proposal_reversed",
                                proposal.id)


async def earn_for_comment(session: AsyncSession, event: RoomMessagePosted) -> None:
    if not event.held:
        await mileage.award_comment(session, event.citizen_id, event.message_id, event.proposal_id)


async def enter_review_if_due(session: AsyncSession, event: Supported, rules: Rules) -> None:
    await start_review_if_due(session, event.proposal_id, rules, sent_by=event.citizen_id)


async def enter_reviews_if_due(session: AsyncSession, event: AccountsMerged, rules: Rules) -> None:
    """Merged votes never add up to more people, but a proposal may have been waiting for this check."""
    for proposal_id in event.proposals_voted:
        await start_review_if_due(session, proposal_id, rules)


REACTIONS: dict[type, tuple[Reaction, ...]] = {
    ProposalSubmitted: (earn_for_proposal, tell_category_subscribers),
    Supported: (),
    StatusChanged: (tell_followers, close_discussion, ask_panels, earn_for_outcome),
    EnteredReview: (ask_department, post_department_card, open_discussion, earn_for_review),
    Routed: (tell_routed,),
    Reviewed: (update_department_card,),
    DiscussionOpened: (open_places,),
    RoomMessagePosted: (mirror_message, tell_followers_of_discussion, tell_flooded, earn_for_comment),
    RoomMessageChanged: (mirror_change,),
    RoomMessageModerated: (mirror_moderation, tell_moderated),
    AccountsMerged: (),
}

FOLLOW_UPS: dict[type, tuple[FollowUp, ...]] = {
    Supported: (FollowUp(enter_review_if_due, only_if=lambda event: event.may_enter_review),),
    AccountsMerged: (FollowUp(enter_reviews_if_due),),
}


async def react(session: AsyncSession, event: Fact) -> None:
    for reaction in REACTIONS[type(event)]:
        await reaction(session, event)


async def follow_up(sessions: Sessions, events: Sequence[Fact], rules: Rules) -> list[Fact]:
    """Run the follow-ups of committed events; returns the events they caused (in turn followed up).

    A failed follow-up is logged and skipped: the change it follows is committed, and the scheduler's
    sweep finishes what it began (a proposal due for review is moved by the next sweep)."""
    caused: list[Fact] = []
    queue = list(events)
    while queue:
        event = queue.pop(0)
        for entry in FOLLOW_UPS.get(type(event), ()):
            if not entry.only_if(event):
                continue
            try:
                async with sessions() as session:
                    async with session.begin():
                        await entry.step(session, event, rules)
                    new = take(session)
            except Exception as error:
                log.log(logging.WARNING if is_database_failure(error) else logging.ERROR,
                        "follow-up %s of %s failed", entry.step.__name__, event, exc_info=True)
                continue
            caused.extend(new)
            queue.extend(new)
    return caused


async def _proposal(session: AsyncSession, proposal_id: int) -> Proposal:
    """The row the use case just changed: already in the session, so no query."""
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None:
        raise LookupError(f"proposal {proposal_id} vanished within its own transaction")
    return proposal
