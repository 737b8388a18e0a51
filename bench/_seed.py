"""A realistic, large Oasis database in a minute or two, for the benchmarks that need one (bench/growth.py,
and the web board's bench/board.py): `await seed(url, Sizes(...))` wipes the database at `url`, migrates it
and fills it; it returns a `Seeded` that names the proposals worth measuring.

What it holds (the defaults; every figure scales with `Sizes`):
- 200,000 citizens, each with a Telegram or Slack identity (3 % with both, as after /link), two officials
  per department, an admin and a moderator;
- 100,000 proposals over `years` years (more each year), ids in creation order, in every category and its
  department (5 % routed elsewhere), Korean and English titles; statuses spread as on a real platform: most
  open, then rejected, closed, adopted, withdrawn, under review, implemented, implementing, with the expert
  panel, hidden; the ones under review recent, with deadlines (some overdue);
- themed calls: two open now, four closed in the past, with their proposals;
- 1,000,000 votes, skewed: `hot` proposals with tens of thousands each (a few of them open, in an open
  call, so that people can still support them), decided proposals with a heavy tail, open ones below the
  threshold (5); voters drawn more often from an active fifth of the citizens;
- follows: every voter and every author follows, as the vote and submit paths do;
- the search terms of every proposal's title and description (core/search.py);
- the public history of each proposal (status events with actors, reasons and times) and a department
  opinion for each one reviewed, with days to opinion spread over 2–30.
Not seeded: mileage entries, comments and the dialogue room, the inbox and outbox.

Loading bypasses the ORM: stdlib sqlite3 `executemany` in one transaction on SQLite, asyncpg `COPY` on
PostgreSQL, with triggers (and on PostgreSQL foreign-key checks, via session_replication_role) off, then
`core.tallies.rebuild` counts the tallies once. PostgreSQL is vacuumed and analysed afterwards, as
autovacuum would; SQLite is left without statistics, as Oasis leaves it.

    .venv/bin/python bench/_seed.py URL [--proposals N] [--votes N]   # prints the summary as JSON
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core import tallies
from core.clock import utcnow
from core.db import is_sqlite, make_engine, make_sessions
from core.models import Category
from core.search import term_pairs
from tests.dbutil import fresh_database

log = logging.getLogger("seed")

THRESHOLD = 5  # OASIS_VOTE_THRESHOLD's default: open proposals outside a call stay below it
NEW_USER_IDS = 900_000_000  # Telegram user ids from here on are free: people the benchmark brings in

# (status, share of proposals)
STATUSES = [("open", 0.60), ("rejected", 0.12), ("closed", 0.06), ("adopted", 0.05), ("withdrawn", 0.04),
            ("under_review", 0.04), ("implemented", 0.03), ("implementing", 0.02), ("panel_review", 0.02),
            ("hidden", 0.02)]
REVIEWED = {"panel_review", "adopted", "implementing", "implemented", "rejected"}
PLACES_KO = ["강남역", "홍대입구", "여의도", "종로", "잠실", "노원구", "마포구", "성수동", "신촌", "한강공원", "은평구"]
PLACES_EN = ["Gangnam", "Hongdae", "Yeouido", "Jongno", "Jamsil", "Nowon", "Mapo", "Seongsu", "Sinchon"]
TOPICS = {
    "transport": (["심야버스", "버스 노선", "자전거 도로", "횡단보도", "지하철 환승", "공영 주차장"],
                  ["night buses", "bus routes", "bike lanes", "crosswalks", "subway transfers", "parking"]),
    "environment": (["공원 녹지", "미세먼지 측정", "재활용 수거", "가로수", "쓰레기통"],
                    ["park greenery", "air quality sensors", "recycling pickup", "street trees", "trash bins"]),
    "welfare": (["어르신 돌봄", "아동 돌봄", "장애인 이동 지원", "무료 급식"],
                ["elderly care", "childcare", "disabled access", "free meals"]),
    "safety": (["가로등", "CCTV", "소방 점검", "재난 대피소"],
               ["streetlights", "CCTV", "fire inspections", "disaster shelters"]),
    "culture": (["도서관 운영", "거리 축제", "야외 공연", "체육 시설"],
                ["library hours", "street festivals", "outdoor concerts", "sports facilities"]),
    "economy": (["소상공인 지원", "청년 창업", "전통 시장", "일자리 박람회"],
                ["small business support", "youth startups", "traditional markets", "job fairs"]),
    "housing": (["청년 임대주택", "전세 사기 예방", "재개발 안내", "아파트 관리"],
                ["youth rental housing", "lease fraud prevention", "redevelopment notices", "apartment upkeep"]),
    "administration": (["민원 처리", "행정 서식", "청사 개방", "공무원 응대"],
                       ["civil petitions", "administrative forms", "city hall opening", "counter service"]),
}
ACTIONS_KO = ["확대", "신설", "개선", "시간 연장", "안전 강화", "온라인 신청"]
ACTIONS_EN = ["Expand", "Create", "Improve", "Extend the hours of", "Make safer", "Put online"]
REJECT_CODES = ["law", "budget", "duplicate", "already_done", "not_city", "infeasible", "other"]


@dataclass(frozen=True)
class Sizes:
    proposals: int = 100_000
    votes: int = 1_000_000
    citizens: int = 200_000
    years: int = 5
    hot: int = 12
    """Proposals with tens of thousands of votes each (scaled with `votes`); the first three are open."""
    seed: int = 11


@dataclass
class Seeded:
    """What was loaded, and the proposals a benchmark can measure."""

    url: str
    sizes: Sizes
    rows: dict[str, int]
    seconds: float
    hot: list[tuple[int, int]] = field(default_factory=list)
    """(proposal id, votes) of the hot proposals, most supported first."""
    hot_open: list[int] = field(default_factory=list)
    """Hot proposals still open (in an open themed call): a new person's Support counts."""
    tail_open: list[int] = field(default_factory=list)
    """Open proposals outside calls with at most THRESHOLD - 3 votes: one more leaves them open."""
    new_user_ids: int = NEW_USER_IDS
    statuses: dict[str, int] = field(default_factory=dict)
    years: dict[int, int] = field(default_factory=dict)
    """Proposals received per year."""


