"""The public web face under a platform's weight: p99 latency of the board and the open data API, and the
server's memory, with 100,000 proposals and 1,000,000 votes (bench/_seed.py), on SQLite and PostgreSQL.

Oasis runs as `oasis run` in its own process (tests/oasis_process.py), no messenger configured, its jobs
(the tallies fold among them) running as in production. One client asks, one request at a time, the kinds
interleaved:
- board: `/`, the first page, newest first;
- board_search: `/` with a search and a filter (버스 or 공원 or "bus"..., with a category or a status);
- board_sorted: `/` most supported, or recently decided, or page 5;
- proposal: `/p/<id>` of a random proposal (hidden ones included: their page says so);
- stats: `/stats`, if the server has it (else reported as missing);
- api: `/api/proposals.json` (the first page, or with a filter).
Latency = from sending the request to reading the whole body. Then the whole CSV export is downloaded
once (its time and size). Target: p99 < 50 ms each, and the server's peak resident memory (VmHWM) under
200 MB, measured after the pages and again after the CSV.

    .venv/bin/python bench/board.py [--samples 300] [--proposals N --votes N] [--postgres-url URL]

One JSON document goes to stdout; progress to stderr. PostgreSQL: --postgres-url, else
$OASIS_BENCH_POSTGRES_URL, else postgresql+asyncpg://postgres@127.0.0.1:5432/oasis_board_bench (created if
missing); skipped, with the reason, if unreachable. Its schema is wiped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench._load import percentile
from bench._seed import Seeded, Sizes, seed
from bench.vote_storm import machine, postgres_target
from tests.oasis_process import OasisProcess

log = logging.getLogger("board")

TARGET_P99_MS = 50.0
TARGET_RSS_MB = 200.0
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/oasis_board_bench"
KINDS = ("board", "board_search", "board_sorted", "proposal", "stats", "api")
SEARCHES = ("버스", "공원", "bus", "심야버스", "도서관 운영", "parking", "청년")
FILTERS = ("category=transport", "category=environment", "status=open", "status=adopted", "sort=supported")
SORTS = ("sort=supported", "sort=decided", "page=5", "sort=decided&category=welfare", "status=rejected")
API = ("", "?status=adopted", "?category=transport&per_page=50", "?sort=supported", "?q=%EA%B3%B5%EC%9B%90")


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM), from /proc; None where /proc is not there."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Requests:
    """The next path of each kind, from one seeded random source."""

    def __init__(self, seeded: Seeded, rng: random.Random) -> None:
        self.seeded, self.rng = seeded, rng

    def path(self, kind: str) -> str:
        rng = self.rng
        if kind == "board":
            return "/"
        if kind == "board_search":
            return f"/?q={quote(rng.choice(SEARCHES))}&{rng.choice(FILTERS)}"
        if kind == "board_sorted":
            return f"/?{rng.choice(SORTS)}"
        if kind == "proposal":
            return f"/p/{rng.randrange(1, self.seeded.sizes.proposals + 1)}"
        if kind == "stats":
            return "/stats"
        return f"/api/proposals.json{rng.choice(API)}"


async def measure(server: OasisProcess, http: aiohttp.ClientSession, seeded: Seeded, samples: int,
                  warmup: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{server.port}"
    async with http.get(f"{base}/stats") as response:
        await response.read()
        kinds = [k for k in KINDS if k != "stats" or response.status == 200]
        stats_status = response.status
    requests = Requests(seeded, random.Random(7))
    latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
    failures: dict[str, list[str]] = {kind: [] for kind in kinds}
    for round_ in range(warmup + samples):
        for kind in kinds:
            path = requests.path(kind)
            started = time.perf_counter()
            async with http.get(base + path) as response:
                await response.read()
                status = response.status
            took = (time.perf_counter() - started) * 1000
            if status != 200:
                failures[kind].append(f"{status} {path}")
            elif round_ >= warmup:
                latencies[kind].append(took)
        if round_ and round_ % 100 == 0:
            log.info("round %d of %d", round_, warmup + samples)
    assert server.proc is not None
    figures: dict[str, Any] = {}
    for kind in kinds:
        values = sorted(latencies[kind])
        p50, p99 = percentile(values, 50), percentile(values, 99)
        figures[kind] = {"samples": len(values), "p50_ms": None if p50 is None else round(p50, 2),
                         "p99_ms": None if p99 is None else round(p99, 2),
                         "max_ms": round(values[-1], 2) if values else None,
                         "failures": len(failures[kind]), "failed": failures[kind][:5]}
    if "stats" not in kinds:
        figures["stats"] = {"missing": f"/stats answered {stats_status}"}
    return figures


async def download_csv(server: OasisProcess, http: aiohttp.ClientSession) -> dict[str, Any]:
    """The whole CSV export once, read as it streams: how long, how big (the peak RSS is read after it)."""
    started, size, lines = time.perf_counter(), 0, 0
    async with http.get(f"http://127.0.0.1:{server.port}/api/proposals.csv") as response:
        async for block in response.content.iter_chunked(1 << 16):
            size += len(block)
            lines += block.count(b"\r\n")
        status = response.status
    return {"status": status, "seconds": round(time.perf_counter() - started, 2), "megabytes": round(size / 1e6, 1),
            "lines": lines}


async def run_database(name: str, url: str, args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    log.info("%s: seeding %d proposals and %d votes", name, args.proposals, args.votes)
    seeded = await seed(url, Sizes(proposals=args.proposals, votes=args.votes, citizens=args.citizens))
    log_path = Path(tmp) / f"{name}.log"
    with log_path.open("w") as server_log:
        async with aiohttp.ClientSession() as http:
            server = OasisProcess({"OASIS_DATABASE_URL": url, "OASIS_DEFAULT_LANGUAGE": "ko",
                                   "OASIS_PUBLIC_URL": "https://oasis.example"}, server_log, http, "")
            await server.start(within=180)
            assert server.proc is not None
            try:
                log.info("%s: measuring", name)
                figures = await measure(server, http, seeded, args.samples, args.warmup)
                rss_pages = peak_rss_mb(server.proc.pid)
                csv_export = await download_csv(server, http)
                rss = peak_rss_mb(server.proc.pid)
            finally:
                await server.stop()
    if not all(isinstance(f.get("failures"), int) and f["failures"] == 0 for f in figures.values()
               if "missing" not in f):
        log.warning("%s: failures; the server's log:\n%s", name, log_path.read_text()[-4000:])
    measured = [f for f in figures.values() if "p99_ms" in f]
    return {"seed_seconds": seeded.seconds, "rows": seeded.rows, "requests": figures, "csv": csv_export,
            "peak_rss_mb_pages": rss_pages, "peak_rss_mb": rss,
            "latency_target_met": all(f["p99_ms"] is not None and f["p99_ms"] < TARGET_P99_MS and not f["failures"]
                                      for f in measured),
            "memory_target_met": rss is not None and rss < TARGET_RSS_MB}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Sizes()
    parser.add_argument("--samples", type=int, default=300, help="requests of each kind measured")
    parser.add_argument("--warmup", type=int, default=20, help="requests of each kind first, not measured")
    parser.add_argument("--proposals", type=int, default=defaults.proposals)
    parser.add_argument("--votes", type=int, default=defaults.votes)
    parser.add_argument("--citizens", type=int, default=defaults.citizens)
    parser.add_argument("--postgres-url", help=f"default: $OASIS_BENCH_POSTGRES_URL, else {DEFAULT_POSTGRES}")
    parser.add_argument("--databases", type=lambda s: s.split(","), default=["sqlite", "postgres"])
    return parser.parse_args()


async def main() -> dict[str, Any]:
    args = parse_args()
    pg_url, pg_skip = await postgres_target(args.postgres_url, DEFAULT_POSTGRES, ("OASIS_BENCH_POSTGRES_URL",))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="board_") as tmp:
        targets: dict[str, str | None] = {"sqlite": f"sqlite+aiosqlite:///{tmp}/oasis.db", "postgres": pg_url}
        for name in args.databases:
            url = targets[name]
            if url is None:
                results[name] = {"skipped": pg_skip}
                log.warning("%s skipped: %s", name, pg_skip)
                continue
            try:
                results[name] = await run_database(name, url, args, tmp)
            except Exception as exc:  # one broken database must not hide the other's figures
                log.exception("%s failed", name)
                results[name] = {"error": repr(exc)}
    met = [r.get("latency_target_met") and r.get("memory_target_met") for r in results.values()
           if "skipped" not in r]
    return {"benchmark": "board", "target_p99_ms": TARGET_P99_MS, "target_rss_mb": TARGET_RSS_MB,
            "samples": args.samples, "sizes": {"proposals": args.proposals, "votes": args.votes,
                                               "citizens": args.citizens},
            "machine": machine(), "databases": results, "target_met": bool(met) and all(met)}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(json.dumps(asyncio.run(main()), indent=2, ensure_ascii=False))
