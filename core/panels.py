"""The expert panels, the adoption decision and implementation: the path after the department's opinion.

Two panels (retired officials, outside experts) score a forwarded proposal 1–5 on four points; an admin
decides once each panel has its quorum (or has no members, or let its deadline pass: recorded with the
decision); the department then records implementation, where a repeated "implementing" is a progress
note rather than a new transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.citizens import Actor
from core.clock import utcnow
from core.errors import Forbidden, Invalid, InvalidState
from core.events import StatusChanged, publish
from core.models import PanelEvaluation, Proposal, RoleGrant, StatusEvent
from core.proposals import get_proposal, record_transition
from core.reviews import parse_reason_code
from core.rules import EXPLANATION_MAX, Rules, checked_text, clean_text
from core.statuses import Role, Status

PANELS = (Role.PANEL_INTERNAL, Role.PANEL_EXTERNAL)
SCORES = ("necessity", "effectiveness", "feasibility", "budget_fit")
ADOPT, REJECT = "adopt", "reject"
IMPLEMENTING, IMPLEMENTED = Status.IMPLEMENTING.value, Status.IMPLEMENTED.value


@dataclass(frozen=True)
class Scores:
    necessity: int
    effectiveness: int
    feasibility: int
    budget_fit: int

    @classmethod
    def parse(cls, *values: str) -> Scores:
        if len(values) != len(SCORES):
            raise Invalid("need_scores")
        return cls(*(parse_score(value, name) for value, name in zip(values, SCORES, strict=True)))


def parse_score(value: str, name: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 5:
        raise Invalid("bad_score", score=name, value=value)
    return int(text)


@dataclass(frozen=True)
class PanelResult:
    panel: str
    members: int
    count: int
    averages: dict[str, float]
    """Each score's average over the evaluations (empty when there are none)."""


def panel_of(actor: Actor) -> str:
    """The panel a member scores for (one who sits on both scores for the internal one)."""
    for panel in PANELS:
        if actor.has(panel):
            return panel.value
    raise Forbidden("panel_only")


def check_may_evaluate(actor: Actor, proposal: Proposal) -> str:
    panel = panel_of(actor)
    if proposal.status != Status.PANEL_REVIEW:
        raise InvalidState("evaluate_not_in_panel", id=proposal.id, status=proposal.status)
    return panel


async def evaluate(session: AsyncSession, actor: Actor, proposal_id: int, scores: Scores,
                   comment: str = "") -> tuple[PanelEvaluation, bool]:
    """Record (or change, until the decision) this member's evaluation; True when it changed an earlier one."""
    proposal = await get_proposal(session, proposal_id)
    panel = check_may_evaluate(actor, proposal)
    text = clean_text(comment)
    if len(text) > EXPLANATION_MAX:
        raise Invalid("comment_too_long", length=len(text), limit=EXPLANATION_MAX)
    now = utcnow()
    row = await session.scalar(select(PanelEvaluation).where(
        PanelEvaluation.proposal_id == proposal.id, PanelEvaluation.member_id == actor.citizen_id))
    changed = row is not None
    if row is None:
        row = PanelEvaluation(proposal_id=proposal.id, member_id=actor.citizen_id, created_at=now)
        session.add(row)
    row.panel, row.comment, row.updated_at = panel, text, now
    row.necessity, row.effectiveness = scores.necessity, scores.effectiveness
    row.feasibility, row.budget_fit = scores.feasibility, scores.budget_fit
    await session.flush()
    return row, changed


async def members(session: AsyncSession, panel: str | None = None) -> list[int]:
    """Who sits on a panel (both, without `panel`)."""
    roles = [panel] if panel is not None else [p.value for p in PANELS]
    rows = await session.scalars(select(RoleGrant.citizen_id).where(RoleGrant.role.in_(roles)))
    return sorted(set(rows.all()))


async def results(session: AsyncSession, proposal_id: int) -> list[PanelResult]:
    """Each panel's size, how many have scored, and the averages: public once scored."""
    averaged = await session.execute(
        select(PanelEvaluation.panel, func.count(), *(func.avg(getattr(PanelEvaluation, s)) for s in SCORES))
        .where(PanelEvaluation.proposal_id == proposal_id).group_by(PanelEvaluation.panel))
    by_panel = {row[0]: row for row in averaged.all()}
    out = []
    for panel in PANELS:
        row = by_panel.get(panel.value)
        averages = ({name: round(float(value), 2) for name, value in zip(SCORES, row[2:], strict=True)}
                    if row is not None else {})
        out.append(PanelResult(panel.value, len(await members(session, panel.value)),
                               int(row[1]) if row is not None else 0, averages))
    return out


