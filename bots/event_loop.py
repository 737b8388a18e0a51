"""The event loop a long-running Oasis process runs on: uvloop where it is installed (every platform but
Windows), else asyncio's own.

uvloop does the loop's bookkeeping and the sockets' reads and writes in C: the webhook server spends a
good part of each request there (bench/vote_storm.py). Everything Oasis uses runs on either loop, and the
tests run on asyncio's, so nothing depends on the choice.
"""

from __future__ import annotations

import asyncio
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
