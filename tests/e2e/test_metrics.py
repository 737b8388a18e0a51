"""`/metrics` through prometheus-client: the webhook latency histogram and the events handled per platform,
measured as requests pass, and the application's own figures (outbox by status, sent, failed, retried)
under today's names, read by Prometheus's own parser from the real server."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import message_update
from tests.e2e.slack_harness import AUTHOR, dm, running


async def scrape(http: Any, port: int) -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        content_type, text = response.headers["Content-Type"], await response.text()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    return content_type, samples


async def test_metrics_count_and_time_each_platforms_requests(sessions: Any, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as telegram, \
            running(db_url, slack, telegram) as world:
        assert world.telegram is not None
        tg = world.telegram
        for n in range(3):
            assert await tg.post(message_update(tg.next_id(), 500 + n, "/help")) == 200
        assert await tg.post(message_update(tg.next_id(), 600, "/help"), secret="wrong") == 403
        assert (await world.post(rq.slash_command(AUTHOR, "help", dm(AUTHOR))))[0] == 200
        await slack.wait_for(lambda m, _p: m == "chat.postMessage")

        content_type, samples = await scrape(tg.http, world.app.port)
        async with tg.http.get(f"http://127.0.0.1:{world.app.port}/p/1") as response:  # the share links' page
            assert response.status == 404 and "There is no proposal #1." in await response.text()

    assert content_type.startswith("text/plain; version=")  # Prometheus's text format
    telegram_label, slack_label = (("platform", "telegram"),), (("platform", "slack"),)
    assert samples[("oasis_webhook_seconds_count", telegram_label)] == 4
    assert samples[("oasis_webhook_seconds_count", slack_label)] == 1
    assert samples[("oasis_webhook_seconds_bucket", (("le", "+Inf"), ("platform", "telegram")))] == 4
    assert 0 < samples[("oasis_webhook_seconds_sum", telegram_label)] < 4 * 10
    assert samples[("oasis_events_handled_total", (("platform", "telegram"), ("status", "200")))] == 3
    assert samples[("oasis_events_handled_total", (("platform", "telegram"), ("status", "403")))] == 1
    assert samples[("oasis_events_handled_total", (("platform", "slack"), ("status", "200")))] == 1
    # The application's figures, under the names they had before prometheus-client.
    assert samples[("oasis_outbox_sent_total", ())] >= 3  # the three answers on Telegram went out
    assert samples[("oasis_outbox_failed_total", ())] == 0
    assert ("oasis_outbox_retried_total", ()) in samples
    assert ("oasis_telegram_toasts_lost_total", ()) in samples
    statuses = {dict(labels)["status"] for name, labels in samples if name == "oasis_outbox_messages"}
    assert statuses, "outbox rows by status"
