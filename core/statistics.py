"""What became of the proposals, counted from live data: the seed's table (received, adopted and adoption
rate by year, with a total), the same by category and by department, and how fast each department answers.

Definitions (PRODUCT.md §8, `/stats` and `/departments`):
- received: every proposal ever submitted except hidden ones; a withdrawn proposal was received. A year is
  the year it was received (`Proposal.created_at`) in the city's time zone (OASIS_TIMEZONE).
- adopted: of those, the ones adopted so far. The status machine (core/statuses.ALLOWED) lets an adopted
  proposal move on only to implementing and then implemented, and never to hidden, so "has a status event
  to `adopted`" is the same set as "status is adopted, implementing or implemented" (ADOPTED); the current
  status is what is counted, which needs no join with the status events (tests/unit/test_statistics.py
  checks the equivalence against ALLOWED, so a new transition out of `adopted` would fail it).
- adoption rate: adopted / received; None when nothing was received (shown as "–").
- days to opinion: from the proposal's entry into `under_review` (its status event) to the department's
  opinion (`DepartmentReview.created_at`, published with it); the median per answering department over
  every opinion on a proposal not hidden since; proposals without an opinion yet are left out.
- overdue now: under review past its review deadline at `now`.

Cost: by category and by department come from the folded counts (core/tallies.py `proposal_counts`, plus
the changes not folded yet), a few dozen rows whatever the size. By year scans the proposals' (status,
created_at) index once; the medians are taken by the database over the opinions joined with their status
events. At 100,000 proposals a computation takes 0.2–0.5 s (README, "Statistics as open data"), far too
much for every page view, so the web pages read a `StatisticsCache`: computed at most every CACHE_SECONDS,
a reader after that gets the previous figures at once while one refresh runs in the background, on an
engine of its own (core.db.make_reader) so that it never holds the conversation's connection or SQLite's
write lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from core.clock import utcnow
from core.db import Sessions
from core.models import (
    Category,
    Department,
    DepartmentReview,
    Proposal,
    ProposalCount,
    ProposalCountChange,
    StatusEvent,
)
from core.statuses import Status

log = logging.getLogger(__name__)

ADOPTED = frozenset({Status.ADOPTED.value, Status.IMPLEMENTING.value, Status.IMPLEMENTED.value})
"""The statuses of a proposal that was adopted (and may be carried out since)."""
NOT_RECEIVED = Status.HIDDEN.value
CACHE_SECONDS = 30.0
"""How old the figures a page shows may be: the pages say when they were computed."""
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Measure:
    """Received and adopted proposals of one year, category or department."""

    received: int = 0
    adopted: int = 0

    @property
    def rate(self) -> float | None:
        """adopted / received, None when nothing was received."""
        return self.adopted / self.received if self.received else None

    def __add__(self, other: Measure) -> Measure:
        return Measure(self.received + other.received, self.adopted + other.adopted)


@dataclass(frozen=True)
class YearTable:
    """The seed's table: one column per year (oldest first, every year between the first and the last
    proposal, empty ones included) and the total."""

    years: list[tuple[int, Measure]]
    total: Measure


@dataclass(frozen=True)
class Group:
    """One category's or department's measures, with its names from the directory."""

    code: str
    name_ko: str
    name_en: str
    measure: Measure


@dataclass(frozen=True)
class DepartmentRecord:
    """A department's record for `/departments`: what it received, how fast it answers, what waits."""

    code: str
    name_ko: str
    name_en: str
    measure: Measure
    opinions: int
    """Opinions counted in the median."""
    median_days_to_opinion: float | None
    overdue: int


@dataclass(frozen=True)
class Statistics:
    """Everything `/stats`, `/departments` and `/api/stats.json` show, computed at `computed_at` (UTC)."""

    computed_at: datetime
    timezone: str
    by_year: YearTable
    by_category: list[Group]
    by_department: list[Group]
    departments: list[DepartmentRecord] = field(default_factory=list)


# --- the measures ---------------------------------------------------------------------------------------


