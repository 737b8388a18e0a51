"""The outbound HTTP stack's hot path: python-telegram-bot → httpx → httpcore asks which event loop runs
on every request; without sniffio installed it retries a failing import each time (31 µs a request on this
machine, against 1 µs with it)."""

from __future__ import annotations

import asyncio
import sys

from httpcore._synchronization import current_async_library


def test_httpcore_finds_sniffio_so_it_does_not_retry_an_import_per_request() -> None:
    async def ask() -> str:
        return current_async_library()

    assert asyncio.run(ask()) == "asyncio"
    assert "sniffio" in sys.modules  # imported once and kept; a failed import would be tried again each time
