"""Growth: what one vote, one `/show` and one `/top` cost in a database the size of a real platform's
(bench/_seed.py: 100,000 proposals, 1,000,000 votes), on SQLite and on PostgreSQL in one run.

Each action goes through the real conversation (bots.conversation.Conversation, configured as `oasis run`
configures it: interactive database limits, durable Telegram replies, one lane on SQLite and four on
PostgreSQL, the `tallies` job folding every 2 s in the background) as a neutral Telegram Inbound:
- vote_hot: a Support press by a new person on a hot proposal (tens of thousands of votes, open in a call);
- vote_tail: a Support press by a new person on an open proposal with a few votes (the settle follow-up
  that checks the threshold runs too);
- show: `/show <id>` of a hot proposal or a random one, by a returning person;
- top: `/top`, and new: `/new` (the first page of five cards), by a returning person.
Samples are taken one at a time, the kinds interleaved; latency = from handing the Inbound to the
conversation to getting its replies (the commit and the follow-ups included). Target: p99 < 50 ms each.

Then the statements each action ran are EXPLAINed (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN
ANALYZE of reads, in a transaction rolled back) and every read of what grows is reported: a full scan of a
growing table, a range over every proposal of a status (SQLite), or a plan node reading more than 1,000
rows of a growing table (PostgreSQL); SQLite's reads are timed too. Finally the cost of counting a hot
proposal's votes the way core/votes.py does today is set against the tally read (core/tallies.py), and the
review sweep's query (core.votes.due_for_review) is timed.

    .venv/bin/python bench/growth.py [--samples 300] [--proposals N --votes N] [--postgres-url URL]

One JSON document goes to stdout; progress to stderr. PostgreSQL: --postgres-url, else
$OASIS_BENCH_POSTGRES_URL, else postgresql+asyncpg://postgres@127.0.0.1:5432/oasis_growth_bench (created if
missing); skipped, with the reason, if unreachable. Its schema is wiped.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench._load import percentile
from bench._seed import Seeded, Sizes, seed
from bench.vote_storm import machine, postgres_target
from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import ButtonPress, Command, Inbound, Reply, Where, Who
from core import mileage, tallies
from core.db import INTERACTIVE, LONG, is_sqlite, make_engine, make_sessions
from core.models import Vote
from core.rules import Rules
from core.votes import due_for_review
from scheduler.jobs import JobEnv, run_job
from tests.replies import words

log = logging.getLogger("growth")

TARGET_P99_MS = 50.0
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/oasis_growth_bench"
RULES = Rules(vote_threshold=5, review_days=14)
KINDS = ("vote_hot", "vote_tail", "show", "top", "new")
GROWING = {"citizens", "identities", "proposals", "votes", "follows", "status_events", "department_reviews",
           "mileage_entries", "outbox", "inbox", "proposal_tallies", "room_messages", "panel_evaluations"}
"""Tables that grow with the platform; tally_changes and proposal_count_changes are emptied every fold."""
MANY_ROWS = 1000  # a PostgreSQL plan node reading more rows than this from a growing table is reported
LOW_CARDINALITY = {"status", "platform", "kind"}
SLOW_READ_MS = 1.0  # SQLite: a read this slow on the seeded database is reported with its plan


class Statements:
    """The statements the conversation's engine runs while `capturing`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.capturing = False
        self.seen: list[tuple[str, Any]] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                executemany: bool) -> None:
        if self.capturing:
            self.seen.append((statement, parameters[0] if executemany and parameters else parameters))

    def take(self) -> list[tuple[str, Any]]:
        taken, self.seen = self.seen, []
        return taken


