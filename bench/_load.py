"""Open-loop load: Support-button presses posted to a webhook at a fixed offered rate, each from a new person.

Sends are scheduled at t0 + i/rate whatever the server does (no waiting for earlier answers), so a slow
server faces a growing queue instead of a politely slowed-down client. Update bodies are built before the
step starts so the generator spends its time sending, and the generator's garbage collector waits until the
step is over: its full collections walked every press and task of the step, 100-180 ms pauses at 2,800
presses a second that showed as the server's latency and as sends behind schedule.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench._wire import Wire
from tests.doubles.telegram_updates import callback_update
from tests.e2e.harness import SECRET

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
"""What Telegram sends with each update (bench._wire.Wire writes them before each body)."""


@dataclass(slots=True)
class Press:
    """One posted update and what became of it; times are time.time() (comparable across processes)."""

    user_id: int
    query_id: str
    lag: float = 0.0  # how late the generator sent it, against its schedule (s)
    sent_at: float = 0.0
    acked_at: float = 0.0
    status: int = 0  # the webhook's HTTP status; -1 for a connection error or timeout
    answered_in_response: bool = False  # the body was answerCallbackQuery for this press (a webhook reply)


AfterAck = Callable[[Press], Awaitable[None]]


async def _post(wire: Wire, body: bytes, press: Press, after_ack: AfterAck | None) -> None:
    press.sent_at = time.time()
    try:
        press.status, answer = await wire.post(body)
        press.answered_in_response = press.status == 200 and _answers(answer, press.query_id)
    except (OSError, ConnectionError, TimeoutError, ValueError):
        press.status = -1
    press.acked_at = time.time()
    if press.status == 200 and after_ack is not None:
        await after_ack(press)


def _answers(body: bytes, query_id: str) -> bool:
    """Whether a webhook response body is Telegram's webhook reply answering this callback query."""
    if not body.startswith(b"{"):
        return False
    try:
        reply = json.loads(body)
    except ValueError:
        return False
    return reply.get("method") == "answerCallbackQuery" and reply.get("callback_query_id") == query_id


async def offered_load(
    wire: Wire, *, rate: float, duration: float, data: str,
    first_user: int, first_update: int, after_ack: AfterAck | None = None,
) -> list[Press]:
    """Post round(rate × duration) button presses at `rate` per second; returns when every one is answered."""
    count = max(1, round(rate * duration))
    prepared: list[tuple[bytes, Press]] = []
    for i in range(count):
        update = callback_update(first_update + i, first_user + i, data)
        prepared.append((json.dumps(update).encode(), Press(first_user + i, update["callback_query"]["id"])))
    loop = asyncio.get_running_loop()
    collecting = gc.isenabled()
    gc.disable()
    try:
        start = loop.time() + 0.05
        tasks = []
        for i, (body, press) in enumerate(prepared):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            press.lag = max(0.0, loop.time() - due)
            tasks.append(asyncio.create_task(_post(wire, body, press, after_ack)))
        await asyncio.gather(*tasks)
    finally:
        if collecting:
            gc.enable()
    return [press for _, press in prepared]


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of `values`, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summarize(rate: float, presses: list[Press], answered: dict[str, float]) -> dict[str, Any]:
    """Latency (post → the answer: answerCallbackQuery received by the double, or the webhook response that
    carries it) and errors of one step."""
    answered = {**answered, **{p.query_id: p.acked_at for p in presses if p.answered_in_response}}
    latencies = [(answered[p.query_id] - p.sent_at) * 1000 for p in presses if p.query_id in answered]
    acks = [(p.acked_at - p.sent_at) * 1000 for p in presses if p.status == 200]
    span = presses[-1].sent_at - presses[0].sent_at if len(presses) > 1 else 0.0

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "rate": rate,
        "sent": len(presses),
        "achieved_rate": round((len(presses) - 1) / span, 1) if span > 0 else None,
        "acked": len(acks),
        "errors": sum(1 for p in presses if p.status != 200),
        "unanswered": len(presses) - len(latencies),
        "answered_in_response": sum(1 for p in presses if p.answered_in_response),
        "p50_ms": ms(percentile(latencies, 50)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(max(latencies, default=None)),
        "ack_p99_ms": ms(percentile(acks, 99)),
        "max_send_lag_ms": ms(max(p.lag for p in presses) * 1000),
    }
