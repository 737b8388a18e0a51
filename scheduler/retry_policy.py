"""When to try a failed send again, and when to stop: the outbox's retry policy, apart from its I/O.

Retries are bounded by time, not by count (an outage of hours must not use up a message): errors back
off 1, 2, 4 … 300 s, a 429 waits what the platform asked, a send that may have gone out (the request
was written, no answer came) waits `MAYBE_SENT_PAUSE` — the platforms offer no idempotency key, so a
quick retry would likely deliver it twice — and a row is given up only once its next try would fall
beyond the give-up time after it was written (OASIS_OUTBOX_GIVE_UP_HOURS). A permanent refusal is
not retried at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bots.ports import MaybeSent, PermanentError, RetryAfter

BACKOFF_CAP_SECONDS = 300.0
MAYBE_SENT_PAUSE = timedelta(seconds=60)
DEFAULT_GIVE_UP = timedelta(hours=24)


def backoff_seconds(attempts: int) -> float:
    """1, 2, 4 … seconds after the 1st, 2nd, 3rd … failed attempt, capped at 300."""
    return min(2.0 ** min(max(attempts - 1, 0), 30), BACKOFF_CAP_SECONDS)


def maybe_sent(error: Exception) -> bool:
    """The request may have reached the platform: no answer came in time."""
    return isinstance(error, MaybeSent | TimeoutError)


def retry_wait(error: Exception, attempts: int) -> timedelta | None:
    """How long to wait before the next try after `error`; None when no try can succeed."""
    if isinstance(error, PermanentError):  # blocked bot, chat gone
        return None
    if isinstance(error, RetryAfter):
        return timedelta(seconds=max(error.seconds, 0.0))
    if maybe_sent(error):
        return MAYBE_SENT_PAUSE
    return timedelta(seconds=backoff_seconds(attempts))  # TransientError and anything unforeseen


def gives_up(next_try: datetime, written_at: datetime | None, give_up: timedelta) -> bool:
    return written_at is not None and next_try > written_at + give_up
