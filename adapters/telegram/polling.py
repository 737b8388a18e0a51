"""Long polling for when there is no public webhook URL (development, small installs).

Updates are processed one at a time, in order, through the same path as the webhook. The offset
only moves past an update once the handler stored it, so a failure means the update comes again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, TelegramError

from adapters.telegram.webhook import TelegramWebhook

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "callback_query")  # edits: the dialogue room
TWO_POLLERS = ("another process is polling this bot (Telegram answered getUpdates with 409 Conflict): two "
               "long pollers take each other's updates and a poller's start removes the webhook. Run one "
               "`oasis run` with long polling, or every instance in webhook mode (TELEGRAM_WEBHOOK_URL)")


async def run_polling(
    bot: Bot,
    webhook: TelegramWebhook,
    stop: asyncio.Event,
    *,
    poll_timeout: int = 25,
    first_backoff: float = 0.5,
    max_backoff: float = 30.0,
    allowed_updates: Sequence[str] = ALLOWED_UPDATES,
) -> None:
    """Poll until `stop` is set; returns promptly after it is, even mid long-poll."""
    backoff = _Backoff(first_backoff, max_backoff)  # for the network
    retry = _Backoff(first_backoff, max_backoff)  # for an update the handler failed on
    while not stop.is_set():
        try:
            await bot.delete_webhook()
            break
        except TelegramError as exc:
            log.warning("deleteWebhook failed: %r", exc)
            await backoff.wait(stop)
    offset: int | None = None
    while not stop.is_set():
        try:
            updates = await _until_stopped(
                bot.get_updates(offset=offset, timeout=poll_timeout, allowed_updates=list(allowed_updates)),
                stop,
            )
        except Conflict:
            log.error(TWO_POLLERS)
            await backoff.wait(stop)
            continue
        except TelegramError as exc:
            log.warning("getUpdates failed: %r", exc)
            await backoff.wait(stop)
            continue
        if updates is None:
            break
        backoff.reset()
        for update in updates:
            if stop.is_set():
                break
            try:
                await webhook.process_update(update)
            except Exception as error:
                webhook.failures.failure("telegram update not processed (polled again)", error)
                await retry.wait(stop)
                break
            retry.reset()
            offset = update.update_id + 1
    await _confirm(bot, offset)


async def _until_stopped(
    poll: Coroutine[Any, Any, tuple[Update, ...]], stop: asyncio.Event
) -> tuple[Update, ...] | None:
    """The poll's result, or None if `stop` was set first (the poll is then cancelled)."""
    task = asyncio.create_task(poll)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


async def _confirm(bot: Bot, offset: int | None) -> None:
    """Tell Telegram which updates are done so a restart does not fetch them again (best effort)."""
    if offset is None:
        return
    try:
        await bot.get_updates(offset=offset, timeout=0, limit=1)
    except TelegramError as exc:
        log.info("could not confirm updates before %s: %r", offset, exc)


class _Backoff:
    """Doubling delays up to a cap, interrupted by `stop`."""

    def __init__(self, first: float, cap: float) -> None:
        self.first, self.cap, self.delay = first, cap, first

    def reset(self) -> None:
        self.delay = self.first

    async def wait(self, stop: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(stop.wait(), self.delay)
        except TimeoutError:
            pass
        self.delay = min(self.delay * 2, self.cap)
