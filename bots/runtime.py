"""How a long-running Oasis process runs: on uvloop where it is installed (every platform but Windows, else
asyncio's own loop), with what start-up built set aside from the garbage collector.

uvloop does the loop's bookkeeping and the sockets' reads and writes in C: the webhook server spends a good
part of each request there. The heap after start-up (SQLAlchemy's mappers, the catalogs, the templates,
the modules) is large and lives as long as the process; left to the collector, every full collection walks
it again: under a vote storm 80 ms pauses that held every request (bench/vote_storm.py). Frozen, a full
collection walks only what was made since. And the youngest generation is collected every `YOUNG_COLLECTION`
net allocations rather than Python's 700: a press allocates a few dozen objects that die with its request,
and at 3,000 presses a second the default ran ~90 collections a second, each walking the requests in flight
(~6 % of the process's time); with 10,000 the collector took ~4 % at 4,000 a second, and a press's CPU
fell from ~170 to ~155 µs with batches full. Everything Oasis uses runs on either loop, and the tests run on
asyncio's, so nothing depends on these choices.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

YOUNG_COLLECTION = 10_000
"""Net allocations between collections of the youngest generation (Python's default is 700)."""


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on uvloop when it is there."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def started() -> None:
    """Call once the server has started: what exists now lives as long as the process, so the collector
    leaves it alone (`gc.freeze`), after one collection to drop start-up's own garbage first; young objects
    are collected less often (module docstring)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION, older, oldest)