async def waiting_for(session: AsyncSession, actor: Actor, limit: int = 20) -> list[Proposal]:
    """Proposals with the panel that this member has not scored yet, oldest deadline first."""
    panel_of(actor)
    mine = select(PanelEvaluation.id).where(PanelEvaluation.proposal_id == Proposal.id,
                                            PanelEvaluation.member_id == actor.citizen_id).exists()
    rows = await session.scalars(
        select(Proposal).where(Proposal.status == Status.PANEL_REVIEW.value, ~mine)
        .order_by(Proposal.panel_deadline.asc(), Proposal.id.asc()).limit(limit))
    return list(rows.all())


async def decide(session: AsyncSession, actor: Actor, proposal_id: int, decision: str, text: str, rules: Rules,
                 *, reason_code: str | None = None) -> StatusEvent:
    """The admin's adoption decision, once each panel has its quorum of evaluations.

    A panel without members, or one whose deadline has passed, no longer holds the decision up; the
    decision records which and why (`StatusEvent.details`)."""
    if not actor.is_admin:
        raise Forbidden("admin_only")
    if decision not in (ADOPT, REJECT):
        raise Invalid("unknown_decision", value=decision)
    code = parse_reason_code(reason_code or "") if decision == REJECT else None
    explanation = checked_text(text, "decision", EXPLANATION_MAX)
    proposal = await get_proposal(session, proposal_id, for_update=True)
    if proposal.status != Status.PANEL_REVIEW:
        raise InvalidState("decide_not_in_panel", id=proposal.id, status=proposal.status)
    scored = await results(session, proposal.id)
    waived = quorum_waivers(scored, rules.panel_quorum, proposal.panel_deadline, utcnow())
    if any(result.count < rules.panel_quorum and result.panel not in waived for result in scored):
        counts = {result.panel: result.count for result in scored}
        raise InvalidState("panel_quorum_missing", id=proposal.id, quorum=rules.panel_quorum,
                           internal=counts[Role.PANEL_INTERNAL.value], external=counts[Role.PANEL_EXTERNAL.value])
    panel_findings = {f"{result.panel}_{name}": value for result in scored for name, value in result.averages.items()}
    event = await record_transition(
        session, proposal, Status.ADOPTED if decision == ADOPT else Status.REJECTED, actor_id=actor.citizen_id,
        reason_code=code, reason_text=explanation, extra={"decision": decision, **panel_findings})
    event.details = {"panels": {r.panel: {"members": r.members, "count": r.count, "averages": r.averages}
                                for r in scored},
                     "quorum": rules.panel_quorum, "quorum_waived": waived}
    await session.flush()
    return event


def quorum_waivers(scored: list[PanelResult], quorum: int, deadline: datetime | None,
                   now: datetime) -> dict[str, str]:
    """{panel: why} for each panel short of its quorum that no longer holds the decision up."""
    waived: dict[str, str] = {}
    for result in scored:
        if result.count >= quorum:
            continue
        if result.members == 0:
            waived[result.panel] = "no_members"
        elif deadline is not None and now > deadline:
            waived[result.panel] = "deadline_passed"
    return waived


async def progress(session: AsyncSession, actor: Actor, proposal_id: int, stage: str, text: str) -> StatusEvent:
    """Implementation, recorded by the department's officials or an admin: the first "implementing" moves
    the proposal, later ones are progress notes; "implemented" ends it."""
    if stage not in (IMPLEMENTING, IMPLEMENTED):
        raise Invalid("unknown_progress", value=stage)
    explanation = checked_text(text, "update", EXPLANATION_MAX)
    proposal = await get_proposal(session, proposal_id, for_update=True)
    if not actor.may_review(proposal.department_code):
        if actor.departments():
            raise Forbidden("not_your_department", id=proposal.id, department=proposal.department_code)
        raise Forbidden("staff_only")
    if stage == IMPLEMENTING and proposal.status == Status.IMPLEMENTING:
        return await _note(session, actor, proposal, explanation)
    if proposal.status not in (Status.ADOPTED, Status.IMPLEMENTING):
        raise InvalidState("progress_not_adopted", id=proposal.id, status=proposal.status)
    return await record_transition(session, proposal, Status(stage), actor_id=actor.citizen_id,
                                   reason_text=explanation)


async def _note(session: AsyncSession, actor: Actor, proposal: Proposal, text: str) -> StatusEvent:
    """A progress note: a status event that stays where it is, told to the same people as a transition."""
    event = StatusEvent(proposal_id=proposal.id, from_status=proposal.status, to_status=proposal.status,
                        actor_id=actor.citizen_id, reason_text=text, created_at=utcnow())
    session.add(event)
    await session.flush()
    await publish(session, StatusChanged(proposal.id, event.id, proposal.title, proposal.status, proposal.status,
                                         None, text))
    return event
