"""The monthly and annual report ("Citizens' Voice", PRODUCT.md §7): what was proposed in a period, how it was
handled, how that compares with the period before, and examples of what was adopted.

Built from live data for a calendar month or year in the city's time zone (OASIS_TIMEZONE), into plain
dataclasses that every renderer shares (the web page, Markdown for the CLI, the notice to subscribers).
A hidden proposal is never part of it: not counted as received, not counted in any step it went through,
never shown. No personal data: no citizen appears, only proposals, categories and departments.

The queries are bounded by the period (its proposals, its status events, its opinions), never by the whole
history; a report is read by people, not on the vote path.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import Category, Department, DepartmentReview, Proposal, StatusEvent
from core.statuses import ReasonCode, Status
from core.tallies import exact_votes

MOST_SUPPORTED = 5
"""New proposals listed as the period's most supported."""
ADOPTED_EXAMPLES = 5
"""Adopted proposals shown as examples."""
FIRST_YEAR = 2000
PERIOD_TEXT = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month (`month` 1–12) or a whole year (`month` None), in the city's time zone."""

    year: int
    month: int | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        """"2026-10" or "2026"; ValueError for anything else (the web answers 404, the CLI says why)."""
        found = PERIOD_TEXT.match(text.strip())
        if found is None:
            raise ValueError(f"not a month like 2026-10 or a year like 2026: {text!r}")
        year, month = int(found.group(1)), int(found.group(2)) if found.group(2) else None
        if year < FIRST_YEAR or (month is not None and not 1 <= month <= 12):
            raise ValueError(f"no such period: {text!r}")
        return cls(year, month)

    @property
    def key(self) -> str:
        """As written in addresses: "2026-10", "2026"."""
        return f"{self.year}-{self.month:02d}" if self.month is not None else str(self.year)

    @property
    def is_month(self) -> bool:
        return self.month is not None

    def previous(self) -> Period:
        """The month before, or the year before: what the trends compare with."""
        if self.month is None:
            return Period(self.year - 1)
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def following(self) -> Period:
        if self.month is None:
            return Period(self.year + 1)
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def start(self, timezone: str) -> datetime:
        """Its first moment, as the database keeps times (naive UTC)."""
        local = datetime(self.year, self.month or 1, 1, tzinfo=ZoneInfo(timezone))
        return local.astimezone(UTC).replace(tzinfo=None)

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """[start, end) in naive UTC."""
        return self.start(timezone), self.following().start(timezone)

    def months(self) -> list[Period]:
        return [Period(self.year, m) for m in range(1, 13)] if self.month is None else [self]


def local_month(moment: datetime, timezone: str) -> Period:
    """The month a stored (naive UTC) time falls in, in the city's time zone."""
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))
    return Period(local.year, local.month)


def last_complete_month(now: datetime, timezone: str) -> Period:
    """The month before the one `now` is in: the report the 1st of a month publishes."""
    return local_month(now, timezone).previous()


def has_begun(period: Period, now: datetime, timezone: str) -> bool:
    """False for a future period (it has no report)."""
    return period.start(timezone) <= now


def has_ended(period: Period, now: datetime, timezone: str) -> bool:
    return period.bounds(timezone)[1] <= now


@dataclass(frozen=True)
class Counts:
    """How many of each step happened in a period (of proposals not hidden)."""

    received: int
    entered_review: int
    opinions: int
    """Department opinions published."""
    forwarded: int
    """Sent by the department to the expert panels."""
    adopted: int
    rejected: int
    implemented: int
    median_days_to_opinion: float | None
    """Of the opinions published in the period: the median days from entering review to the opinion."""


COUNTED = ("received", "entered_review", "opinions", "forwarded", "adopted", "rejected", "implemented")
"""The counts, in the order reports show them."""


@dataclass(frozen=True)
class Trend:
    """One count against the previous period's."""

    name: str
    current: int | float | None
    previous: int | float | None

    @property
    def change(self) -> int | float | None:
        if self.current is None or self.previous is None:
            return None
        delta = self.current - self.previous
        return round(delta, 1) if isinstance(delta, float) else delta


@dataclass(frozen=True)
class Named:
    """A category or a department: its code and its names (ko, en) for the renderer to choose from."""

    code: str
    name_ko: str
    name_en: str


@dataclass(frozen=True)
class CategoryCount:
    category: Named
    received: int


@dataclass(frozen=True)
class Supported:
    """A new proposal of the period among the most supported."""

    id: int
    title: str
    category: Named
    status: str
    supporters: int


@dataclass(frozen=True)
class AdoptedExample:
    id: int
    title: str
    department: Named
    reason: str
    """The decision's text, as published."""
    adopted_at: datetime


