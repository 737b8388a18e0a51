"""The department's opinion on a proposal under review: forward to the expert panel, or reject with reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.citizens import Actor
from core.clock import utcnow
from core.errors import Forbidden, Invalid, InvalidState
from core.events import Reviewed, publish
from core.models import DepartmentReview, Proposal
from core.proposals import get_proposal, record_transition
from core.rules import EXPLANATION_MAX, checked_text, clean_text
from core.statuses import ReasonCode, Status

FORWARD, REJECT = "forward", "reject"
BUDGET_MAX_KRW = 10**15


@dataclass(frozen=True)
class Opinion:
    recommendation: str
    necessity: str = ""
    effectiveness: str = ""
    feasibility: str = ""
    budget_krw: int | None = None
    reason_code: str | None = None
    explanation: str = ""


def parse_reason_code(code: str) -> str:
    try:
        return ReasonCode(code.strip().lower()).value
    except ValueError as exc:
        raise Invalid("unknown_reason_code", code=code, codes=", ".join(c.value for c in ReasonCode)) from exc


def parse_budget(value: str) -> int | None:
    """Accept '1,200,000', '1200000원', 'KRW 5000'; empty or '-' means not estimated."""
    text = value.strip()
    if text in ("", "-"):
        return None
    for noise in (",", " ", "원", "KRW", "krw", "₩"):
        text = text.replace(noise, "")
    if not text.isascii() or not text.isdigit() or int(text) > BUDGET_MAX_KRW:
        raise Invalid("bad_budget", value=value)
    return int(text)


def check_may_review(actor: Actor, proposal: Proposal) -> None:
    if not actor.may_review(proposal.department_code):
        if actor.departments():
            raise Forbidden("not_your_department", id=proposal.id, department=proposal.department_code)
        raise Forbidden("staff_only")
    if proposal.status != Status.UNDER_REVIEW:
        raise InvalidState("review_not_under_review", id=proposal.id, status=proposal.status)


async def review(session: AsyncSession, actor: Actor, proposal_id: int, opinion: Opinion, *,
                 panel_days: int = 14) -> DepartmentReview:
    """Publish the opinion; forwarded, the proposal is with the expert panels for `panel_days`."""
    proposal = await get_proposal(session, proposal_id, for_update=True)
    check_may_review(actor, proposal)
    if opinion.recommendation == FORWARD:
        explanation = clean_text(opinion.explanation)
        if not (explanation or opinion.necessity or opinion.effectiveness or opinion.feasibility):
            raise Invalid("opinion_empty")
        reason_code = None
        target = Status.PANEL_REVIEW
    elif opinion.recommendation == REJECT:
        reason_code = parse_reason_code(opinion.reason_code or "")
        explanation = checked_text(opinion.explanation, "explanation", EXPLANATION_MAX)
        target = Status.REJECTED
    else:
        raise Invalid("unknown_recommendation", value=opinion.recommendation)
    row = DepartmentReview(
        proposal_id=proposal.id,
        department_code=proposal.department_code,
        official_id=actor.citizen_id,
        recommendation=opinion.recommendation,
        necessity=clean_text(opinion.necessity),
        effectiveness=clean_text(opinion.effectiveness),
        feasibility=clean_text(opinion.feasibility),
        budget_krw=opinion.budget_krw,
        reason_code=reason_code,
        explanation=explanation,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    findings: dict[str, object] = {"review_id": row.id, "necessity": row.necessity,
                                   "effectiveness": row.effectiveness, "feasibility": row.feasibility,
                                   "budget_krw": row.budget_krw}
    if target == Status.PANEL_REVIEW:
        proposal.panel_deadline = row.created_at + timedelta(days=panel_days)
        findings["panel_deadline"] = proposal.panel_deadline.isoformat(timespec="minutes")
    await record_transition(
        session, proposal, target, actor_id=actor.citizen_id, reason_code=reason_code, reason_text=explanation,
        extra=findings,
    )
    await publish(session, Reviewed(proposal.id, row.id))
    return row


async def latest_review(session: AsyncSession, proposal_id: int) -> DepartmentReview | None:
    return await session.scalar(
        select(DepartmentReview)
        .where(DepartmentReview.proposal_id == proposal_id)
        .order_by(DepartmentReview.id.desc())
        .limit(1)
    )
