"""What follows each domain event: the one table to read to know what a change sets in motion.

Reactions run inside the transaction that made the change, so a notice or a card is stored with the change
it announces, or not at all. Follow-ups run after the commit, each in a short transaction of its own:
the threshold check after a vote is one, so a vote never waits on a lock of the proposal row. Mileage,
subscriptions, panel requests and room mirrors (core/room_reactions.py) hang off these events too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import mileage, panels
from core.citizens import officials_of
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
from core.models import DepartmentReview, Proposal
from core.outbox import notify, notify_channel, notify_followers
from core.room_reactions import (
    close_discussion,
    mirror_change,
    mirror_message,
    mirror_moderation,
    open_discussion,
    open_places,
    tell_flooded,
    tell_followers_of_discussion,
    tell_moderated,
)
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