@dataclass
class _History:
    """One proposal's status events, each some days after the one before (never in the future)."""

    pid: int
    at: datetime
    now: datetime
    rng: random.Random
    events: list[tuple[Any, ...]]

    def step(self, frm: str, to: str, actor: int | None, days: tuple[float, float], code: str | None = None,
             reason: str | None = None) -> datetime:
        self.at = min(self.at + timedelta(days=self.rng.uniform(*days)), self.now - timedelta(minutes=1))
        self.events.append((self.pid, frm, to, actor, code, reason, self.at, None))
        return self.at


class _Plan:
    """Every row, generated from one seeded random source (the same sizes give the same database)."""

    def __init__(self, sizes: Sizes, categories: dict[str, str], now: datetime) -> None:
        self.sizes, self.categories, self.now = sizes, categories, now
        self.rng = random.Random(sizes.seed)
        self.tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        self.vote_counts: list[int] = []
        self.seeded = Seeded("", sizes, {}, 0.0)

    def build(self) -> None:
        self._people()
        self._calls()
        self._proposals()
        self._histories()
        self._vote_counts()

    def _add(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.tables[table] = (columns, rows)

    def _moment(self, start: datetime, end: datetime) -> datetime:
        span = max((end - start).total_seconds(), 1.0)
        return start + timedelta(seconds=self.rng.random() * span)

    def _people(self) -> None:
        n, rng, start = self.sizes.citizens, self.rng, self.now - timedelta(days=365 * self.sizes.years)
        family = "김이박최정강조윤장임한오서신권황안송류홍"
        given = "민서준지현우수영하은도윤예진성호"
        citizens, identities = [], []
        for cid in range(1, n + 1):
            korean = rng.random() < 0.8
            name = (rng.choice(family) + rng.choice(given) + rng.choice(given)) if korean else f"Citizen {cid}"
            joined = self._moment(start, self.now)
            citizens.append((cid, name, "ko" if korean else "en", joined))
            platforms = ["telegram"] if rng.random() < 0.85 else ["slack"]
            if rng.random() < 0.03:
                platforms.append("slack" if platforms[0] == "telegram" else "telegram")
            for platform in platforms:
                user = str(10_000_000 + cid) if platform == "telegram" else f"U{cid:09X}"
                identities.append((cid, platform, user, name, "ko" if korean else "en", user, joined))
        self._add("citizens", ["id", "display_name", "language", "created_at"], citizens)
        self._add("identities", ["citizen_id", "platform", "user_id", "display_name", "locale", "direct_chat_id",
                                 "last_seen_at"], identities)
        departments = sorted(set(self.categories.values()))
        self.officials = {d: [1 + i * 2, 2 + i * 2] for i, d in enumerate(departments)}
        self.admin, self.moderator = 2 * len(departments) + 1, 2 * len(departments) + 2
        grants: list[tuple[int, str, str | None, datetime]] = [
            (cid, "official", d, start) for d, ids in self.officials.items() for cid in ids]
        grants += [(self.admin, "admin", None, start), (self.moderator, "moderator", None, start)]
        self._add("role_grants", ["citizen_id", "role", "department_code", "granted_at"], grants)

    def _calls(self) -> None:
        departments = sorted(set(self.categories.values()))
        calls = []
        for i in range(6):
            department = departments[i % len(departments)]
            if i < 2:  # open now
                opens, closes = self.now - timedelta(days=20 + 5 * i), self.now + timedelta(days=25)
                closed = None
            else:
                opens = self.now - timedelta(days=120 * i)
                closes = opens + timedelta(days=30)
                closed = closes
            calls.append((i + 1, department, f"공모 {i + 1}: 우리 동네를 바꾸는 아이디어", "시민 제안 공모",
                          opens, closes, opens, closed, self.admin, opens))
        self.calls = calls
        self._add("calls", ["id", "department_code", "title", "description", "opens_at", "closes_at", "opened_at",
                            "closed_at", "created_by", "created_at"], calls)

    def _proposals(self) -> None:
        sizes, rng = self.sizes, self.rng
        weights = [1.0 + year for year in range(sizes.years)]  # more proposals each year
        first = self.now - timedelta(days=365 * sizes.years)
        moments = []
        for _ in range(sizes.proposals):
            year = rng.choices(range(sizes.years), weights)[0]
            at = first + timedelta(days=365 * year + rng.random() * 365)
            moments.append(min(at, self.now - timedelta(minutes=5)))
        moments.sort()
        codes = list(self.categories)
        category_weights = [3, 2, 2, 1.5, 1.2, 1, 1.3, 0.8][:len(codes)] + [1.0] * max(0, len(codes) - 8)
        status_names, status_weights = zip(*STATUSES, strict=True)
        hot_ids = set(rng.sample(range(1, sizes.proposals + 1), min(sizes.hot, sizes.proposals)))
        self.hot_order = sorted(hot_ids)
        rng.shuffle(self.hot_order)
        open_hot = set(self.hot_order[:3])
        rows, self.meta = [], []
        for pid, created in enumerate(moments, start=1):
            category = rng.choices(codes, category_weights)[0]
            department = self.categories[category]
            if rng.random() < 0.05:
                department = self.categories[rng.choice(codes)]
            status = rng.choices(status_names, status_weights)[0]
            call_id = None
            if pid in hot_ids:
                status = "open" if pid in open_hot else rng.choice(["adopted", "implementing", "under_review",
                                                                    "panel_review", "rejected", "implemented"])
            if pid in open_hot or (status == "open" and rng.random() < 0.01):
                call = self.calls[rng.randrange(2)] if pid in open_hot or rng.random() < 0.5 \
                    else self.calls[2 + rng.randrange(4)]
                call_id, department = call[0], call[1]
                if call[7] is not None:  # a closed call's proposals went to review together
                    status = rng.choice(["rejected", "adopted"])
                created = self._moment(call[4], min(call[5], self.now) - timedelta(minutes=5))
            if status in ("under_review", "panel_review"):
                created = self.now - timedelta(days=rng.uniform(3, 40))
            elif status in REVIEWED | {"closed"} and created > self.now - timedelta(days=120):
                created -= timedelta(days=120)
            korean = rng.random() < 0.7
            topics = TOPICS.get(category, TOPICS["administration"])
            if korean:
                topic = rng.choice(topics[0])
                title = f"{rng.choice(PLACES_KO)} {topic} {rng.choice(ACTIONS_KO)}"
                text = (f"{title}을(를) 제안합니다. {topic} 문제로 주민들이 불편을 겪고 있습니다. "
                        f"시범 사업 후 다른 지역으로 확대하면 좋겠습니다.")
            else:
                topic = rng.choice(topics[1])
                title = f"{rng.choice(ACTIONS_EN)} {topic} in {rng.choice(PLACES_EN)}"
                text = (f"{title}. Residents wait too long for {topic} today. "
                        "A pilot first, then the rest of the city.")
            author = self._citizen()
            self.meta.append((pid, status, created, author, department, call_id))
            rows.append([pid, author, "call" if call_id else "free", title, text, category, department, status,
                         created, created, None, None, call_id])
        self.proposal_rows = rows
        self.seeded.statuses = {}
        self.seeded.years = {}
        for _pid, status, created, *_ in self.meta:
            self.seeded.statuses[status] = self.seeded.statuses.get(status, 0) + 1
            if status != "hidden":
                self.seeded.years[created.year] = self.seeded.years.get(created.year, 0) + 1

    def _citizen(self) -> int:
        """A citizen, from the active fifth half of the time."""
        n = self.sizes.citizens
        return self.rng.randrange(1, max(2, n // 5)) if self.rng.random() < 0.5 else self.rng.randrange(1, n + 1)

    def _histories(self) -> None:
        rng, events, reviews = self.rng, [], []
        for index, (pid, status, created, author, department, call_id) in enumerate(self.meta):
            events.append((pid, None, "open", author, None, None, created, None))
            history = _History(pid, created, self.now, rng, events)
            official = rng.choice(self.officials.get(department, [self.admin]))
            row, last = self.proposal_rows[index], created
            if status in ("withdrawn", "closed", "hidden"):
                actor = {"withdrawn": author, "closed": None, "hidden": self.moderator}[status]
                reason = "광고성 게시물" if status == "hidden" else None
                last = history.step("open", status, actor, (1, 60), reason=reason)
            elif status != "open":
                entered = history.step("open", "under_review", None, (0.5, 30) if call_id is None else (0, 0.1))
                row[10] = entered + timedelta(days=14)  # review_deadline: some of those under review are overdue
                last = entered
                if status in REVIEWED:
                    rejects = status == "rejected" and rng.random() < 0.7
                    code = rng.choice(REJECT_CODES) if rejects else None
                    why = "관련 법령상 시에서 추진하기 어렵습니다." if rejects else None
                    opinion = history.step("under_review", "rejected" if rejects else "panel_review", official,
                                           (2, 30), code, why)
                    reviews.append((pid, department, official, "reject" if rejects else "forward",
                                    "필요성이 인정됩니다.", "효과가 기대됩니다.", "추진 가능합니다.",
                                    rng.randrange(1, 500) * 1_000_000, code, "검토 의견입니다.", opinion))
                    last = opinion
                    if not rejects:
                        row[11] = opinion + timedelta(days=14)  # panel_deadline
                        last = self._decide(history, status, official) or last
            row[9] = last  # status_changed_at
        self._add("status_events", ["proposal_id", "from_status", "to_status", "actor_id", "reason_code",
                                    "reason_text", "created_at", "details"], events)
        self._add("department_reviews", ["proposal_id", "department_code", "official_id", "recommendation",
                                         "necessity", "effectiveness", "feasibility", "budget_krw", "reason_code",
                                         "explanation", "created_at"], reviews)
        self._add("proposals", ["id", "author_id", "kind", "title", "description", "category_code",
                                "department_code", "status", "created_at", "status_changed_at", "review_deadline",
                                "panel_deadline", "call_id"], [tuple(r) for r in self.proposal_rows])

    def _decide(self, history: _History, status: str, official: int) -> datetime | None:
        """The admin's decision after the panels, and implementation; the time of the last step, if any."""
        if status == "panel_review":
            return None
        decided = "rejected" if status == "rejected" else "adopted"
        last = history.step("panel_review", decided, self.admin, (5, 30), "budget" if decided == "rejected" else None,
                            "예산 여건상 어렵습니다." if decided == "rejected" else "채택합니다.")
        if status in ("implementing", "implemented"):
            last = history.step("adopted", "implementing", official, (10, 60), reason="착수했습니다.")
        if status == "implemented":
            last = history.step("implementing", "implemented", official, (30, 200), reason="완료했습니다.")
        return last

    def _vote_counts(self) -> None:
        """Votes per proposal: the hot ones first, open ones below the threshold, the rest a heavy tail."""
        sizes, rng = self.sizes, self.rng
        scale = sizes.votes / 1_000_000
        hot_sizes = [max(THRESHOLD, int(scale * v)) for v in
                     (60_000, 48_000, 40_000, 34_000, 28_000, 24_000, 20_000, 17_000, 14_000, 12_000, 10_000)]
        counts = [0] * len(self.meta)
        hot = {pid: min(hot_sizes[i % len(hot_sizes)], sizes.citizens) for i, pid in enumerate(self.hot_order)}
        tail_weights: dict[int, float] = {}
        for pid, status, _created, _author, _department, call_id in self.meta:
            if pid in hot:
                counts[pid - 1] = hot[pid]
            elif status in ("open", "withdrawn", "closed", "hidden") and call_id is None:
                counts[pid - 1] = min(THRESHOLD - 1, int(rng.expovariate(0.8)))
            else:
                counts[pid - 1] = THRESHOLD
                tail_weights[pid] = rng.paretovariate(1.3)
        left = max(0, sizes.votes - sum(counts))
        total_weight = sum(tail_weights.values()) or 1.0
        for pid, weight in tail_weights.items():
            counts[pid - 1] = min(sizes.citizens, counts[pid - 1] + int(left * weight / total_weight))
        shortfall = sizes.votes - sum(counts)
        for pid in sorted(tail_weights, key=tail_weights.__getitem__, reverse=True):
            if shortfall <= 0:
                break
            extra = min(shortfall, sizes.citizens - counts[pid - 1])
            counts[pid - 1] += extra
            shortfall -= extra
        self.vote_counts = counts
        self.seeded.hot = sorted(((pid, counts[pid - 1]) for pid in hot), key=lambda x: -x[1])
        self.seeded.hot_open = list(self.hot_order[:3])
        self.seeded.tail_open = [pid for pid, status, _c, _a, _d, call_id in self.meta
                                 if status == "open" and call_id is None and counts[pid - 1] <= THRESHOLD - 3][:5000]

    def search_terms(self, chunk: int = 200_000) -> Iterator[list[tuple[int, str]]]:
        """(proposal id, term) rows of every proposal's title and description (core/search.py), in chunks."""
        rows: list[tuple[int, str]] = []
        for pair in term_pairs((int(r[0]), str(r[3]), str(r[4])) for r in self.proposal_rows):
            rows.append(pair)
            if len(rows) >= chunk:
                yield rows
                rows = []
        yield rows

    def votes_and_follows(self, chunk: int = 100_000) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        """(votes, follows) rows in chunks: every voter follows, and so does every author."""
        rng, n = self.rng, self.sizes.citizens
        active = range(1, max(2, n // 5))
        votes: list[tuple[Any, ...]] = []
        follows: list[tuple[Any, ...]] = []
        for (pid, _status, created, author, *_), count in zip(self.meta, self.vote_counts, strict=True):
            if count and count <= len(active) // 2 and rng.random() < 0.5:
                voters = rng.sample(active, count)
            else:
                voters = rng.sample(range(1, n + 1), count)
            end = min(self.now, created + timedelta(days=45))
            span = max((end - created).total_seconds(), 1.0)
            for cid in voters:
                at = created + timedelta(seconds=rng.random() * span)
                votes.append((pid, cid, at))
                follows.append((pid, cid, at))
            if author not in set(voters):
                follows.append((pid, author, created))
            if len(votes) >= chunk:
                yield votes, follows
                votes, follows = [], []
        yield votes, follows


async def seed(url: str, sizes: Sizes | None = None, *, now: datetime | None = None) -> Seeded:
    """Wipe the database at `url` (its schema is rebuilt by the real migrations) and fill it; see above."""
    sizes = sizes or Sizes()
    started = time.perf_counter()
    engine, sessions = await fresh_database(url)
    try:
        async with sessions() as session:
            categories = {c.code: c.department_code for c in (await session.scalars(
                select(Category).order_by(Category.position))).all()}
    finally:
        await engine.dispose()
    plan = _Plan(sizes, categories, now or utcnow())
    plan.build()
    log.info("seed: plan ready in %.1f s", time.perf_counter() - started)
    if is_sqlite(url):
        rows = await asyncio.to_thread(_load_sqlite, str(make_url(url).database), plan)
    else:
        rows = await _load_postgres(url, plan)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    try:
        async with sessions() as session, session.begin():
            await tallies.rebuild(session)
    finally:
        await engine.dispose()
    if not is_sqlite(url):
        await _vacuum(url)
    seeded = plan.seeded
    seeded.url, seeded.rows, seeded.seconds = url, rows, round(time.perf_counter() - started, 1)
    log.info("seed: %s in %.1f s", rows, seeded.seconds)
    return seeded


def _sqlite_value(value: Any) -> Any:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _load_sqlite(path: str, plan: _Plan) -> dict[str, int]:
    conn = sqlite3.connect(path, isolation_level=None)
    counts: dict[str, int] = {}
    try:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        conn.execute("BEGIN")
        for name, _sql in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')

        def insert(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
            marks = ", ".join("?" for _ in columns)
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                             ([_sqlite_value(v) for v in row] for row in rows))
            counts[table] = counts.get(table, 0) + len(rows)

        for table in ("citizens", "identities", "role_grants", "calls", "proposals", "status_events",
                      "department_reviews"):
            insert(table, *plan.tables[table])
        for terms in plan.search_terms():
            insert("search_terms", ["proposal_id", "term"], terms)
        for votes, follows in plan.votes_and_follows():
            insert("votes", ["proposal_id", "citizen_id", "created_at"], votes)
            insert("follows", ["proposal_id", "citizen_id", "created_at"], follows)
        for _name, sql in triggers:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return counts


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _load_postgres(url: str, plan: _Plan) -> dict[str, int]:
    conn = await asyncpg.connect(_plain(url))
    counts: dict[str, int] = {}
    try:
        # Triggers off (ours and the foreign-key checks: the plan is consistent by construction).
        await conn.execute("SET session_replication_role = replica")
        async with conn.transaction():
            async def copy(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
                await conn.copy_records_to_table(table, records=rows, columns=list(columns))
                counts[table] = counts.get(table, 0) + len(rows)

            for table in ("citizens", "identities", "role_grants", "calls", "proposals", "status_events",
                          "department_reviews"):
                await copy(table, *plan.tables[table])
            for terms in plan.search_terms():
                await copy("search_terms", ["proposal_id", "term"], terms)
            for votes, follows in plan.votes_and_follows():
                await copy("votes", ["proposal_id", "citizen_id", "created_at"], votes)
                await copy("follows", ["proposal_id", "citizen_id", "created_at"], follows)
            for table in ("citizens", "proposals", "calls"):
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT max(id) FROM {table}))")
    finally:
        await conn.close()
    return counts


async def _vacuum(url: str) -> None:
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="SQLAlchemy URL of the database to wipe and fill")
    defaults = Sizes()
    for name in ("proposals", "votes", "citizens", "years", "hot", "seed"):
        parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    args = parser.parse_args()
    sizes = Sizes(**{name: getattr(args, name) for name in ("proposals", "votes", "citizens", "years", "hot",
                                                             "seed")})
    seeded = asyncio.run(seed(args.url, sizes))
    summary = asdict(seeded)
    summary["tail_open"] = len(seeded.tail_open)
    print(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    main()
