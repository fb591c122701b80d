"""Hypothesis strategies and an independent holiday oracle for the freeze properties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

import holidays
from hypothesis import strategies as st

from procedure.freeze import (
    SUBDIVISIONS,
    DeclaredFreeze,
    FreezeObservations,
    FreezePolicy,
    HolidayRules,
    Maintenance,
    MaintenanceRules,
)

AU_ZONES = sorted(z for z in available_timezones() if z.startswith("Australia/"))
STATES = list(SUBDIVISIONS)
FIRST, LAST = datetime(2024, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC)

# The oracle is written from the rule text, not from the module under test.
_NATIONAL = {
    "New Year's Day",
    "Australia Day",
    "Good Friday",
    "Easter Monday",
    "ANZAC Day",
    "Christmas Day",
    "Boxing Day",
    "Proclamation Day",
}
_KINGS = {"King's Birthday", "Queen's Birthday"}


@cache
def _oracle_days(state: str, year: int, kings: bool) -> frozenset[date]:
    calendar = holidays.country_holidays("AU", subdiv=state, years=year)
    wanted = _NATIONAL | (_KINGS if kings else set())
    return frozenset(
        d
        for d in calendar
        if any(n.replace(" (observed)", "") in wanted for n in calendar.get_list(d))
    )


def oracle_is_holiday(day: date, states: list[str], kings: bool) -> bool:
    return any(day in _oracle_days(s, day.year, kings) for s in states)


@lru_cache(maxsize=1)
def _all_holiday_dates() -> list[date]:
    days = {d for s in STATES for y in range(2024, 2036) for d in _oracle_days(s, y, kings=True)}
    return sorted(days)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


seconds = st.integers
any_instant = st.datetimes(
    min_value=FIRST.replace(tzinfo=None),
    max_value=(LAST - timedelta(microseconds=1)).replace(tzinfo=None),
    timezones=st.just(UTC),
)
# Instants around holidays, where the edges are.
near_holiday = st.builds(
    lambda d, s: datetime.combine(d, time(0), tzinfo=UTC) + timedelta(seconds=s),
    st.sampled_from(_all_holiday_dates()),
    seconds(-2 * 86400, 3 * 86400),
)
instants = st.one_of(any_instant, near_holiday)


@dataclass(frozen=True)
class Scenario:
    at: datetime
    policy: FreezePolicy
    observations: FreezeObservations

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.policy.timezone)


@st.composite
def declared_freeze(draw: st.DrawFn, at: datetime, zone: ZoneInfo) -> DeclaredFreeze:
    if draw(st.booleans()):  # aligned to local midnights, to touch holiday windows
        day = at.astimezone(zone).date() + timedelta(days=draw(seconds(-3, 3)))
        start = local_midnight(day, zone)
        end = local_midnight(day + timedelta(days=draw(seconds(1, 2))), zone)
    else:
        start = at + timedelta(seconds=draw(seconds(-3 * 86400, 3 * 86400)))
        end = start + timedelta(seconds=draw(seconds(1, 3 * 86400)))
    return DeclaredFreeze(start=start, end=end, reason=f"freeze {draw(seconds(0, 99))}")


@st.composite
def maintenance(draw: st.DrawFn, at: datetime) -> Maintenance:
    start = at + timedelta(seconds=draw(seconds(-2 * 86400, 2 * 86400)))
    return Maintenance(
        id=f"m{draw(seconds(0, 999))}",
        name="maintenance",
        status=draw(st.sampled_from(["scheduled", "in_progress", "verifying", "completed"])),
        scheduled_for=start,
        scheduled_until=start + timedelta(seconds=draw(seconds(0, 9 * 3600))),
        components=tuple(
            draw(st.lists(st.sampled_from(["Workers", "API", "LHR - London"]), unique=True))
        ),
        component_groups=tuple(draw(st.lists(st.sampled_from(["Oceania", "Europe"]), unique=True))),
    )


@st.composite
def scenarios(draw: st.DrawFn, with_maintenance: bool = True) -> Scenario:
    zone_name = draw(st.sampled_from(AU_ZONES))
    zone = ZoneInfo(zone_name)
    at_utc = draw(instants)
    # The caller may pass the instant in any zone; the answer must not depend on it.
    shown = draw(st.sampled_from([UTC, zone, ZoneInfo("Australia/Perth")]))
    policy = FreezePolicy(
        timezone=zone_name,
        holidays=HolidayRules(
            states=draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=3, unique=True)),
            include_kings_birthday=draw(st.booleans()),
        ),
        maintenance=MaintenanceRules(
            components=draw(st.lists(st.sampled_from(["workers", "API"]), unique=True)),
            component_groups=draw(st.lists(st.just("OCEANIA"), max_size=1)),
            margin_before=timedelta(seconds=draw(seconds(0, 7200))),
            margin_after=timedelta(seconds=draw(seconds(0, 7200))),
        ),
        declared_freezes=draw(st.lists(declared_freeze(at_utc, zone), max_size=3)),
        recheck_interval=timedelta(seconds=draw(seconds(1, 3600))),
    )
    maintenances = draw(st.lists(maintenance(at_utc), max_size=3)) if with_maintenance else []
    return Scenario(
        at_utc.astimezone(shown), policy, FreezeObservations(maintenances=tuple(maintenances))
    )


def oracle_holds(s: Scenario, instant: datetime) -> bool:
    """Does any known window hold at `instant`, judged from the rule text alone?"""
    policy = s.policy
    if oracle_is_holiday(
        instant.astimezone(s.zone).date(),
        policy.holidays.states,
        policy.holidays.include_kings_birthday,
    ):
        return True
    if any(f.start <= instant < f.end for f in policy.declared_freezes):
        return True
    wanted_c = {c.lower() for c in policy.maintenance.components}
    wanted_g = {g.lower() for g in policy.maintenance.component_groups}
    for m in s.observations.maintenances:
        touches = wanted_c & {c.lower() for c in m.components} or wanted_g & {
            g.lower() for g in m.component_groups
        }
        if not touches or m.status == "completed":
            continue
        if instant < m.scheduled_for - policy.maintenance.margin_before:
            continue
        if m.status in ("in_progress", "verifying"):
            return True
        if instant < m.scheduled_until + policy.maintenance.margin_after:
            return True
    return False