class Bench:
    """One database: seeded, then measured through the real conversation."""

    def __init__(self, url: str, seeded: Seeded, rng: random.Random) -> None:
        self.url, self.seeded, self.rng = url, seeded, rng
        self.engine = make_engine(url, INTERACTIVE)
        points = {mileage.INFO_KEY: mileage.Mileage()}
        self.sessions = make_sessions(self.engine, info=points)
        # As OasisApp: on PostgreSQL the jobs have a pool of their own; SQLite shares its one connection.
        self.jobs_engine = self.engine if is_sqlite(url) else make_engine(url, LONG, pool_size=2, max_overflow=0)
        self.jobs_sessions = self.sessions if is_sqlite(url) else make_sessions(self.jobs_engine, info=points)
        self.statements = Statements(self.engine)
        config = BotConfig(RULES, "https://oasis.example", "ko", durable_replies=frozenset({"telegram"}))
        self.conversation = Conversation(self.sessions, config, lanes=1 if is_sqlite(url) else 4)
        self.events = itertools.count(1)
        self.new_people = itertools.count(seeded.new_user_ids)
        self.tail = iter(seeded.tail_open)
        self.folds: list[float] = []

    async def close(self) -> None:
        await self.engine.dispose()
        if self.jobs_engine is not self.engine:
            await self.jobs_engine.dispose()

    def inbound(self, user: int, payload: Any) -> Inbound:
        who = Who("telegram", str(user), f"Person {user}", "ko")
        return Inbound("telegram", f"growth-{next(self.events)}", who, Where(str(user)), payload)

    async def action(self, kind: str) -> tuple[Inbound, Callable[[list[Reply]], bool]]:
        """The next Inbound of this kind and a check of its answer."""
        if kind == "vote_hot":
            pid = self.rng.choice(self.seeded.hot_open)
        elif kind == "vote_tail":
            pid = next(self.tail)
        if kind.startswith("vote"):
            return (self.inbound(next(self.new_people), ButtonPress("proposal.vote", str(pid))),
                    lambda replies, pid=pid: any(f"#{pid}" in words(r) for r in replies)
                    and not any("Sorry" in words(r) for r in replies))
        reader = self.seeded.new_user_ids - 1 - self.rng.randrange(50)  # 50 returning readers
        if kind == "show":
            pid = (self.rng.choice(self.seeded.hot)[0] if self.rng.random() < 0.5
                   else self.rng.randrange(1, self.seeded.sizes.proposals + 1))
            return (self.inbound(reader, Command("show", str(pid))),
                    lambda replies, pid=pid: any(f"#{pid}" in words(r) for r in replies))
        return self.inbound(reader, Command(kind)), lambda replies: len(replies) >= 3

    async def run(self, samples: int, warmup: int) -> dict[str, Any]:
        stop = asyncio.Event()
        folder = asyncio.create_task(self._fold_every(2.0, stop))
        latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
        failures: dict[str, int] = dict.fromkeys(KINDS, 0)
        try:
            for round_ in range(warmup + samples):
                for kind in KINDS:
                    inbound, ok = await self.action(kind)
                    started = time.perf_counter()
                    replies = await self.conversation(inbound) or []
                    elapsed = (time.perf_counter() - started) * 1000
                    if not ok(replies):
                        failures[kind] += 1
                        log.warning("%s: unexpected answer %s", kind, [words(r) for r in replies][:3])
                    if round_ >= warmup:
                        latencies[kind].append(elapsed)
                if round_ and round_ % 100 == 0:
                    log.info("%s: %d rounds", self.url.split(":")[0], round_)
        finally:
            stop.set()
            await folder
        figures = {kind: _figures(values, failures[kind]) for kind, values in latencies.items()}
        plans = {kind: await self.explain(kind) for kind in KINDS}
        return {"latency_ms": figures, "plans": plans, "fold_ms": _figures(self.folds, 0)}

    async def _fold_every(self, seconds: float, stop: asyncio.Event) -> None:
        """The `tallies` job, as the scheduler of `oasis run` runs it."""
        env = JobEnv(self.jobs_sessions, RULES)
        while not stop.is_set():
            started = time.perf_counter()
            await run_job(env, "tallies")
            self.folds.append((time.perf_counter() - started) * 1000)
            try:
                await asyncio.wait_for(stop.wait(), seconds)
            except TimeoutError:
                pass

    async def explain(self, kind: str) -> list[dict[str, Any]]:
        """Run one more action of `kind`, then EXPLAIN each statement it ran."""
        inbound, _ok = await self.action(kind)
        self.statements.capturing = True
        try:
            await self.conversation(inbound)
        finally:
            self.statements.capturing = False
        explained = []
        for statement, parameters in self.statements.take():
            verb = statement.lstrip().split(None, 1)[0].upper()
            if verb not in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                continue
            explained.append(await self._explain(statement, parameters))
        return explained

    async def _explain(self, statement: str, parameters: Any) -> dict[str, Any]:
        found: dict[str, Any] = {"sql": re.sub(r"\s+", " ", statement)[:400]}
        reads = statement.lstrip()[:6].upper() in ("SELECT", "WITH")
        async with self.engine.connect() as conn:
            transaction = await conn.begin()
            try:
                if is_sqlite(self.url):
                    rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
                    found["plan"] = [str(row[-1]) for row in rows]
                    if not reads:
                        # A write's plan lists the child tables of its foreign keys: SQLite looks there only
                        # while deferred violations are pending (never in Oasis), so they are not scans.
                        found["plan"] = [line for line in found["plan"] if not line.startswith("SCAN ")]
                    # With a LIMIT and no sort, a SCAN walks an index (or the rowid) in the order asked for and
                    # stops once the page is full: not a read of what grows (its time below says so).
                    walks = " LIMIT " in statement.upper() and not any("TEMP B-TREE" in p for p in found["plan"])
                    found["scans"] = sorted({line for line in found["plan"] if _sqlite_scan(line)
                                             and not (walks and line.startswith("SCAN "))})
                    if reads:
                        found["ms"] = await _timed(conn, statement, parameters)
                        if found["ms"] >= SLOW_READ_MS:  # e.g. a count of a hot proposal's rows
                            found["scans"].append(f"a read of {found['ms']} ms: {'; '.join(found['plan'])}")
                else:
                    # ANALYZE runs the statement: only reads (a write would meet the row it already wrote).
                    options = "ANALYZE, BUFFERS, FORMAT JSON" if reads else "FORMAT JSON"
                    plan = (await conn.exec_driver_sql(f"EXPLAIN ({options}) " + statement, parameters)).scalar_one()
                    root = (json.loads(plan) if isinstance(plan, str) else plan)[0]
                    nodes = list(_nodes(root["Plan"]))
                    found["plan"] = [_describe(node) for node in nodes]
                    found["ms"] = root.get("Execution Time")
                    found["scans"] = sorted({_describe(n) for n in nodes if n.get("Relation Name") in GROWING
                                             and (n.get("Node Type") == "Seq Scan" or _rows_read(n) > MANY_ROWS)})
            except Exception as error:  # a plan we cannot get is reported, not fatal
                found["error"] = repr(error)[:300]
            finally:
                await transaction.rollback()
        return found

    async def count_costs(self, repeat: int = 30) -> dict[str, Any]:
        """A hot proposal's votes counted as core/votes.py counts them (count(*) of its rows), against the
        tally read, and the review sweep's query (core.votes.due_for_review), which groups every vote."""
        pid, votes = self.seeded.hot[0]
        counted = select(func.count()).where(Vote.proposal_id == pid)
        tallied = select(tallies.exact_votes(pid))
        result: dict[str, Any] = {"proposal": pid, "votes": votes}
        async with self.sessions() as session:
            for name, query in (("count_star_ms", counted), ("tally_ms", tallied)):
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    value = await session.scalar(query)
                    times.append((time.perf_counter() - started) * 1000)
                result[name] = _figures(times, 0)
                result[name.replace("_ms", "_value")] = value
            started = time.perf_counter()
            await due_for_review(session, RULES)
            result["review_sweep_query_ms"] = round((time.perf_counter() - started) * 1000, 1)
            await session.rollback()
        return result


