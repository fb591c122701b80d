"""The one duration formatter: what it writes, the policy's parser reads back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procedure.durations import MAX_WINDOW, format_duration, parse_duration

MS = timedelta(milliseconds=1)
# every duration a policy can hold, to the millisecond (its smallest unit)
DURATIONS = st.integers(min_value=0, max_value=MAX_WINDOW // MS).map(lambda n: n * MS)


@settings(max_examples=500, deadline=None, database=None)
@given(DURATIONS)
def test_what_is_written_reads_back(value: timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


@settings(max_examples=300, deadline=None, database=None)
@given(DURATIONS.filter(lambda v: v >= timedelta(seconds=1)))
def test_coarse_is_the_two_largest_units_in_whole_seconds(value: timedelta) -> None:
    seconds = int(value.total_seconds())
    days, hours, minutes, rest = (
        seconds // 86400,
        seconds // 3600 % 24,
        seconds // 60 % 60,
        seconds % 60,
    )
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m"), (rest, "s")) if n]
    assert format_duration(value, coarse=True) == "".join(parts[:2])
    assert parse_duration(format_duration(value, coarse=True)) <= value


@pytest.mark.parametrize(
    ("value", "exact", "coarse"),
    [
        (timedelta(0), "0s", "0s"),
        (timedelta(milliseconds=100), "0.1s", "0.1s"),
        (timedelta(seconds=90), "1m30s", "1m30s"),
        (timedelta(hours=1, minutes=30), "1h30m", "1h30m"),
        (timedelta(days=1), "1d", "1d"),
        (timedelta(days=7), "7d", "7d"),
        (timedelta(days=2, hours=3, minutes=4, seconds=5.25), "2d3h4m5.25s", "2d3h"),
        (timedelta(hours=1, seconds=2), "1h2s", "1h2s"),
        (timedelta(seconds=-30), "-30s", "-30s"),
    ],
)
def test_named_cases(value: timedelta, exact: str, coarse: str) -> None:
    assert format_duration(value) == exact
    assert format_duration(value, coarse=True) == coarse
