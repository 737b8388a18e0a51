"""Fan-out at the limit: a department's decision on a proposal with 3,000 supporters on Telegram and 500
on Slack, through the real `oasis run` (a subprocess) against the Telegram Bot API and Slack Web API
doubles, which answer 429 beyond the platforms' limits. Measured: time until the last notice, the
achieved Telegram rate as a share of TELEGRAM_MAX_MESSAGES_PER_SECOND, 429s received, and the webhook's
acknowledgement latency for a light load of updates posted meanwhile. A second run kills the server
(`kill -9`) halfway and restarts it: notices lost, sent twice (and how many were in flight at the kill),
and seconds from the restart to the first notice sent. On SQLite and on PostgreSQL.

    .venv/bin/python bench/fanout.py            # about 10 minutes; --quick: 600 + 100 supporters
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

import aiohttp
from sqlalchemy import func, insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._load import percentile
from bench.vote_storm import machine, postgres_target
from core.citizens import Actor, ensure_identity, grant_role
from core.clock import utcnow
from core.models import Citizen, Follow, Identity, OutboxMessage, Proposal, Vote
from core.outbox import SENT
from core.proposals import submit
from tests.dbutil import fresh_database
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_requests import SIGNING_SECRET
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import callback_update, message_update
from tests.e2e.harness import SECRET, TOKEN
from tests.oasis_process import OasisProcess

log = logging.getLogger("fanout")

TELEGRAM_RATE = 30.0  # TELEGRAM_MAX_MESSAGES_PER_SECOND, the default
SLACK_POST_LIMIT = (1.0, 3.0)  # chat.postMessage per channel: ~1 a second with short bursts
SLACK_OPEN_LIMIT = (50 / 60, 10.0)  # conversations.open: ~50 a minute
OFFICIAL, AUTHOR = 2, 1
FIRST_TG, FIRST_LOAD, FIRST_PRESS = 10_000_000, 20_000_000, 30_000_000
TARGET_SHARE, TARGET_P99_MS, TARGET_RESUME_S = 0.97, 250.0, 5.0
METHOD = (
    "Fresh database per run, seeded with one proposal under review whose supporters (votes and follows) "
    "are N Telegram accounts and M Slack accounts whose DM channel is known. The official's "
    "`/review 1 reject budget ...` is posted to the real webhook of `oasis run` (a subprocess, "
    "TELEGRAM_MAX_MESSAGES_PER_SECOND=30); the Telegram double takes 30 messages a second with bursts of 30 "
    "and answers 429 beyond, the Slack double 1 chat.postMessage a second per channel (bursts of 3) and ~50 "
    "conversations.open a minute. Meanwhile new people post /help at the load rate (their answers share the "
    "bot's rate), and other new people press Support on an open proposal (#2, threshold 10^6) at the press "
    "rate (answered in the webhook response, so a vote is stored and answered in each); latency = time to "
    "the webhook's 200. Time to last notice = from posting the decision to the doubles accepting the last "
    "notice. Telegram share = every message the Telegram double accepted (notices and answers) between the "
    "first and the last notice, per second, over the configured rate. Kill run: the server is killed with "
    "SIGKILL once half the notices were accepted, then started again; in flight = notices the doubles "
    "accepted that Oasis had not recorded as sent; resume = from starting the new process (and from its "
    "/healthz answering) to the next notice accepted."
)


class Doubles:
    """Both API doubles, with the limits, noting when each notice to a supporter was accepted."""

    def __init__(self, telegram: int, slack: int) -> None:
        self.tg = TelegramApiDouble(bot_limit=(TELEGRAM_RATE, TELEGRAM_RATE))
        self.slack = SlackApiDouble()
        self.slack.limits = {"chat.postMessage": SLACK_POST_LIMIT, "conversations.open": SLACK_OPEN_LIMIT}
        self.tg_people = {str(FIRST_TG + n) for n in range(telegram)}
        self.slack_dms = {SlackApiDouble.dm_of(slack_user(n)) for n in range(slack)}
        for n in range(slack):
            self.slack.add_user(slack_user(n))
        self.notices: list[tuple[float, str]] = []  # (monotonic time, recipient) of each accepted notice
        self.tg_accepted: list[float] = []  # every message the bot got through, notices or answers
        tg_send, slack_post = self.tg._api_sendmessage, self.slack._api_chat_postMessage

        async def on_telegram(params: dict[str, Any]) -> Any:
            result = await tg_send(params)
            now = time.monotonic()
            self.tg_accepted.append(now)
            if str(params.get("chat_id")) in self.tg_people:
                self.notices.append((now, str(params["chat_id"])))
            return result

        def on_slack(params: dict[str, Any]) -> dict[str, Any]:
            result = slack_post(params)
            if str(params.get("channel")) in self.slack_dms:
                self.notices.append((time.monotonic(), str(params["channel"])))
            return result

        self.tg._api_sendmessage = on_telegram  # type: ignore[method-assign]
        self.slack._api_chat_postMessage = on_slack  # type: ignore[method-assign]

    @property
    def recipients(self) -> int:
        return len(self.tg_people) + len(self.slack_dms)

    def copies(self) -> Counter[str]:
        return Counter(who for _, who in self.notices)

    def limited(self) -> dict[str, int]:
        return {"telegram": self.tg.over_bot_limit, **{f"slack {m}": n for m, n in self.slack.over_limit.items()}}


def slack_user(n: int) -> str:
    return f"U{n:07d}"


async def seed(url: str, telegram: int, slack: int) -> None:
    """One proposal under review (#1), its author and an official of its department, and its supporters."""
    engine, sessions = await fresh_database(url)
    try:
        async with sessions() as session, session.begin():
            author = await ensure_identity(session, "telegram", str(AUTHOR), display_name="Author")
            await ensure_identity(session, "telegram", str(OFFICIAL), display_name="Official")
            await grant_role(session, "telegram", str(OFFICIAL), "official", "transport")
            proposal = await submit(session, Actor(author.citizen_id, frozenset()), title="Night buses",
                                    description="Buses every 20 minutes after midnight.", category="transport")
            await submit(session, Actor(author.citizen_id, frozenset()), title="Shade at bus stops",  # #2: pressed
                         description="Trees or roofs at every bus stop.", category="transport")
            await session.execute(update(Proposal).where(Proposal.id == proposal.id).values(
                status="under_review", review_deadline=utcnow().replace(year=utcnow().year + 1)))
        accounts = ([("telegram", str(FIRST_TG + n), None) for n in range(telegram)]
                    + [("slack", slack_user(n), SlackApiDouble.dm_of(slack_user(n))) for n in range(slack)])
        now = utcnow()
        async with sessions() as session, session.begin():
            connection = await session.connection()
            for start in range(0, len(accounts), 1000):
                chunk = accounts[start:start + 1000]
                ids = (await connection.execute(insert(Citizen).returning(Citizen.id, sort_by_parameter_order=True),
                                                [{"display_name": f"P{start + n}", "created_at": now}
                                                 for n in range(len(chunk))])).scalars().all()
                await connection.execute(insert(Identity), [
                    {"citizen_id": cid, "platform": p, "user_id": u, "display_name": f"P{u}", "direct_chat_id": d,
                     "locale": "en", "last_seen_at": now} for cid, (p, u, d) in zip(ids, chunk, strict=True)])
                await connection.execute(insert(Vote), [{"proposal_id": proposal.id, "citizen_id": cid,
                                                         "created_at": now} for cid in ids])
                await connection.execute(insert(Follow), [{"proposal_id": proposal.id, "citizen_id": cid,
                                                           "created_at": now} for cid in ids])
    finally:
        await engine.dispose()


def oasis_server(url: str, doubles: Doubles, log: IO[str], http: aiohttp.ClientSession) -> OasisProcess:
    """`oasis run` as a subprocess, so that it can be killed like a crash kills it."""
    return OasisProcess({
        "OASIS_DATABASE_URL": url, "OASIS_DEFAULT_LANGUAGE": "en", "OASIS_VOTE_THRESHOLD": "1000000",
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": doubles.tg.base_url,
        "TELEGRAM_WEBHOOK_URL": "https://oasis.test/telegram/webhook", "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_MAX_MESSAGES_PER_SECOND": str(TELEGRAM_RATE), "SLACK_BOT_TOKEN": doubles.slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": doubles.slack.base_url,
    }, log, http, SECRET)


class Load:
    """New people posting /help (or pressing Support on #2) at `rate` a second while the fan-out runs;
    their acks timed."""

    def __init__(self, server: OasisProcess, rate: float, *, press: bool = False) -> None:
        self.server, self.rate, self.press = server, rate, press
        self.latencies: list[float] = []
        self.failed = 0
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        if self.rate <= 0:
            return
        started = time.monotonic()
        for n in itertools.count():
            delay = started + n / self.rate - time.monotonic()
            if delay > 0 and await _stopped(stop, delay):
                break
            task = asyncio.create_task(self._one())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _one(self) -> None:
        k = next(self._ids)
        sent = time.monotonic()
        try:
            status = await self.server.post(callback_update(FIRST_PRESS + k, FIRST_PRESS + k, "proposal.vote:2")
                                            if self.press else message_update(FIRST_LOAD + k, FIRST_LOAD + k, "/help"))
        except (OSError, aiohttp.ClientError):
            status = 0
        if status == 200:
            self.latencies.append(time.monotonic() - sent)
        else:
            self.failed += 1

    def summary(self) -> dict[str, Any]:
        ms = [x * 1000 for x in self.latencies]
        return {"rate_per_s": self.rate, "posted": len(ms) + self.failed,
                "not_200": self.failed,  # in the kill run: those posted while no server was up
                "p50_ms": _round(percentile(ms, 50)), "p99_ms": _round(percentile(ms, 99)),
                "max_ms": _round(max(ms, default=None))}


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
        return False


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


async def until(condition: Any, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def sent_in_database(url: str) -> int:
    """The decision's notices to supporters that Oasis recorded as sent (the author's is not counted)."""
    engine, sessions = await _engine(url)
    try:
        async with sessions() as session:
            supporters = select(Identity.citizen_id).where(Identity.user_id.not_in([str(AUTHOR), str(OFFICIAL)]))
            return int(await session.scalar(select(func.count()).where(
                OutboxMessage.status == SENT, OutboxMessage.kind == "status_changed",
                OutboxMessage.citizen_id.in_(supporters))) or 0)
    finally:
        await engine.dispose()


async def _engine(url: str) -> Any:
    from core.db import make_engine, make_sessions
    engine = make_engine(url)
    return engine, make_sessions(engine)


async def decide(server: OasisProcess) -> float:
    """The official rejects #1: every supporter is told. Returns when it was posted."""
    at = time.monotonic()
    status = await server.post(message_update(900_000, OFFICIAL, "/review 1 reject budget The city cannot "
                                                                  "fund night buses this year."))
    if status != 200:
        raise RuntimeError(f"the decision was answered {status}")
    return at


async def one_run(url: str, args: argparse.Namespace, workdir: Path, *, kill: bool) -> dict[str, Any]:
    await seed(url, args.telegram, args.slack)
    doubles = Doubles(args.telegram, args.slack)
    with (workdir / f"oasis-{'kill' if kill else 'run'}.log").open("w") as server_log:
        async with doubles.tg, doubles.slack, aiohttp.ClientSession() as http:
            server = oasis_server(url, doubles, server_log, http)
            try:
                await server.start()
                load, stop = Load(server, args.load), asyncio.Event()
                presses = Load(server, args.presses, press=True)
                loading = asyncio.gather(load.run(stop), presses.run(stop))
                posted = await decide(server)
                result: dict[str, Any] = {}
                if kill:
                    result = await _kill_halfway(server, doubles, url)
                done = await until(lambda: len(doubles.copies()) >= doubles.recipients, args.timeout)
                await asyncio.sleep(2.0)  # late duplicates, if any
                stop.set()
                await loading
            finally:
                await server.stop()
    return _report(doubles, posted, done, load, presses, result)


async def _kill_halfway(server: OasisProcess, doubles: Doubles, url: str) -> dict[str, Any]:
    await until(lambda: len(doubles.notices) >= doubles.recipients // 2, 600, step=0.01)
    await server.kill()
    await asyncio.sleep(1.0)  # requests the dead process had written reach the doubles all the same
    accepted = len(doubles.notices)
    in_flight = accepted - await sent_in_database(url)
    log.info("killed after %d notices; %d in flight", accepted, in_flight)
    before = len(doubles.notices)
    restarted = time.monotonic()
    healthy = await server.start()
    await until(lambda: len(doubles.notices) > before, 120, step=0.005)
    first = doubles.notices[before][0] if len(doubles.notices) > before else None
    return {"accepted_at_kill": accepted, "in_flight_at_kill": in_flight,
            "restart_to_first_notice_s": _round(first - restarted, 2) if first else None,
            "healthy_to_first_notice_s": _round(first - healthy, 2) if first else None,
            "restart_to_healthy_s": _round(healthy - restarted, 2)}


def _report(doubles: Doubles, posted: float, done: bool, load: Load, presses: Load,
            killed: dict[str, Any]) -> dict[str, Any]:
    copies = doubles.copies()
    times = [t for t, _ in doubles.notices]
    tg_times = [t for t, who in doubles.notices if who in doubles.tg_people]
    report: dict[str, Any] = {
        "recipients": doubles.recipients, "all_reached": done,
        "lost": doubles.recipients - len(copies), "duplicates": sum(n - 1 for n in copies.values()),
        "seconds_to_last_notice": _round(max(times) - posted, 2) if times else None,
        "responses_429": doubles.limited(), "webhook_during_fanout": load.summary(),
        "presses_during_fanout": presses.summary(),
    }
    if len(tg_times) > 1:
        first, last = min(tg_times), max(tg_times)
        accepted = sum(1 for t in doubles.tg_accepted if first <= t <= last)
        rate = (accepted - 1) / (last - first)
        report["telegram"] = {"notices": len(tg_times), "seconds": _round(last - first, 2),
                              "messages_per_s": _round(rate, 2), "share_of_limit": _round(rate / TELEGRAM_RATE, 3)}
    slack_times = [t for t, who in doubles.notices if who in doubles.slack_dms]
    if slack_times:
        report["slack"] = {"notices": len(slack_times), "seconds": _round(max(slack_times) - min(slack_times), 2),
                           "conversations_open_calls": doubles.slack.methods().count("conversations.open")}
    if killed:
        report["kill"] = killed
        report["duplicates_within_in_flight"] = report["duplicates"] <= killed["in_flight_at_kill"]
    return report


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", help="default: $OASIS_BENCH_POSTGRES_URL, $OASIS_TEST_POSTGRES_URL, "
                        "else the local oasis_bench database. Its schema is wiped.")
    parser.add_argument("--quick", action="store_true", help="600 Telegram and 100 Slack supporters")
    parser.add_argument("--telegram", type=int, help="Telegram supporters (default 3000)")
    parser.add_argument("--slack", type=int, help="Slack supporters (default 500)")
    parser.add_argument("--load", type=float, default=5.0, help="/help messages a second during the fan-out")
    parser.add_argument("--presses", type=float, default=50.0,
                        help="Support presses a second during the fan-out (answered in the webhook response)")
    parser.add_argument("--series", type=lambda s: s.split(","), default=["sqlite", "postgres"])
    parser.add_argument("--no-kill", action="store_true", help="skip the run with a kill -9 halfway")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the last notice")
    args = parser.parse_args()
    args.telegram = args.telegram or (600 if args.quick else 3000)
    args.slack = args.slack if args.slack is not None else (100 if args.quick else 500)
    return args


async def main() -> dict[str, Any]:
    args = parse_args()
    pg_url, pg_skip = await postgres_target(args.postgres_url)
    series: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="fanout_") as tmp:
        for name in args.series:
            url = f"sqlite+aiosqlite:///{tmp}/oasis.db" if name == "sqlite" else pg_url
            if url is None:
                series[name] = {"skipped": pg_skip}
                continue
            series[name] = {}
            for kill in ([False] if args.no_kill else [False, True]):
                log.info("%s: %s", name, "kill -9 halfway and restart" if kill else "fan-out")
                try:
                    series[name]["kill_and_restart" if kill else "fanout"] = await one_run(url, args, Path(tmp),
                                                                                         kill=kill)
                except Exception as exc:  # one broken setup must not hide the other figures
                    log.exception("%s failed", name)
                    series[name]["kill_and_restart" if kill else "fanout"] = {"error": repr(exc)}
    return {"benchmark": "fanout", "method": METHOD, "telegram_supporters": args.telegram,
            "slack_supporters": args.slack, "telegram_limit_per_s": TELEGRAM_RATE,
            "targets": {"share_of_limit": TARGET_SHARE, "webhook_p99_ms": TARGET_P99_MS, "lost": 0,
                        "restart_to_first_notice_s": TARGET_RESUME_S},
            "machine": machine(), "series": series}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    print(json.dumps(asyncio.run(main()), indent=2))
