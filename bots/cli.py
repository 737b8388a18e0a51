"""The `oasis` command: run the server, chat in a terminal, migrate, grant roles, load sample data."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bots import redaction, runtime
from bots.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DESCRIPTION = "Oasis: citizens propose, vote and follow city policy from their messenger."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oasis", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the HTTP server (public pages, the web chat at /chat), the bots that are "
                               "configured and the outbox dispatcher, once the database is migrated "
                               "(`oasis db upgrade`)")
    chat = sub.add_parser("chat", help="talk to Oasis in this terminal as a local user (no bot token needed)")
    chat.add_argument("--as", dest="name", default=os.environ.get("USER", "guest"),
                      help="your local user name (default: $USER)")
    chat.add_argument("--lang", default=None, help="interface language: ko, en, ja or zh")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations and load departments and categories")
    for name, verb in (("grant", "give"), ("revoke", "take away")):
        p = sub.add_parser(name, help=f"{verb} a role: official, moderator, panel_internal, panel_external, admin")
        p.add_argument("account", help="platform:user_id, e.g. telegram:12345, slack:U012ABC, console:alice")
        p.add_argument("role", help="official, moderator, panel_internal, panel_external or admin")
        p.add_argument("--department", help="department code (officials only), e.g. transport")
    outbox = sub.add_parser("outbox", help="the queue of messages to send")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True)
    retry = outbox_sub.add_parser("retry", help="send failed messages again (after an incident is over)")
    retry.add_argument("--since", type=_moment, metavar="YYYY-MM-DDTHH:MM",
                       help="only messages written at or after this time (ISO 8601; without an offset, in "
                            "OASIS_TIMEZONE); default: every failed one")
    call = sub.add_parser("call", help="themed calls (공모)")
    call_sub = call.add_subparsers(dest="call_command", required=True)
    create = call_sub.add_parser("create", help="open a themed call for a department between two times")
    create.add_argument("--department", required=True, help="department code, e.g. environment")
    create.add_argument("--title", required=True)
    create.add_argument("--description", default="")
    for edge in ("opens", "closes"):
        create.add_argument(f"--{edge}", required=True, type=_moment, metavar="YYYY-MM-DDTHH:MM",
                            help=f"when it {edge} (ISO 8601; without an offset, in OASIS_TIMEZONE)")
    jobs = sub.add_parser("jobs", help="the timed jobs (review_sweep, deadlines, calls, reports, inbox_pruning, "
                                             "tallies)")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    jobs_sub.add_parser("list", help="each job with its last run (when, outcome) and its next run")
    run_job = jobs_sub.add_parser("run", help="run one job now (skipped if another process is running it)")
    run_job.add_argument("name", help="review_sweep, deadlines, calls, reports, inbox_pruning or tallies")
    report = sub.add_parser("report", help="write a monthly or annual report (Citizens' Voice) from live data",
                            description="Write the report of a month or a year (in OASIS_TIMEZONE), the same one "
                                        "/reports/<period> shows: what was proposed, how it was handled, trends "
                                        "against the previous period, examples of adopted proposals. Without "
                                        "--month or --year: the last complete month.")
    which = report.add_mutually_exclusive_group()
    which.add_argument("--month", metavar="YYYY-MM", help="a calendar month, e.g. 2026-10")
    which.add_argument("--year", metavar="YYYY", help="a calendar year, e.g. 2026")
    report.add_argument("--format", choices=("markdown", "html"), default="markdown",
                        help="markdown (default) or html (the web page, its links to OASIS_PUBLIC_URL)")
    report.add_argument("--output", metavar="FILE", help="write it to FILE (default: standard output)")
    report.add_argument("--lang", choices=("ko", "en", "ja", "zh"), default=None,
                        help="the report's language (default: OASIS_DEFAULT_LANGUAGE)")
    demo = sub.add_parser("demo", help="add sample proposals, votes and comments to try things out")
    demo.add_argument("--force", action="store_true", help="add them even if proposals already exist")
    return parser


def _moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a time like 2026-11-29T14:30: {value!r}") from error


def _as_utc(moment: datetime, zone: str) -> datetime:
    """Naive UTC, as the database keeps times; a time without an offset is read in OASIS_TIMEZONE."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone))
    return aware.astimezone(UTC).replace(tzinfo=None)