def _sqlite_scan(line: str) -> bool:
    """A full scan of a growing table, or a range over a column with a handful of values (every proposal
    of a status) that reads as much."""
    scan = re.match(r"SCAN (\w+)", line)
    if scan:
        return scan.group(1) in GROWING
    search = re.match(r"SEARCH (\w+) USING .*\((\w+)=\?\)$", line)
    return search is not None and search.group(1) in GROWING and search.group(2) in LOW_CARDINALITY


async def _timed(conn: Any, statement: str, parameters: Any, repeat: int = 3) -> float:
    """The fastest of a few runs of a read, in ms (SQLite gives no row counts: time tells what it read)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        (await conn.exec_driver_sql(statement, parameters)).all()
        best = min(best, (time.perf_counter() - started) * 1000)
    return round(best, 2)


def _nodes(node: dict[str, Any]) -> Any:
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _rows_read(node: dict[str, Any]) -> float:
    return (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)


def _describe(node: dict[str, Any]) -> str:
    where = f" on {node['Relation Name']}" if "Relation Name" in node else ""
    index = f" using {node['Index Name']}" if "Index Name" in node else ""
    return f"{node.get('Node Type')}{where}{index} (rows read {int(_rows_read(node))})"


def _figures(values: list[float], failures: int) -> dict[str, Any]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {"samples": len(values), "p50": ms(percentile(values, 50)), "p99": ms(percentile(values, 99)),
            "max": ms(max(values, default=None)), "failures": failures}


async def run_database(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    log.info("%s: seeding %d proposals, %d votes", name, args.proposals, args.votes)
    seeded = await seed(url, Sizes(proposals=args.proposals, votes=args.votes, citizens=args.citizens))
    bench = Bench(url, seeded, random.Random(7))
    try:
        measured = await bench.run(args.samples, args.warmup)
        measured["count_costs"] = await bench.count_costs()
    finally:
        await bench.close()
    p99s = {kind: measured["latency_ms"][kind]["p99"] for kind in KINDS}
    scans = {kind: sorted({f"{t} in: {plan['sql'][:120]}" for plan in measured["plans"][kind]
                            for t in plan.get("scans", ())}) for kind in KINDS}
    return {"seed": {"seconds": seeded.seconds, "rows": seeded.rows, "statuses": seeded.statuses,
                     "received_per_year": seeded.years, "hot": seeded.hot[:5]},
            "p99_ms": p99s, "reads_of_what_grows": scans,
            "latency_target_met": all(p is not None and p < TARGET_P99_MS for p in p99s.values())
            and not any(measured["latency_ms"][k]["failures"] for k in KINDS),
            "no_reads_of_what_grows": not any(scans.values()),
            **measured}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", help="default: $OASIS_BENCH_POSTGRES_URL, else "
                        f"{DEFAULT_POSTGRES} (created if missing). Its schema is wiped.")
    parser.add_argument("--samples", type=int, default=300, help="measured samples of each kind")
    parser.add_argument("--warmup", type=int, default=20, help="rounds not measured")
    defaults = Sizes()
    parser.add_argument("--proposals", type=int, default=defaults.proposals)
    parser.add_argument("--votes", type=int, default=defaults.votes)
    parser.add_argument("--citizens", type=int, default=defaults.citizens)
    parser.add_argument("--databases", type=lambda s: s.split(","), default=["sqlite", "postgres"])
    return parser.parse_args()


async def main() -> dict[str, Any]:
    args = parse_args()
    pg_url, pg_skip = await postgres_target(args.postgres_url, DEFAULT_POSTGRES, ("OASIS_BENCH_POSTGRES_URL",))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="growth_") as tmp:
        targets: dict[str, str | None] = {"sqlite": f"sqlite+aiosqlite:///{tmp}/oasis.db", "postgres": pg_url}
        for name in args.databases:
            url = targets[name]
            if url is None:
                results[name] = {"skipped": pg_skip}
                log.warning("%s skipped: %s", name, pg_skip)
                continue
            try:
                results[name] = await run_database(name, url, args)
            except Exception as exc:  # one broken database must not hide the other's figures
                log.exception("%s failed", name)
                results[name] = {"error": repr(exc)}
    met = [r.get("latency_target_met") and r.get("no_reads_of_what_grows") for r in results.values()
           if "skipped" not in r]
    return {"benchmark": "growth", "target_p99_ms": TARGET_P99_MS, "samples": args.samples,
            "sizes": {"proposals": args.proposals, "votes": args.votes, "citizens": args.citizens},
            "machine": machine(), "databases": results, "target_met": bool(met) and all(met)}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(json.dumps(asyncio.run(main()), indent=2, ensure_ascii=False))