async def by_year(session: AsyncSession, *, timezone: str) -> YearTable:
    """Received and adopted per year of receipt in `timezone`, and the total (one index scan)."""
    zone = ZoneInfo(timezone)
    first, last = (await session.execute(select(func.min(Proposal.created_at), func.max(Proposal.created_at))
                                         .where(Proposal.status != NOT_RECEIVED))).one()
    if first is None or last is None:
        return YearTable([], Measure())
    low, high = _local_year(first, zone), _local_year(last, zone)
    # The year as a CASE over its UTC boundaries: the same SQL on both databases, exact in any time zone
    # (SQLite knows none), and evaluated on the (status, created_at) index alone.
    starts = [(year, _year_start_utc(year, zone)) for year in range(high, low, -1)]
    year = case(*[(Proposal.created_at >= start, literal(y)) for y, start in starts], else_=literal(low)) \
        if starts else literal(low, Integer)
    rows = (await session.execute(
        select(year.label("year"), Proposal.status, func.count())
        .where(Proposal.status != NOT_RECEIVED).group_by(year, Proposal.status))).all()
    counts: dict[int, Measure] = defaultdict(Measure)
    for y, status, n in rows:
        counts[int(y)] += Measure(int(n), int(n) if status in ADOPTED else 0)
    years = [(y, counts[y]) for y in range(low, high + 1)]
    return YearTable(years, sum((m for _, m in years), Measure()))


async def _status_counts(session: AsyncSession) -> dict[tuple[str, str, str], int]:
    """Proposals per (status, category, department), exactly: the folded counts plus the unfolded changes."""
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    folded = await session.execute(select(ProposalCount.status, ProposalCount.category_code,
                                          ProposalCount.department_code, ProposalCount.proposals))
    pending = await session.execute(
        select(ProposalCountChange.status, ProposalCountChange.category_code, ProposalCountChange.department_code,
               func.sum(ProposalCountChange.delta))
        .group_by(ProposalCountChange.status, ProposalCountChange.category_code,
                  ProposalCountChange.department_code))
    for status, category, department, n in [*folded.all(), *pending.all()]:
        totals[(str(status), str(category), str(department))] += int(n or 0)
    return totals


def _measures(counts: dict[tuple[str, str, str], int], key: int) -> dict[str, Measure]:
    """Measures per category (`key` 1) or department (`key` 2) from `_status_counts`."""
    found: dict[str, Measure] = defaultdict(Measure)
    for parts, n in counts.items():
        status = parts[0]
        if status == NOT_RECEIVED or n == 0:
            continue
        found[parts[key]] += Measure(n, n if status in ADOPTED else 0)
    return found


async def by_category(session: AsyncSession) -> list[Group]:
    """Received and adopted per category, in the directory's order (categories without proposals too)."""
    measures = _measures(await _status_counts(session), 1)
    categories = (await session.scalars(select(Category).order_by(Category.position, Category.code))).all()
    return _groups([(c.code, c.name_ko, c.name_en) for c in categories], measures)


async def by_department(session: AsyncSession) -> list[Group]:
    """Received and adopted per department (the one a proposal is routed to now)."""
    measures = _measures(await _status_counts(session), 2)
    return _groups(await _department_names(session), measures)


async def _department_names(session: AsyncSession) -> list[tuple[str, str, str]]:
    """The departments in the order of the categories they answer for (the directory's order), then the
    others by code."""
    first_position = (select(func.min(Category.position)).where(Category.department_code == Department.code)
                      .scalar_subquery())
    rows = await session.execute(select(Department.code, Department.name_ko, Department.name_en)
                                 .order_by(first_position.is_(None), first_position, Department.code))
    return [(str(code), str(ko), str(en)) for code, ko, en in rows.all()]


def _groups(names: list[tuple[str, str, str]], measures: dict[str, Measure]) -> list[Group]:
    """One group per directory entry, then any code the proposals hold that the directory no longer has."""
    known = {code for code, _, _ in names}
    extra = [(code, code, code) for code in sorted(measures) if code not in known]
    return [Group(code, ko, en, measures.get(code, Measure())) for code, ko, en in names + extra]


async def days_to_opinion(session: AsyncSession) -> dict[str, tuple[int, float]]:
    """(opinions, median days) from entering review to the opinion, per answering department, over every
    proposal not hidden that has an opinion.

    A proposal enters review once and is reviewed once (core/statuses.ALLOWED has no way back to
    `under_review`), so the join is one row per opinion. The median is taken by the database with window
    functions both support (the middle row, or the mean of the middle two), so a refresh moves one row per
    department rather than one per opinion through Python.
    """
    waited = (select(DepartmentReview.department_code.label("department"),
                     _SecondsBetween(StatusEvent.created_at, DepartmentReview.created_at).label("seconds"))
              .join(StatusEvent, and_(StatusEvent.proposal_id == DepartmentReview.proposal_id,
                                      StatusEvent.to_status == Status.UNDER_REVIEW.value))
              .join(Proposal, and_(Proposal.id == DepartmentReview.proposal_id, Proposal.status != NOT_RECEIVED))
              .subquery())
    ranked = select(waited.c.department, waited.c.seconds,
                    func.row_number().over(partition_by=waited.c.department, order_by=waited.c.seconds).label("rank"),
                    func.count().over(partition_by=waited.c.department).label("n")).subquery()
    middle = ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])  # floor division on both
    rows = await session.execute(select(ranked.c.department, func.max(ranked.c.n), func.avg(ranked.c.seconds))
                                 .where(middle).group_by(ranked.c.department))
    return {str(department): (int(n), max(float(seconds or 0.0), 0.0) / SECONDS_PER_DAY)
            for department, n, seconds in rows.all()}


