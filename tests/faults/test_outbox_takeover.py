"""`kill -9` halfway through a fan-out, then a restart: what the dead process held is taken over at once.

The real server runs as a subprocess and sends 60 notices (claimed in one batch, so every unsent one is
marked with the process that claimed it) to a Telegram double that answers slowly, so the kill finds sends
in flight. The lease is the default minute: were the claims of the dead process only freed by their
lease, the restarted process would wait that minute. It must not: a new process knows the old one is gone
(PostgreSQL: its advisory lock went with its connection; SQLite: its heartbeat stopped) and sends all of
it within seconds, each notice once, twice only where the kill cut a send in flight.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from core.citizens import ensure_identity
from core.db import make_engine, make_sessions
from core.models import OutboxMessage
from core.outbox import SENT, notify
from tests.dbutil import fresh_database
from tests.doubles.telegram_api import TelegramApiDouble
from tests.faults.test_crash_mid_burst import free_port, start

PEOPLE = 60
FIRST_CHAT = 70_000


async def queue_notices(db_url: str) -> None:
    engine, sessions = await fresh_database(db_url)
    try:
        async with sessions() as session, session.begin():
            citizens = [(await ensure_identity(session, "telegram", str(FIRST_CHAT + n))).citizen_id
                        for n in range(PEOPLE)]
            await notify(session, citizens, "decided:1", "new_comment", {"id": 1, "title": "Night buses",
                                                                         "comment_id": 1})
    finally:
        await engine.dispose()


async def outbox(db_url: str) -> tuple[int, int]:
    """(rows sent, rows claimed by a process and not finished)."""
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as session:
            sent = await session.scalar(select(func.count()).where(OutboxMessage.status == SENT))
            held = await session.scalar(select(func.count()).where(OutboxMessage.status != SENT,
                                                                   OutboxMessage.claimed_by.is_not(None)))
            return int(sent or 0), int(held or 0)
    finally:
        await engine.dispose()


def sends(api: TelegramApiDouble) -> Counter[str]:
    return Counter(str(p["chat_id"]) for m, p in api.calls if m == "sendMessage")


async def test_a_restarted_process_takes_over_a_killed_ones_claims_at_once(db_url: str, tmp_path: Path) -> None:
    await queue_notices(db_url)
    port = free_port()
    with (tmp_path / "oasis.log").open("w") as log:
        async with TelegramApiDouble(latency=0.3) as api:
            proc = await start(db_url, api, port, log, rate=20)
            try:
                await api.wait_for(lambda _m, _p: sum(sends(api).values()) >= PEOPLE // 3, timeout=30)
                proc.kill()  # kill -9, halfway
                await proc.wait()
                received = sum(sends(api).values())
                sent, held = await outbox(db_url)
                in_flight = received - sent  # Telegram has them, Oasis never heard back
                assert held > 0  # the dead process still holds claims, leased for the default minute
                assert sent < PEOPLE

                restarted = time.monotonic()
                proc = await start(db_url, api, port, log, rate=20)
                await api.wait_for(lambda _m, _p: len(sends(api)) == PEOPLE, timeout=40)
                took = time.monotonic() - restarted
            finally:
                if proc.returncode is None:
                    proc.terminate()
                    await proc.wait()
    assert took < 30, f"{took:.1f} s: the claims waited for their lease"  # taken over, not waited out
    counted = sends(api)
    assert set(counted) == {str(FIRST_CHAT + n) for n in range(PEOPLE)}
    doubled = sum(counted.values()) - PEOPLE
    assert doubled <= in_flight, f"{doubled} sent twice, {in_flight} were in flight at the kill"