async def _retry_outbox(settings: Settings, since: datetime | None) -> str:
    from core.db import make_engine, make_sessions
    from core.outbox import requeue_failed

    engine = make_engine(settings.oasis_database_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            count = await requeue_failed(session, _as_utc(since, settings.oasis_timezone) if since else None)
    finally:
        await engine.dispose()
    return f"re-queued {count} failed message(s); a running server sends them within seconds"


async def _create_call(settings: Settings, args: argparse.Namespace) -> str:
    from core import calls
    from core.db import make_engine, make_sessions
    from core.errors import OasisError

    engine = make_engine(settings.oasis_database_url)
    zone = settings.oasis_timezone
    try:
        async with make_sessions(engine)() as session, session.begin():
            try:
                made = await calls.create(session, None, department=args.department, title=args.title,
                                          description=args.description, opens_at=_as_utc(args.opens, zone),
                                          closes_at=_as_utc(args.closes, zone))
            except OasisError as error:
                raise SystemExit(f"error: {error.code} {error.params}") from error
            return (f"themed call {made.id} for {made.department_code}: open {_when(made.opens_at, zone)} to "
                    f"{_when(made.closes_at, zone)} ({zone}); the `calls` job announces it to subscribers")
    finally:
        await engine.dispose()


def _when(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "-"
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


async def _jobs(settings: Settings, args: argparse.Namespace) -> str:
    from bots.app import mileage_from, rules_from
    from core.db import make_engine, make_sessions
    from core.mileage import INFO_KEY
    from scheduler.jobs import JOBS, JobEnv, job_runs, run_job

    engine = make_engine(settings.oasis_database_url)
    try:
        sessions = make_sessions(engine, info={INFO_KEY: mileage_from(settings)})
        if args.jobs_command == "run":
            if args.name not in JOBS:
                raise SystemExit(f"no job {args.name!r}; the jobs are: {', '.join(JOBS)}")
            outcome = await run_job(JobEnv(sessions, rules_from(settings), settings.oasis_inbox_days,
                                           timezone=settings.oasis_timezone), args.name)
            if not outcome.ran:
                return f"{args.name}: another process is running it now; skipped"
            if outcome.error:
                raise SystemExit(f"{args.name} failed: {outcome.error}")
            return f"{args.name}: done ({outcome.result})"
        runs = await job_runs(sessions)
        zone = settings.oasis_timezone
        lines = [f"{'job':<14} {'every':>9}  {'last run (' + zone + ')':<26} {'outcome':<12} next run"]
        for name, job in JOBS.items():
            row = runs.get(name)
            last = "-" if row is None else (f"{row.last_status} ({row.last_result})" if row.last_status == "ok"
                                            else str(row.last_status))
            lines.append(f"{name:<14} {job.every!s:>9}  {_when(row.last_started_at if row else None, zone):<26} "
                         f"{last:<12} {_when(row.next_run_at if row else None, zone)}")
        return "\n".join(lines)
    finally:
        await engine.dispose()


async def _report(settings: Settings, args: argparse.Namespace) -> str:
    """The report as Markdown or as the HTML page."""
    from adapters.web.rendering import PageConfig, PageRenderer
    from adapters.web.reports import document
    from bots.i18n import Translator
    from bots.report_text import markdown
    from core import reports
    from core.clock import utcnow
    from core.db import make_engine, make_sessions

    zone, now = settings.oasis_timezone, utcnow()
    try:
        period = (reports.Period.parse(args.month or args.year) if args.month or args.year
                  else reports.last_complete_month(now, zone))
    except ValueError as error:
        raise SystemExit(f"error: {error}") from error
    if (args.month and period.month is None) or (args.year and period.month is not None):
        raise SystemExit(f"error: --month takes YYYY-MM and --year takes YYYY, not {args.month or args.year!r}")
    if not reports.has_begun(period, now, zone):
        raise SystemExit(f"error: {period.key} has not begun yet ({zone}): there is no report for it")
    engine = make_engine(settings.oasis_database_url)
    try:
        async with make_sessions(engine)() as session:
            made = await reports.build(session, period, zone, now)
    finally:
        await engine.dispose()
    t = Translator(args.lang or settings.oasis_default_language, timezone=zone)
    public_url = settings.oasis_public_url.rstrip("/")
    if args.format == "html":
        return document(PageRenderer(PageConfig(public_url, settings.oasis_default_language,
                                                settings.oasis_vote_threshold, zone, bot_username=lambda: None)),
                        made, t)
    return markdown(made, t, public_url)


def _split_account(account: str) -> tuple[str, str]:
    platform, sep, user_id = account.partition(":")
    if not sep or not platform or not user_id:
        raise SystemExit(f"account must look like telegram:12345, not {account!r}")
    return platform.lower(), user_id


async def _grant(settings: Settings, args: argparse.Namespace, grant: bool) -> str:
    from core.citizens import grant_role, revoke_role
    from core.db import make_engine, make_sessions
    from core.errors import OasisError

    platform, user_id = _split_account(args.account)
    engine = make_engine(settings.oasis_database_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            try:
                if grant:
                    created = await grant_role(session, platform, user_id, args.role, args.department)
                    where = f" ({args.department})" if args.department else ""
                    return (f"granted {args.role}{where} to {platform}:{user_id}" if created
                            else f"{platform}:{user_id} already has {args.role}{where}")
                removed = await revoke_role(session, platform, user_id, args.role, args.department)
                return f"revoked {removed} grant(s) of {args.role} from {platform}:{user_id}"
            except OasisError as error:
                raise SystemExit(f"error: {error.code} {error.params}") from error
    finally:
        await engine.dispose()


async def _run(settings: Settings) -> None:
    from bots.app import OasisApp
    from core.migrate import schema_problem

    if (problem := await schema_problem(settings.oasis_database_url)) is not None:
        raise SystemExit(f"error: {problem}")
    app = OasisApp(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, app.request_stop)
    await app.start()
    runtime.started()
    print(f"Oasis is serving on http://{settings.oasis_host}:{app.port} (health: /healthz)", flush=True)
    if not settings.telegram_bot_token:
        print("No TELEGRAM_BOT_TOKEN is set, so no bot is connected. To connect a Telegram bot, put its token "
              "in .env (TELEGRAM_BOT_TOKEN=...), and for webhooks also TELEGRAM_WEBHOOK_URL and "
              "TELEGRAM_WEBHOOK_SECRET; without a webhook URL the bot uses long polling. Meanwhile, try "
              "`oasis chat --as yourname` in another terminal.", flush=True)
    elif settings.telegram_webhook_url:
        print(f"Telegram: webhook set to {settings.telegram_webhook_url}", flush=True)
    else:
        print("Telegram: long polling", flush=True)
    if app.slack is not None:
        print("Slack: events, commands and interactivity at POST /slack/events", flush=True)
    try:
        await app.stopped()
    finally:
        await app.stop()


async def _chat(settings: Settings, name: str, lang: str | None) -> None:
    from adapters.console.chat import ConsoleSender, run_console
    from bots.app import OasisApp

    app = OasisApp(settings)
    app.add_sender(ConsoleSender())
    stop = asyncio.Event()
    dispatch = asyncio.create_task(app.dispatcher.run(stop))
    try:
        await run_console(app.handle, name, lang, settings.oasis_default_language)
    finally:
        stop.set()
        await dispatch
        await app.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("OASIS_LOG_LEVEL", "INFO"), format=LOG_FORMAT)
    settings = Settings()
    redaction.install(redaction.Redactor(redaction.secrets_of(settings)), LOG_FORMAT)
    if args.command == "db":
        from core.migrate import current_revision, upgrade

        for migration in asyncio.run(upgrade(settings.oasis_database_url, settings.oasis_departments_file)):
            print(f"applied migration {migration}", flush=True)
        revision = asyncio.run(current_revision(settings.oasis_database_url))
        print(f"database is up to date (revision {revision})", flush=True)
    elif args.command in ("grant", "revoke"):
        print(asyncio.run(_grant(settings, args, args.command == "grant")))
    elif args.command == "run":
        runtime.run(_run(settings))
    elif args.command == "chat":
        logging.getLogger().setLevel(logging.ERROR)  # keep the terminal for the conversation
        asyncio.run(_chat(settings, args.name, args.lang))
    elif args.command == "outbox":
        print(asyncio.run(_retry_outbox(settings, args.since)))
    elif args.command == "call":
        print(asyncio.run(_create_call(settings, args)))
    elif args.command == "jobs":
        print(asyncio.run(_jobs(settings, args)))
    elif args.command == "report":
        written = asyncio.run(_report(settings, args))
        if args.output:
            Path(args.output).write_text(written, encoding="utf-8")
            print(f"wrote {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(written)
    elif args.command == "demo":
        from bots.demo import load_demo

        print(asyncio.run(load_demo(settings, force=args.force)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
