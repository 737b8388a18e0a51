"""The `oasis` command as an operator and a newcomer use it: migrate, grant, demo, chat, run."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prometheus_client.parser import text_string_to_metric_families

OASIS = [sys.executable, "-m", "bots.cli"]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OASIS_", "TELEGRAM_", "SLACK_"))}
    env.update(OASIS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", OASIS_DEFAULT_LANGUAGE="en",
               OASIS_LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def oasis(tmp_path: Path, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OASIS, *args], input=stdin, capture_output=True, text=True, timeout=60,
                          env=env_for(tmp_path, **extra), cwd=tmp_path)


def test_upgrade_grant_revoke(tmp_path: Path) -> None:
    assert oasis(tmp_path, "db", "upgrade").returncode == 0
    granted = oasis(tmp_path, "grant", "telegram:12345", "official", "--department", "transport")
    assert granted.returncode == 0 and "granted official (transport) to telegram:12345" in granted.stdout
    again = oasis(tmp_path, "grant", "telegram:12345", "official", "--department", "transport")
    assert "already has" in again.stdout
    no_dept = oasis(tmp_path, "grant", "telegram:12345", "official")
    assert no_dept.returncode != 0 and "department_required" in no_dept.stderr
    bad = oasis(tmp_path, "grant", "12345", "admin")
    assert bad.returncode != 0 and "telegram:12345" in bad.stderr
    revoked = oasis(tmp_path, "revoke", "telegram:12345", "official", "--department", "transport")
    assert "revoked 1 grant" in revoked.stdout


def test_upgrade_says_what_it_applied_one_line_each_and_nothing_else(tmp_path: Path) -> None:
    versions = sorted((Path(__file__).resolve().parents[2] / "core/migrations/versions").glob("[0-9]*.py"))
    first = oasis(tmp_path, "db", "upgrade", OASIS_LOG_LEVEL="INFO")  # the default level, as `make run` has it
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert [line.split()[2] for line in lines[:-1]] == [v.name.split("_")[0] for v in versions]
    assert all(line.startswith("applied migration ") for line in lines[:-1])
    assert lines[-1] == f"database is up to date (revision {versions[-1].name.split('_')[0]})"
    assert first.stderr == ""  # no Alembic plugin or context chatter
    again = oasis(tmp_path, "db", "upgrade", OASIS_LOG_LEVEL="INFO")
    assert again.stdout.splitlines() == lines[-1:] and again.stderr == ""


def test_outbox_retry_requeues_failed_messages(tmp_path: Path) -> None:
    assert oasis(tmp_path, "db", "upgrade").returncode == 0
    db = sqlite3.connect(tmp_path / "cli.db")
    db.execute("INSERT INTO citizens (display_name, created_at) VALUES ('a', '2026-11-29 10:00:00')")
    for n, created in enumerate(("2026-11-28 09:00:00", "2026-11-29 11:00:00")):
        db.execute("INSERT INTO outbox (citizen_id, event_key, kind, params, status, attempts, next_attempt_at, "
                   "created_at) VALUES (1, ?, 'new_comment', '{}', 'failed', 8, ?, ?)", (f"e{n}", created, created))
    db.commit()
    since = oasis(tmp_path, "outbox", "retry", "--since", "2026-11-29T00:00")  # KST: 28 Nov, 15:00 UTC
    assert since.returncode == 0 and "re-queued 1 failed message(s)" in since.stdout
    assert db.execute("SELECT status FROM outbox ORDER BY id").fetchall() == [("failed",), ("pending",)]
    assert "re-queued 1 failed" in oasis(tmp_path, "outbox", "retry", "--since", "2026-11-28T08:59Z").stdout
    assert "re-queued 0 failed" in oasis(tmp_path, "outbox", "retry").stdout
    bad = oasis(tmp_path, "outbox", "retry", "--since", "yesterday")
    assert bad.returncode != 0 and "2026-11-29T14:30" in bad.stderr
    db.close()


def test_chat_holds_the_conversation(tmp_path: Path) -> None:
    assert oasis(tmp_path, "db", "upgrade").returncode == 0
    # /propose → title → description → category option 1 (Transport) → option 1 (Submit).
    script = "/propose\nMore benches in parks\nOlder people need places to rest.\n1\n1\nmine\n"
    chat = oasis(tmp_path, "chat", "--as", "alice", stdin=script)
    assert chat.returncode == 0, chat.stderr
    assert "Proposal #1 received" in chat.stdout
    assert "More benches in parks" in chat.stdout
    assert "[1] Transport" in chat.stdout


def test_demo_then_chat_sees_it(tmp_path: Path) -> None:
    assert oasis(tmp_path, "db", "upgrade").returncode == 0
    demo = oasis(tmp_path, "demo")
    assert demo.returncode == 0 and "added 5 sample proposals" in demo.stdout
    assert "already exist" in oasis(tmp_path, "demo").stdout
    chat = oasis(tmp_path, "chat", "--as", "bob", stdin="/top\n")
    assert "#1" in chat.stdout and "under review" in chat.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_without_tokens_serves_health(tmp_path: Path) -> None:
    assert oasis(tmp_path, "db", "upgrade").returncode == 0
    port = free_port()
    proc = subprocess.Popen([*OASIS, "run"], env=env_for(tmp_path, OASIS_PORT=str(port)), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = (response.status, json.loads(response.read()))
                    break
            except OSError:
                time.sleep(0.1)
        assert body == (200, {"status": "ok", "database": "ok"})
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        values = {s.name: s.value for family in text_string_to_metric_families(metrics) for s in family.samples}
        assert values["oasis_outbox_sent_total"] == 0 and values["oasis_outbox_failed_total"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "TELEGRAM_BOT_TOKEN" in out


def test_run_on_a_database_it_cannot_use_says_why_in_one_line(tmp_path: Path) -> None:
    """Not migrated, migrated by a newer release, unreachable: one line that says what to do, no traceback,
    no password."""
    empty = oasis(tmp_path, "run", OASIS_PORT="0")
    assert empty.returncode != 0 and "Traceback" not in empty.stderr
    assert empty.stderr.strip().splitlines() == [
        f"error: the database at sqlite+aiosqlite:///{tmp_path / 'cli.db'} has no Oasis tables yet: "
        "run `oasis db upgrade` first"]
    assert oasis(tmp_path, "db", "upgrade").returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    newer = oasis(tmp_path, "run", OASIS_PORT="0")
    assert newer.returncode != 0 and "Traceback" not in newer.stderr
    assert "is at revision 9999, which this Oasis" in newer.stderr and "newer release" in newer.stderr
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    away = oasis(tmp_path, "run", OASIS_PORT="0",
                 OASIS_DATABASE_URL=f"postgresql+asyncpg://oasis:hunter2@127.0.0.1:{port}/oasis")
    assert away.returncode != 0 and "Traceback" not in away.stderr and "hunter2" not in away.stderr
    assert f"cannot reach the database at postgresql+asyncpg://oasis:***@127.0.0.1:{port}/oasis" in away.stderr


def test_jobs_run_one_now_and_list_shows_last_and_next_runs(tmp_path: Path) -> None:
    assert oasis(tmp_path, "db", "upgrade").returncode == 0
    ran = oasis(tmp_path, "jobs", "run", "deadlines")
    assert ran.returncode == 0 and ran.stdout.strip() == "deadlines: done (0)", ran.stderr
    unknown = oasis(tmp_path, "jobs", "run", "nonsense")
    assert unknown.returncode != 0
    assert "the jobs are: review_sweep, deadlines, calls, reports, inbox_pruning, tallies" in unknown.stderr
    listed = oasis(tmp_path, "jobs", "list").stdout.splitlines()
    rows = {line.split()[0]: line for line in listed[1:]}
    assert set(rows) == {"review_sweep", "deadlines", "calls", "reports", "inbox_pruning", "tallies"}
    assert "ok (0)" in rows["deadlines"] and rows["review_sweep"].split()[2:] == ["-", "-", "-"]


def test_call_create_reads_times_without_an_offset_in_the_city_time_zone(tmp_path: Path) -> None:
    assert oasis(tmp_path, "db", "upgrade").returncode == 0
    made = oasis(tmp_path, "call", "create", "--department", "environment", "--title", "Greener schoolyards",
                 "--opens", "2099-01-01T09:00", "--closes", "2099-01-31T18:00", OASIS_TIMEZONE="Asia/Seoul")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == ("themed call 1 for environment: open 2099-01-01 09:00 to 2099-01-31 18:00 "
                                   "(Asia/Seoul); the `calls` job announces it to subscribers")
    db = sqlite3.connect(tmp_path / "cli.db")
    assert db.execute("SELECT opens_at, closes_at FROM calls").fetchone() == (
        "2099-01-01 00:00:00.000000", "2099-01-31 09:00:00.000000")  # stored in UTC
    wrong = oasis(tmp_path, "call", "create", "--department", "environment", "--title", "Backwards",
                  "--opens", "2099-02-01", "--closes", "2099-01-01")
    assert wrong.returncode != 0 and "call_closes_before_it_opens" in wrong.stderr


def test_report_writes_markdown_and_html_to_a_file(tmp_path: Path) -> None:
    assert oasis(tmp_path, "db", "upgrade").returncode == 0
    assert oasis(tmp_path, "demo").returncode == 0  # five proposals received this month
    seoul = datetime.now(ZoneInfo("Asia/Seoul"))
    month, year = f"{seoul.year}-{seoul.month:02d}", str(seoul.year)
    markdown = oasis(tmp_path, "report", "--month", month, "--output", "report.md")
    assert markdown.returncode == 0 and markdown.stdout == "", markdown.stderr
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# Citizens' Voice: ") and "Proposals received: **5**" in text
    assert f"<http://127.0.0.1:8080/reports/{month}>" in text
    html = oasis(tmp_path, "report", "--year", year, "--format", "html", "--output", "report.html", "--lang", "ko",
                 OASIS_PUBLIC_URL="https://oasis.test")
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and '<html lang="ko">' in page and f"{year}년" in page
    assert '<base href="https://oasis.test/">' in page and '<strong class="received">5</strong>' in page
    last = oasis(tmp_path, "report")  # the last complete month, to standard output
    assert last.returncode == 0 and last.stdout.startswith("# Citizens' Voice: ")
    assert "Proposals received: **0**" in last.stdout
    future = oasis(tmp_path, "report", "--month", f"{seoul.year + 1}-01")
    assert future.returncode != 0 and "has not begun yet" in future.stderr
    bad = oasis(tmp_path, "report", "--month", "2026-13")
    assert bad.returncode != 0 and "no such period" in bad.stderr
    both = oasis(tmp_path, "report", "--month", month, "--year", year)
    assert both.returncode != 0 and "not allowed with argument" in both.stderr
