"""Local days: 23, 24 or 25 hours; midnight in the configured zone, never the UTC date."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from procedure.freeze.timeutil import local_day, local_day_bounds

from .helpers import utc


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Australia/Sydney", date(2026, 4, 5), 25),  # DST ends
        ("Australia/Sydney", date(2026, 10, 4), 23),  # DST starts
        ("Australia/Sydney", date(2026, 12, 25), 24),
        ("Australia/Brisbane", date(2026, 10, 4), 24),  # no DST in QLD
        ("Australia/Lord_Howe", date(2026, 4, 5), 24.5),  # half-hour shift
        ("Australia/Adelaide", date(2026, 10, 4), 23),
    ],
)
def test_day_lengths(zone: str, day: date, hours: float) -> None:
    start, end = local_day_bounds(day, ZoneInfo(zone))
    assert end - start == timedelta(hours=hours)


def test_skipped_midnight_starts_the_day_at_the_jump() -> None:
    # Chile springs forward at 24:00 on the first Saturday of September (2026-09-05 -> 06).
    zone = ZoneInfo("America/Santiago")
    start, end = local_day_bounds(date(2026, 9, 6), zone)
    assert end - start == timedelta(hours=23)
    assert local_day(start, zone) == date(2026, 9, 6)
    assert local_day(start - timedelta(microseconds=1), zone) == date(2026, 9, 5)


def test_local_day_is_not_the_utc_date() -> None:
    assert local_day(utc("2026-12-24T14:00:00"), ZoneInfo("Australia/Sydney")) == date(2026, 12, 25)
    assert local_day(utc("2026-12-24T14:00:00"), ZoneInfo("Australia/Perth")) == date(2026, 12, 24)
