"""Instants and local days. Everything inside the core runs on UTC instants; local time only
decides which calendar day an instant belongs to and where that day starts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache


def require_aware(value: datetime, what: str = "time") -> datetime:
    """Reject naive datetimes: 09:00 means a different instant in Perth and in Sydney."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what} {value.isoformat()} has no UTC offset; write it with one, e.g. "
            "2026-12-24T09:00:00+11:00 or 2026-12-23T22:00:00Z"
        )
    return value


def to_utc(value: datetime) -> datetime:
    # Comparing two datetimes that share one tzinfo ignores fold/offset (a Python rule), which
    # misorders instants in a DST fall-back hour; UTC has no such hour.
    return value.astimezone(UTC)


def local_day(instant: datetime, zone: tzinfo) -> date:
    """The calendar date of `instant` on the wall clock of `zone` (never the UTC date)."""
    return instant.astimezone(zone).date()


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The UTC instant at which `day` starts in `zone`.

    fold=0 picks the first midnight if it repeats, and a midnight skipped by a DST jump maps to
    the jump itself, which is where that day really starts. Days are 23, 24 or 25 hours long.
    """
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a whole local day, as UTC instants."""
    return local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)


@lru_cache(maxsize=64)
def _fixed(offset: timedelta) -> timezone:
    return timezone(offset)


def as_local(instant: datetime, zone: tzinfo) -> datetime:
    """`instant` shown with the UTC offset `zone` has there, as a fixed-offset datetime.

    Reads like local time ("+11:00") but, unlike a ZoneInfo datetime, arithmetic and comparison
    with other such values are exact across DST changes (ZoneInfo datetimes sharing a tzinfo
    compare and subtract by wall clock).
    """
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None  # astimezone to a real zone always yields an offset
    return local.replace(tzinfo=_fixed(offset))
