"""Everyone who writes is answered, whatever Telegram answers meanwhile: 429s for every send, failed
button answers, a crowd at once under realistic limits. Replies are outbox rows (bots/replies.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import callback_update, html_to_plain, message_update
from tests.e2e.harness import running
from tests.integration import factories


async def test_replies_and_button_answers_arrive_after_a_spell_of_429s(sessions: Any, db_url: str) -> None:
    author = await factories.citizen(sessions, "author")
    proposal_id = await factories.proposal(sessions, author)
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False, oasis_vote_threshold=1000) as client:
        api.outage(429, ("sendMessage", "answerCallbackQuery"), retry_after=1)
        typed = [7100 + n for n in range(20)]
        pressed = [7200 + n for n in range(30)]
        # The typed answers meet the 429s first, so the presses are answered by calls whose failure is
        # seen (a webhook reply's is not: adapters/telegram/webhook.py).
        statuses = await asyncio.gather(
            *(client.post(message_update(client.next_id(), user, f"/vote {proposal_id}")) for user in typed))
        statuses += await asyncio.gather(
            *(client.post(callback_update(client.next_id(), user, f"vote:{proposal_id}")) for user in pressed))
        assert set(statuses) == {200}
        await asyncio.sleep(1.5)  # the 429s go on for a while
        api.outage(None)
        for user in typed + pressed:
            await api.wait_for(lambda _m, _p, u=user: bool(api.sent_to(u)), timeout=20)
        for user in typed + pressed:  # the answer to /vote, or the words of the button's lost toast
            [answer] = api.sent_to(user)
            assert "support" in html_to_plain(answer["text"]) and f"#{proposal_id}" in answer["text"]
        metrics = await client.app.metrics()
        assert metrics["oasis_outbox_failed_total"] == 0
        assert metrics["oasis_telegram_toasts_lost_total"] == len(pressed)
        assert metrics["oasis_outbox_retried_total"] >= len(typed)


async def test_a_crowd_writing_at_once_is_answered_at_the_bots_rate(sessions: Any, db_url: str) -> None:
    people = [7300 + n for n in range(120)]
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False,
                                                   telegram_max_messages_per_second=40) as client:
        statuses = await asyncio.gather(*(client.post(message_update(client.next_id(), user, "/start"))
                                          for user in people))
        assert set(statuses) == {200}
        for user in people:
            await api.wait_for(lambda m, p, u=user: m == "sendMessage" and str(p["chat_id"]) == str(u), timeout=20)
        assert all(len(api.sent_to(user)) == 1 for user in people)
        assert (await client.app.metrics())["oasis_outbox_failed_total"] == 0
