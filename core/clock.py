"""Naive UTC timestamps everywhere: SQLite keeps no time zone, so we never store one."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
