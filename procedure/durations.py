"""Durations as the policy file writes them: "30m", "2h", "1d", "10s", "500ms", or plain seconds,
each kind with its range (Duration, Window, Interval)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


MIN_INTERVAL = timedelta(seconds=0.1)
MAX_INTERVAL = timedelta(days=1)
MAX_WINDOW = timedelta(days=30)


def parse_duration(value: Any) -> Any:
    """Turn "1h30m" or 90 into a timedelta; leave anything else for pydantic to judge."""
    if isinstance(value, bool):
        # pydantic would read true as 1 second
        raise ValueError("must be a duration such as 30m or 10s, not true/false")
    try:
        if isinstance(value, int | float):
            if value != value:  # NaN
                raise ValueError("must be a duration such as 30m or 10s, not NaN")
            return timedelta(seconds=value)
        if isinstance(value, str):
            text = value.strip().replace(" ", "")
            if text and _PART.sub("", text) == "":
                return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in _PART.findall(text)))
    except OverflowError:
        # timedelta stops at 999 999 999 days; anything near it is a typo, not a policy
        raise ValueError("is far too long to be a duration") from None
    return value


def _in_range(low: timedelta, high: timedelta, *, zero: bool) -> AfterValidator:
    def check(value: timedelta) -> timedelta:
        # the error report adds the value as written ("got -5")
        if value < timedelta(0):
            raise ValueError("must not be negative")
        if value == timedelta(0) and not zero:
            raise ValueError("must be longer than zero")
        if value < low:
            raise ValueError(f"must be at least {format_duration(low)}")
        if value > high:
            raise ValueError(f"must be at most {format_duration(high)}")
        return value

    return AfterValidator(check)


# Every duration in the policy has a sane range, so a typo cannot turn into a negative soak or a
# check loop that floods a provider (one release once made 352 Cloudflare calls in 6 s).
# Duration: a wait or a lag, 0 allowed ("no soak"), at most 30 days.
Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), _in_range(timedelta(0), MAX_WINDOW, zero=True)
]
# Window: a watch that must last (monitoring, a look-back), longer than zero, at most 30 days.
Window = Annotated[
    timedelta, BeforeValidator(parse_duration), _in_range(timedelta(0), MAX_WINDOW, zero=False)
]
# Interval: how often a loop polls a provider: at least 0.1 s, at most a day.
Interval = Annotated[
    timedelta, BeforeValidator(parse_duration), _in_range(MIN_INTERVAL, MAX_INTERVAL, zero=False)
]


_SHOWN_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000))  # in milliseconds


def format_duration(value: timedelta, *, coarse: bool = False) -> str:
    """The one duration formatter: as the policy file writes it ("1h30m", "2d", "0.5s"), so
    `parse_duration` reads it back (to the millisecond, the policy's smallest unit). `coarse`,
    for a person reading a wait ("in review for 2d3h"): the two largest units, whole seconds."""
    ms = round(value / timedelta(milliseconds=1))
    sign, ms = ("-", -ms) if ms < 0 else ("", ms)
    if coarse and ms >= 1000:
        ms -= ms % 1000
    parts = []
    for unit, size in _SHOWN_UNITS:
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    if ms or not parts:
        parts.append(f"{ms / 1000:g}s")
    return sign + "".join(parts[:2] if coarse else parts)
