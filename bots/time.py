"""Dates as people read them: stored times are UTC, shown in the city's time zone (OASIS_TIMEZONE), so a
deadline at 23:00 UTC never reads a day early in Seoul."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(moment: datetime | None, timezone: str) -> str:
    """`2026-12-13` in `timezone` for a stored (naive UTC) time; "-" when there is none."""
    if moment is None:
        return "-"
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(zone(timezone)).strftime("%Y-%m-%d")