@dataclass(frozen=True)
class Report:
    period: Period
    timezone: str
    complete: bool
    """False while the period is still running: the figures are so far."""
    counts: Counts
    before: Counts
    """The previous period's counts, for the trends."""
    by_category: tuple[CategoryCount, ...]
    rejected_by_reason: tuple[tuple[str, int], ...]
    """(reason code, rejections) in ReasonCode order, only codes that occurred."""
    most_supported: tuple[Supported, ...]
    adopted_examples: tuple[AdoptedExample, ...]
    generated_at: datetime

    @property
    def previous(self) -> Period:
        return self.period.previous()

    def trends(self) -> list[Trend]:
        rows = [Trend(name, getattr(self.counts, name), getattr(self.before, name)) for name in COUNTED]
        rows.append(Trend("median_days_to_opinion", self.counts.median_days_to_opinion,
                          self.before.median_days_to_opinion))
        return rows

    @property
    def empty(self) -> bool:
        """Nothing at all happened in the period."""
        return not any(getattr(self.counts, name) for name in COUNTED)


VISIBLE = tuple(s.value for s in Status if s != Status.HIDDEN)


def _visible() -> ColumnElement[bool]:
    """For queries that read proposals: not hidden, written as the statuses it may have, so that a period's
    proposals are a few ranges of the (status, created_at) index rather than a scan of the table."""
    return Proposal.status.in_(VISIBLE)


def _of_visible(proposal_id: Any) -> ColumnElement[bool]:
    """For queries that read status events or opinions (by their time): of a proposal not hidden. Hidden
    proposals are few; a join would let the database walk the proposals instead of the period's events."""
    return proposal_id.not_in(select(Proposal.id).where(Proposal.status == Status.HIDDEN.value))


MOVES = (Status.UNDER_REVIEW, Status.PANEL_REVIEW, Status.ADOPTED, Status.REJECTED, Status.IMPLEMENTED)


async def _moves(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    """{status: proposals (not hidden) that moved to it in [start, end)}, for each of MOVES, in one pass."""
    rows = (await session.execute(
        select(StatusEvent.to_status, func.count(func.distinct(StatusEvent.proposal_id)))
        .where(StatusEvent.created_at >= start, StatusEvent.created_at < end,
               StatusEvent.to_status.in_([m.value for m in MOVES]), _of_visible(StatusEvent.proposal_id))
        .group_by(StatusEvent.to_status))).all()
    found = {str(status): int(n) for status, n in rows}
    return {m.value: found.get(m.value, 0) for m in MOVES}


async def _days_to_opinion(session: AsyncSession, start: datetime, end: datetime) -> tuple[int, float | None]:
    """(opinions published in [start, end), the median days from entering review to each)."""
    entered = (select(func.max(StatusEvent.created_at))
               .where(StatusEvent.proposal_id == DepartmentReview.proposal_id,
                      StatusEvent.to_status == Status.UNDER_REVIEW.value,
                      StatusEvent.created_at <= DepartmentReview.created_at)
               .scalar_subquery())
    rows = (await session.execute(
        select(DepartmentReview.created_at, entered)
        .where(DepartmentReview.created_at >= start, DepartmentReview.created_at < end,
               _of_visible(DepartmentReview.proposal_id)))).all()
    days = [(published - began).total_seconds() / 86400 for published, began in rows if began is not None]
    return len(rows), (round(median(days), 1) if days else None)


async def counts(session: AsyncSession, period: Period, timezone: str) -> Counts:
    start, end = period.bounds(timezone)
    received = int(await session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.created_at >= start, Proposal.created_at < end, _visible())) or 0)
    opinions, median_days = await _days_to_opinion(session, start, end)
    moved = await _moves(session, start, end)
    return Counts(
        received=received,
        entered_review=moved[Status.UNDER_REVIEW.value],
        opinions=opinions,
        forwarded=moved[Status.PANEL_REVIEW.value],
        adopted=moved[Status.ADOPTED.value],
        rejected=moved[Status.REJECTED.value],
        implemented=moved[Status.IMPLEMENTED.value],
        median_days_to_opinion=median_days,
    )


async def _names(session: AsyncSession) -> tuple[dict[str, Named], dict[str, Named]]:
    categories = {c.code: Named(c.code, c.name_ko, c.name_en)
                  for c in (await session.scalars(select(Category).order_by(Category.position))).all()}
    departments = {d.code: Named(d.code, d.name_ko, d.name_en)
                   for d in (await session.scalars(select(Department).order_by(Department.code))).all()}
    return categories, departments


def _named(names: dict[str, Named], code: str) -> Named:
    return names.get(code) or Named(code, code, code)


async def _by_category(session: AsyncSession, categories: dict[str, Named], start: datetime,
                       end: datetime) -> tuple[CategoryCount, ...]:
    rows = (await session.execute(
        select(Proposal.category_code, func.count()).where(
            Proposal.created_at >= start, Proposal.created_at < end, _visible())
        .group_by(Proposal.category_code))).all()
    found = {str(code): int(n) for code, n in rows}
    order = {code: index for index, code in enumerate(categories)}
    ranked = sorted(found.items(), key=lambda item: (-item[1], order.get(item[0], len(order)), item[0]))
    return tuple(CategoryCount(_named(categories, code), n) for code, n in ranked)


