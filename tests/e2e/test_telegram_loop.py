"""The citizen loop end to end: real server, real python-telegram-bot, Bot API double over HTTP."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from core.citizens import grant_role
from core.db import make_engine, make_sessions
from core.models import OutboxMessage, Proposal, Vote
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import callback_update, message_update
from tests.e2e.harness import Client, running

AUTHOR, OFFICIAL = 100, 900
VOTERS = [101, 102, 103, 104, 105]
TITLE = "<b>Night buses</b> & <script>x</script>"


def texts(api: TelegramApiDouble, chat: int) -> list[str]:
    return [str(m.get("text", "")) for m in api.sent_to(chat)]


async def say(client: Client, user: int, text: str) -> None:
    assert await client.post(message_update(client.next_id(), user, text)) == 200


async def press(client: Client, user: int, data: str) -> None:
    assert await client.post(callback_update(client.next_id(), user, data)) == 200


async def grant_official(db_url: str) -> None:
    engine = make_engine(db_url)
    async with make_sessions(engine)() as session, session.begin():
        await grant_role(session, "telegram", str(OFFICIAL), "official", "transport")
    await engine.dispose()


async def scalar(db_url: str, query):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    async with make_sessions(engine)() as session:
        value = await session.scalar(query)
    await engine.dispose()
    return value


async def propose(client: Client, user: int, title: str) -> None:
    await say(client, user, "/propose")
    await say(client, user, title)
    await say(client, user, "Buses every 20 minutes after midnight on the main lines.")
    await press(client, user, "pcat:transport")
    await press(client, user, "psubmit:1")


async def test_propose_vote_review_and_outcome_pushed_back(sessions, db_url: str) -> None:
    async with TelegramApiDouble() as api:
        await grant_official(db_url)
        async with running(db_url, api, migrate=False) as client:
            await propose(client, AUTHOR, TITLE)
            received = texts(api, AUTHOR)[-1]
            assert "Proposal #1 received" in received
            assert "&lt;b&gt;Night buses&lt;/b&gt; &amp; &lt;script&gt;" in received
            assert "<script>" not in received

            for voter in VOTERS[:4]:
                await say(client, voter, "/vote 1")
            assert "1 more supporter is needed" in texts(api, VOTERS[3])[-1]
            await press(client, VOTERS[4], "vote:1")
            toast = await api.wait_for(lambda m, p: m == "answerCallbackQuery" and "review" in str(p.get("text")))
            assert "#1" in toast[1]["text"]
            assert await scalar(db_url, select(Proposal.status).where(Proposal.id == 1)) == "under_review"

            # The author and the voters are told it is under review, with the deadline.
            await api.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == str(AUTHOR)
                               and "under review" in p["text"])
            # The official is told a new item is in the queue.
            await api.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == str(OFFICIAL)
                               and "#1" in p["text"])

            await say(client, VOTERS[0], "/review 1 reject law Not allowed")
            assert "Only officials" in texts(api, VOTERS[0])[-1]
            assert await scalar(db_url, select(Proposal.status).where(Proposal.id == 1)) == "under_review"

            await say(client, OFFICIAL, "/queue")
            assert any("#1" in t for t in texts(api, OFFICIAL))
            await say(client, OFFICIAL, "/review 1 reject law The road traffic ordinance forbids night routes here.")
            assert "Published" in texts(api, OFFICIAL)[-1]

            for chat in (AUTHOR, VOTERS[2]):
                call = await api.wait_for(lambda m, p, c=chat: m == "sendMessage" and str(p["chat_id"]) == str(c)
                                          and "rejected" in p["text"])
                text = call[1]["text"]
                assert "#1" in text
                assert "ordinance or law" in text
                assert "The road traffic ordinance forbids night routes here." in text


async def test_duplicate_update_counts_once_and_secret_is_required(sessions, db_url: str) -> None:
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False) as client:
        await propose(client, AUTHOR, "Benches at bus stops")
        update = callback_update(client.next_id(), VOTERS[0], "vote:1")
        assert await client.post(update) == 200
        assert await client.post(update) == 200
        assert await scalar(db_url, select(func.count()).select_from(Vote)) == 1

        other = message_update(client.next_id(), VOTERS[1], "/vote 1")
        assert await client.post(other, secret=None) == 403
        assert await client.post(other, secret="wrong") == 403
        assert await scalar(db_url, select(func.count()).select_from(Vote)) == 1


async def test_retry_after_429_delivers_without_loss(sessions, db_url: str) -> None:
    async with TelegramApiDouble() as api:
        await grant_official(db_url)
        async with running(db_url, api, migrate=False, oasis_vote_threshold=2) as client:
            await propose(client, AUTHOR, "Quieter night trams")
            await say(client, VOTERS[0], "/vote 1")
            await api.wait_delivered(VOTERS[0], lambda text: "You support #1" in text)  # sent after the 200
            api.fail_next("sendMessage", status=429, retry_after=1, times=1)
            started = time.monotonic()
            await say(client, VOTERS[1], "/vote 1")  # one send (its reply or a notice) meets the 429
            notices = [AUTHOR, VOTERS[0], VOTERS[1], OFFICIAL]
            for chat in notices:  # delivered, the refused attempt retried after the wait Telegram asked for
                await api.wait_delivered(chat, lambda text: "under review" in text or "queue" in text.lower(),
                                         timeout=10)
            await api.wait_delivered(VOTERS[1], lambda text: "Thank you" in text, timeout=10)  # their answer too
            assert time.monotonic() - started >= 1.0
            assert sum(1 for m, p in api.calls if m == "sendMessage" and "429" in str(p)) == 0
            failed = await scalar(db_url, select(func.count()).where(OutboxMessage.status == "failed"))
            assert failed == 0


async def test_restart_delivers_pending_outbox(sessions, db_url: str) -> None:
    async with TelegramApiDouble() as api:
        await grant_official(db_url)
        async with running(db_url, api, migrate=False, oasis_vote_threshold=2) as client:
            await propose(client, AUTHOR, "Bike lanes on the river road")
            await say(client, VOTERS[0], "/vote 1")
            api.fail_next("sendMessage", status=502, times=1000)
            await say(client, VOTERS[1], "/vote 1")
            await asyncio.sleep(0.5)
        pending = await scalar(db_url, select(func.count()).where(OutboxMessage.status == "pending"))
        assert pending >= 3
        api._failures.clear()
        async with running(db_url, api, migrate=False, oasis_vote_threshold=2):
            for chat in (AUTHOR, VOTERS[0], OFFICIAL):
                await api.wait_for(lambda m, p, c=chat: m == "sendMessage" and str(p["chat_id"]) == str(c)
                                   and "#1" in p["text"] and ("under review" in p["text"] or c == OFFICIAL),
                                   timeout=15)
