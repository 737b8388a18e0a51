"""No secret in the logs or the database after a full run of `oasis run`, at its chattiest log level.

The real server runs as a subprocess with every secret configured (bot token, webhook secret, Slack
token and signing secret, and a database password on PostgreSQL), talks to the Telegram and Slack
doubles, has sends fail and retried, and is stopped; then its output and every row of every table are
searched for each secret.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core.models import Base, OutboxMessage
from tests.dbutil import fresh_database
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_requests import SIGNING_SECRET, SlackPoster, slash_command
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import callback_update, message_update

TOKEN = "424242:SECRET-bot-token-AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WEBHOOK_SECRET = "webhook-secret_0123456789abcdef"
DB_PASSWORD = "db-pa55word-never-logged"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_full_run_leaves_no_secret_in_logs_or_database(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("sqlite"):  # trust authentication ignores it, but the URL carries it everywhere
        db_url = make_url(db_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    engine, _ = await fresh_database(db_url)
    port = free_port()
    async with TelegramApiDouble() as telegram, SlackApiDouble() as slack:
        slack.add_user("U0SECRET1")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OASIS_", "TELEGRAM_", "SLACK_"))}
        env.update(OASIS_DATABASE_URL=db_url, OASIS_PORT=str(port), OASIS_DEFAULT_LANGUAGE="en",
                   OASIS_LOG_LEVEL="DEBUG", OASIS_VOTE_THRESHOLD="2",
                   TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=telegram.base_url,
                   TELEGRAM_WEBHOOK_URL="https://oasis.test/telegram/webhook",
                   TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET, SLACK_BOT_TOKEN=slack.token,
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.base_url)
        log_file = tmp_path / "oasis.log"
        with log_file.open("w") as log:  # a file, not a pipe: a full pipe would stall the server
            proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "run", env=env,
                                                        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
            try:
                async with asyncio.timeout(60):
                    await _drive(port, telegram, slack)
            finally:
                proc.send_signal(signal.SIGTERM)
                async with asyncio.timeout(30):
                    await proc.wait()
        output = log_file.read_text()
    secrets = [TOKEN, WEBHOOK_SECRET, slack.token, SIGNING_SECRET]
    if "@" in db_url:
        secrets.append(DB_PASSWORD)
    assert "Traceback" in output or "retry at" in output  # the run really logged its bad moments
    for secret in secrets:
        assert secret not in output, f"a secret ({secret[:6]}…) is in the logs"
    async with engine.connect() as conn:
        errors = (await conn.execute(select(OutboxMessage.last_error))).scalars().all()
        dump = [str(row) for table in Base.metadata.sorted_tables
                for row in (await conn.execute(select(table))).all()]
    await engine.dispose()
    assert any(errors), "a failed send stored its error"
    for secret in secrets:
        assert not any(secret in row for row in dump), f"a secret ({secret[:6]}…) is in the database"


async def _drive(port: int, telegram: TelegramApiDouble, slack: SlackApiDouble) -> None:
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            await asyncio.sleep(0.1)
        hook = f"{base}/telegram/webhook"
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        updates = iter(range(1, 10_000))

        async def say(user: int, words: str) -> int:
            async with http.post(hook, json=message_update(next(updates), user, words), headers=headers) as r:
                return r.status

        async def press(user: int, data: str) -> int:
            async with http.post(hook, json=callback_update(next(updates), user, data), headers=headers) as r:
                return r.status

        async with http.post(hook, json=message_update(next(updates), 1, "/start"),
                             headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as wrong:
            assert wrong.status == 403
        for words in ("/start", "/propose", "Shade trees on every bus stop",
                      "Planting trees where people wait for buses in summer."):
            assert await say(101, words) == 200
        assert await press(101, "pcat:transport") == 200
        assert await press(101, "psubmit:1") == 200
        telegram.fail_next("sendMessage", status=500, times=2)  # the notices fail, are stored, retried
        telegram.blocked.add(102)  # and one fails for good: its error stays in the outbox
        assert await press(102, "vote:1") == 200
        assert await press(103, "vote:1") == 200
        await telegram.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == "101"
                                and "under review" in p["text"], timeout=30)
        await telegram.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == "102", timeout=30)
        poster = SlackPoster(http, f"{base}/slack/events")
        assert (await poster.post(slash_command("U0SECRET1", "help", "D0SECRET1")))[0] == 200
