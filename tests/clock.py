"""A clock tests advance by hand: retries and deadlines come due without sleeping through them."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.clock import utcnow


class Clock:
    """Real time plus an offset the test can advance."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)
