"""Per-chat and bot-wide pacing: bursts, waits, 429 pauses, and chats not holding each other up.

Waits are a second or so and "no wait" is a fraction of that, so a busy machine cannot blur the two.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

from adapters.telegram.pacing import ChatPacer, SlidingWindow, TokenBucket, per_second


async def elapsed(*waits: Awaitable[object]) -> float:
    start = time.monotonic()
    await asyncio.gather(*waits)
    return time.monotonic() - start


async def test_token_bucket_allows_a_burst_then_paces() -> None:
    bucket = TokenBucket(rate=2.0, burst=3)
    assert await elapsed(*(bucket.acquire() for _ in range(3))) < 0.25
    assert 0.4 <= await elapsed(bucket.acquire()) < 1.5


async def test_sliding_window_never_exceeds_its_limit() -> None:
    window = SlidingWindow(limit=2, window=1.0)
    assert await elapsed(window.acquire(), window.acquire()) < 0.25
    assert 0.9 <= await elapsed(window.acquire()) < 2.0


async def test_fractional_rates_still_pace() -> None:
    limiter = per_second(4.0)  # 4 in any second
    took = await elapsed(*(limiter.acquire() for _ in range(5)))
    assert 0.9 <= took < 2.5


async def test_a_busy_chat_does_not_delay_other_chats() -> None:
    pacer = ChatPacer(1000, private_rate=2.0, private_burst=1)
    busy = asyncio.gather(*(pacer.wait_turn("1") for _ in range(4)))  # needs ~1.5 s
    await asyncio.sleep(0)
    assert await elapsed(*(pacer.wait_turn(str(chat)) for chat in range(2, 12))) < 0.5
    assert not busy.done()
    await busy


async def test_groups_get_their_window_with_a_margin() -> None:
    pacer = ChatPacer(1000, group_limit=(2, 60.0))
    await elapsed(pacer.wait_turn("-100"), pacer.wait_turn("-100"))
    third = asyncio.ensure_future(pacer.wait_turn("-100"))
    await asyncio.sleep(0.2)
    assert not third.done()  # the third must wait for the minute to pass
    third.cancel()
    assert await elapsed(pacer.wait_turn("7")) < 0.5
    scaled = ChatPacer(1000, group_limit=(2, 0.4))
    took = await elapsed(*(scaled.wait_turn("-100") for _ in range(3)))
    assert took >= 0.4 * 1.05 - 0.01  # the third waits for the window and its 5 % margin


async def test_a_429_pauses_only_that_chat() -> None:
    pacer = ChatPacer(1000, flood_window=0.0)
    pacer.pause("1", 1.0)
    assert await elapsed(pacer.wait_turn("2")) < 0.5
    assert 0.9 <= await elapsed(pacer.wait_turn("1")) < 2.0


async def test_429s_from_two_chats_at_once_pause_the_whole_bot() -> None:
    pacer = ChatPacer(1000, flood_window=1.0)
    pacer.pause("1", 1.0)
    pacer.pause("2", 1.0)
    assert 0.9 <= await elapsed(pacer.wait_turn("3")) < 2.0


async def test_idle_chats_are_forgotten() -> None:
    pacer = ChatPacer(1000, private_rate=1000.0)
    pacer.SWEEP_EVERY = 10
    for chat in range(25):
        await pacer.wait_turn(str(chat))
    await asyncio.sleep(0.01)
    for chat in range(100, 110):
        await pacer.wait_turn(str(chat))
    assert len(pacer._chats) < 25
