"""Which local dates are Australian national public holidays for the configured states.

`holidays.AU()` without a state lacks the substitute days (Mon 28 Dec 2026 is missing), so each
configured state's own calendar is built and filtered down to the national holidays (Fair Work
Act 2009 s115(1)(a)) and their substitutes. A state that MOVES a holiday instead of adding an
"(observed)" day lists it under the plain name on the moved date (QLD ANZAC Day 2027 on Mon
26 Apr, TAS Boxing Day 2026 on Mon 28 Dec), and s115(2) says that substituted day is the holiday,
so the name match covers it.

King's Birthday is national by s115(1)(a) too, observed on each state's own date (NSW: second
Monday of June; WA: September; QLD: October): it counts by default and is named with the
states whose day it is ("King's Birthday (NSW)"). Names are matched after normalising case,
apostrophes and spacing, and the monarch's title (the package says "Queen's Birthday" before
2023), because the freeze depends on the package's wording (pinned in pyproject.toml).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from types import MappingProxyType

import holidays

NATIONAL_HOLIDAYS: frozenset[str] = frozenset(
    {
        "New Year's Day",
        "Australia Day",
        "Good Friday",
        "Easter Monday",
        "ANZAC Day",
        "Christmas Day",
        "Boxing Day",
        # SA's statutory name for its 26 December holiday.
        "Proclamation Day",
    }
)
# National by s115(1)(a) but on a different date per state (HolidayRules can leave it out).
SOVEREIGN_BIRTHDAY: frozenset[str] = frozenset({"King's Birthday", "Queen's Birthday"})
OBSERVED_SUFFIX = " (observed)"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_OBSERVED = re.compile(r"\s*\(observed\)\s*$", re.IGNORECASE)
_SOVEREIGN = re.compile(r"(king|queen|sovereign|monarch)'?s birthday")

_AU = holidays.country_holidays("AU")
SUBDIVISIONS: tuple[str, ...] = tuple(_AU.subdivisions)
SUBDIVISION_ALIASES: Mapping[str, str] = MappingProxyType(
    dict(getattr(_AU, "subdivisions_aliases", {}))
)


def normalise_state(value: str) -> str:
    """Map "nsw" or "New South Wales" to "NSW"; ValueError naming the valid codes otherwise."""
    text = " ".join(value.split()).casefold()
    for code in SUBDIVISIONS:
        if code.casefold() == text:
            return code
    for alias, code in SUBDIVISION_ALIASES.items():
        if alias.casefold() == text:
            return code
    raise ValueError(
        f"unknown Australian state or territory {value!r}; use one of {', '.join(SUBDIVISIONS)}"
    )


def _canonical(name: str) -> str:
    """Case, apostrophes, spacing and an "(observed)" suffix do not change which holiday it is."""
    text = unicodedata.normalize("NFKC", name).translate(_APOSTROPHES)
    return _OBSERVED.sub("", " ".join(text.split())).casefold()


_NATIONAL_CANONICAL = frozenset(_canonical(n) for n in NATIONAL_HOLIDAYS)


def is_sovereign_birthday(name: str) -> bool:
    return _SOVEREIGN.fullmatch(_canonical(name)) is not None


def is_freeze_holiday(name: str, include_sovereign_birthday: bool) -> bool:
    if _canonical(name) in _NATIONAL_CANONICAL:
        return True
    return include_sovereign_birthday and is_sovereign_birthday(name)


@lru_cache(maxsize=1024)
def _state_year(state: str, year: int, kings: bool) -> Mapping[date, tuple[str, ...]]:
    calendar = holidays.country_holidays(
        "AU", subdiv=state, years=year, language="en_AU", observed=True
    )
    days: dict[date, tuple[str, ...]] = {}
    for day in calendar:
        # Two holidays on one date come back as "A; B".
        names = tuple(n for n in calendar.get_list(day) if is_freeze_holiday(n, kings))
        if names:
            days[day] = names
    return MappingProxyType(days)


@lru_cache(maxsize=4096)
def freeze_holidays(
    states: tuple[str, ...], year: int, kings: bool
) -> Mapping[date, tuple[str, ...]]:
    """Union over `states` of their national-holiday dates in `year`, each with its names.

    The sovereign's birthday is named with the states observing it that day: its date is the
    state's, so "King's Birthday (NSW)" says why 8 June freezes and 28 September does not."""
    merged: dict[date, set[str]] = {}
    observers: dict[tuple[date, str], set[str]] = {}
    for state in states:
        for day, names in _state_year(state, year, kings).items():
            for name in names:
                if is_sovereign_birthday(name):
                    observers.setdefault((day, name), set()).add(state)
                else:
                    merged.setdefault(day, set()).add(name)
    for (day, name), where in observers.items():
        merged.setdefault(day, set()).add(f"{name} ({', '.join(sorted(where))})")
    return MappingProxyType({d: tuple(sorted(n)) for d, n in sorted(merged.items())})


def holiday_names(day: date, states: Iterable[str], kings: bool) -> tuple[str, ...]:
    """Names of the freeze holidays on `day` (empty when it is not one)."""
    return freeze_holidays(tuple(states), day.year, kings).get(day, ())
