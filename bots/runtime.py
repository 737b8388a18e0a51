"""How a long-running Oasis process runs: on uvloop where it is installed (every platform but Windows, else
asyncio's own loop), with what start-up built set aside from the garbage collector.

uvloop does the loop's bookkeeping and the sockets' reads and writes in C: the webhook server spends a good
part of each request there. The heap after start-up (SQLAlchemy's mappers, the catalogs, the templates,
the modules) is large and lives as long as the process; left to the collector, every full collection walks
it again: under a vote storm 80 ms pauses that held every request (bench/vote_storm.py). Frozen, a full
collection walks only what was made since. Everything Oasis uses runs on either loop, and the tests run on
asyncio's, so nothing depends on these choices.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on uvloop when it is there."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def started() -> None:
    """Call once the server has started: what exists now lives as long as the process, so the collector
    leaves it alone (`gc.freeze`), after one collection to drop start-up's own garbage first."""
    gc.collect()
    gc.freeze()