async def _rejections(session: AsyncSession, start: datetime, end: datetime) -> tuple[tuple[str, int], ...]:
    codes = (await session.scalars(
        select(StatusEvent.reason_code)
        .where(StatusEvent.to_status == Status.REJECTED.value, StatusEvent.created_at >= start,
               StatusEvent.created_at < end, _of_visible(StatusEvent.proposal_id)))).all()
    tally = Counter(code if code in {c.value for c in ReasonCode} else ReasonCode.OTHER.value for code in codes)
    return tuple((code.value, tally[code.value]) for code in ReasonCode if tally[code.value])


async def _most_supported(session: AsyncSession, categories: dict[str, Named], start: datetime,
                          end: datetime) -> tuple[Supported, ...]:
    """The period's new proposals with the most supporters now (exact: the tallies plus unfolded changes)."""
    supporters = exact_votes(Proposal.id).label("supporters")
    rows = (await session.execute(
        select(Proposal.id, Proposal.title, Proposal.category_code, Proposal.status, supporters)
        .where(Proposal.created_at >= start, Proposal.created_at < end, _visible())
        .order_by(supporters.desc(), Proposal.id).limit(MOST_SUPPORTED))).all()
    return tuple(Supported(int(pid), str(title), _named(categories, str(cat)), str(status), int(n))
                 for pid, title, cat, status, n in rows if int(n) > 0)


async def _adopted(session: AsyncSession, departments: dict[str, Named], start: datetime,
                   end: datetime) -> tuple[AdoptedExample, ...]:
    rows = (await session.execute(
        select(Proposal.id, Proposal.title, Proposal.department_code, StatusEvent.reason_text,
               StatusEvent.created_at)
        .join(Proposal, Proposal.id == StatusEvent.proposal_id)
        .where(StatusEvent.to_status == Status.ADOPTED.value, StatusEvent.created_at >= start,
               StatusEvent.created_at < end, Proposal.status != Status.HIDDEN.value)
        .order_by(StatusEvent.created_at, StatusEvent.id).limit(ADOPTED_EXAMPLES))).all()
    return tuple(AdoptedExample(int(pid), str(title), _named(departments, str(dep)), str(reason or ""), at)
                 for pid, title, dep, reason, at in rows)


async def build(session: AsyncSession, period: Period, timezone: str, now: datetime | None = None) -> Report:
    """The report of `period` from the database as it is now. A future period has none (ValueError)."""
    at = now or utcnow()
    if not has_begun(period, at, timezone):
        raise ValueError(f"{period.key} has not begun yet")
    start, end = period.bounds(timezone)
    categories, departments = await _names(session)
    return Report(
        period=period, timezone=timezone, complete=has_ended(period, at, timezone),
        counts=await counts(session, period, timezone),
        before=await counts(session, period.previous(), timezone),
        by_category=await _by_category(session, categories, start, end),
        rejected_by_reason=await _rejections(session, start, end),
        most_supported=await _most_supported(session, categories, start, end),
        adopted_examples=await _adopted(session, departments, start, end),
        generated_at=at,
    )


@dataclass(frozen=True)
class Available:
    """The periods that have reports: every month from the first with data to the current one."""

    months: tuple[tuple[Period, int], ...]
    """(month, proposals received), newest first."""
    years: tuple[Period, ...]
    """Newest first."""


async def available(session: AsyncSession, timezone: str, now: datetime | None = None) -> Available:
    """Months from the first one anything happened in (a proposal received, a status changed) up to now, with
    how many proposals each received, counted in one pass over the proposals."""
    at = now or utcnow()
    first_proposal = await session.scalar(select(func.min(Proposal.created_at)).where(_visible()))
    first_event = await session.scalar(select(func.min(StatusEvent.created_at)))
    firsts = [moment for moment in (first_proposal, first_event) if moment is not None]
    if not firsts:
        return Available((), ())
    month, last = local_month(min(firsts), timezone), local_month(at, timezone)
    months: list[Period] = []
    while month <= last:
        months.append(month)
        month = month.following()
    bucket = case(*[(and_(Proposal.created_at >= m.start(timezone), Proposal.created_at < m.following().start(
        timezone)), index) for index, m in enumerate(months)], else_=-1)
    buckets = select(bucket.label("month")).where(_visible()).subquery()
    rows = (await session.execute(select(buckets.c.month, func.count()).group_by(buckets.c.month))).all()
    received = {int(index): int(n) for index, n in rows}
    listed = tuple((m, received.get(index, 0)) for index, m in reversed(list(enumerate(months))))
    years = tuple(sorted({Period(m.year) for m in months}, reverse=True))
    return Available(listed, years)
