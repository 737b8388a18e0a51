"""The server side of the vote storm, run in its own process: the Bot API double plus either the real
Oasis server, run as `oasis run` runs it (bots/runtime.py), or a bare python-telegram-bot bot
on asyncio's own loop, as PTB's documentation runs it.

The parent talks to it over a multiprocessing pipe: the child sends ("ready", webhook_url); then each
"collect" is answered with what the double saw since the last one (answerCallbackQuery receive times,
keyed by callback query id, in time.time() so the parent can compare them with its own send times)
and, for Oasis, SQL statement counts; "stop" shuts everything down.
"""

from __future__ import annotations

import asyncio
import cProfile
import logging
import socket
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy import event
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from adapters.telegram.webhook import WEBHOOK_PATH
from bots import runtime
from bots.app import OasisApp
from tests.doubles.telegram_api import TelegramApiDouble
from tests.e2e.harness import SECRET, TOKEN, settings_for

NEVER = 10**9  # vote threshold: the proposal stays open for the whole storm


class RecordingApi(TelegramApiDouble):
    """The Bot API double, also noting when each answerCallbackQuery arrived (wall clock)."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: dict[str, float] = {}

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> Any:
        self.answered[str(params.get("callback_query_id"))] = time.time()
        return True

    def take(self) -> tuple[dict[str, float], dict[str, int]]:
        answered, self.answered = self.answered, {}
        others = Counter(m for m, _ in self.calls if m.lower() != "answercallbackquery")
        self.calls.clear()
        return answered, dict(others)


class SqlCounter:
    """Counts statements, and UPDATEs of the proposals table (a hot counter row would show here)."""

    def __init__(self) -> None:
        self.statements = 0
        self.proposal_updates = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements += 1
        if statement.lstrip()[:17].upper() == "UPDATE PROPOSALS ":
            self.proposal_updates += 1

    def take(self) -> dict[str, int]:
        taken = {"statements": self.statements, "proposal_updates": self.proposal_updates}
        self.statements = self.proposal_updates = 0
        return taken


def _free_port() -> int:
    """PTB's webhook server needs a port number up front (it cannot report the one port 0 gives)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_bare(api: TelegramApiDouble) -> tuple[Application[Any, Any, Any, Any, Any, Any], int]:
    """The baseline: a python-telegram-bot bot set up as its documentation shows (builder defaults,
    one CallbackQueryHandler, PTB's own webhook server with a secret token), only pointed at the double."""
    application = Application.builder().token(TOKEN).base_url(api.base_url).build()

    async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()

    application.add_handler(CallbackQueryHandler(answer))
    port = _free_port()
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path=WEBHOOK_PATH.lstrip("/"), secret_token=SECRET,
        webhook_url=f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
    await application.start()
    return application, port


async def _serve(kind: str, db_url: str, conn: Connection) -> None:
    api = RecordingApi()
    await api.start()
    sql: SqlCounter | None = None
    if kind == "bare":
        application, port = await start_bare(api)
    else:
        app = OasisApp(settings_for(db_url, api, oasis_vote_threshold=NEVER))
        await app.start()
        runtime.started()  # as `oasis run` does
        port = app.port
        sql = SqlCounter()
        event.listen(app.engine.sync_engine, "before_cursor_execute", sql)
    conn.send(("ready", f"http://127.0.0.1:{port}{WEBHOOK_PATH}"))
    loop = asyncio.get_running_loop()
    cpu = time.process_time()
    try:
        while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
            if command == "collect":
                answered, others = api.take()
                cpu, used = time.process_time(), time.process_time() - cpu
                conn.send({"answered": answered, "other_api_calls": others, "cpu_s": used,
                           **(sql.take() if sql else {})})
    finally:
        if kind == "bare":
            assert application.updater is not None
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
        else:
            await app.stop()
        await api.stop()
        conn.send("stopped")


def serve(kind: str, db_url: str, conn: Connection, profile_path: str | None = None) -> None:
    """Process entry point: kind is "bare" or "oasis"; with profile_path, cProfile stats are dumped there."""
    logging.basicConfig(level=logging.WARNING, format=f"[{kind} server] %(levelname)s %(name)s: %(message)s")
    profiler = cProfile.Profile() if profile_path else None
    if profiler is not None:
        profiler.enable()
    try:
        if kind == "bare":  # as PTB's documentation runs it: asyncio's own loop
            asyncio.run(_serve(kind, db_url, conn))
        else:  # as `oasis run` runs Oasis
            runtime.run(_serve(kind, db_url, conn))
    finally:
        if profiler is not None and profile_path:
            profiler.disable()
            profiler.dump_stats(profile_path)