class _SecondsBetween(FunctionElement[float]):
    """`end - start` in seconds, computed by the database, so no timestamp is parsed in Python: julianday()
    on SQLite (which stores text), epoch arithmetic elsewhere (PostgreSQL)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(_SecondsBetween)
def _seconds_epoch(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(_SecondsBetween, "sqlite")
def _seconds_julian(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


async def overdue(session: AsyncSession, *, now: datetime) -> dict[str, int]:
    """Proposals under review past their review deadline at `now`, per department."""
    rows = await session.execute(
        select(Proposal.department_code, func.count())
        .where(Proposal.status == Status.UNDER_REVIEW.value, Proposal.review_deadline < now)
        .group_by(Proposal.department_code))
    return {str(code): int(n) for code, n in rows.all()}


async def department_records(session: AsyncSession, *, now: datetime) -> list[DepartmentRecord]:
    """Per department: received, adopted, the median days to opinion and the proposals overdue now."""
    groups = await by_department(session)
    days = await days_to_opinion(session)
    late = await overdue(session, now=now)
    known = {g.code for g in groups}
    groups += [Group(code, code, code, Measure()) for code in sorted(set(days) | set(late)) if code not in known]
    return [DepartmentRecord(g.code, g.name_ko, g.name_en, g.measure, days.get(g.code, (0, 0.0))[0],
                             days[g.code][1] if g.code in days else None, late.get(g.code, 0))
            for g in groups]


async def compute(session: AsyncSession, *, timezone: str, now: datetime | None = None) -> Statistics:
    """Every figure at once (`now`: the moment "overdue now" is measured at)."""
    moment = now or utcnow()
    departments = await department_records(session, now=moment)
    return Statistics(
        computed_at=moment, timezone=timezone, by_year=await by_year(session, timezone=timezone),
        by_category=await by_category(session),
        by_department=[Group(d.code, d.name_ko, d.name_en, d.measure) for d in departments],
        departments=departments)


# --- time zones -----------------------------------------------------------------------------------------


def _local_year(moment: datetime, zone: ZoneInfo) -> int:
    return moment.replace(tzinfo=UTC).astimezone(zone).year


def _year_start_utc(year: int, zone: ZoneInfo) -> datetime:
    """1 January `year`, 00:00 in `zone`, as a naive UTC time (how times are stored)."""
    return datetime(year, 1, 1, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


# --- the cache the pages read ---------------------------------------------------------------------------


class StatisticsCache:
    """The figures, computed at most once per `seconds`: the first reader waits for them; a reader after
    they aged gets the previous figures at once while one refresh runs in the background (so no page view
    pays for the aggregates after the first). `seconds` <= 0 computes on every read (tests)."""

    def __init__(self, sessions: Sessions, *, timezone: str, seconds: float = CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.sessions, self.timezone, self.seconds, self.clock = sessions, timezone, seconds, clock
        self._value: Statistics | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    async def get(self) -> Statistics:
        if self.seconds <= 0:
            return await self._compute()
        if self._value is None:
            async with self._lock:
                if self._value is None:
                    await self._store()
        elif self.clock() - self._at >= self.seconds and (self._refresh is None or self._refresh.done()):
            self._refresh = asyncio.create_task(self._refresh_quietly())
        assert self._value is not None
        return self._value

    async def _compute(self) -> Statistics:
        async with self.sessions() as session:
            return await compute(session, timezone=self.timezone)

    async def _store(self) -> None:
        self._value, self._at = await self._compute(), self.clock()

    async def _refresh_quietly(self) -> None:
        """A failed refresh keeps the previous figures (and is tried again by the next reader)."""
        try:
            async with self._lock:
                await self._store()
        except Exception:
            log.exception("statistics: refresh failed; serving the previous figures")

