"""Known freeze windows as half-open UTC intervals [start, end); end None = no known end."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from procedure.freeze.holidays_au import holiday_names
from procedure.freeze.observations import FreezeObservations, Maintenance
from procedure.freeze.policy import DeclaredIncident, FreezePolicy
from procedure.freeze.timeutil import local_day, local_midnight, to_utc
from procedure.freeze.verdict import WindowSource

ONE_DAY = timedelta(days=1)
OVERRUN_STATUSES = frozenset({"in_progress", "verifying"})


@dataclass(frozen=True, slots=True)
class Window:
    source: WindowSource
    name: str
    start: datetime  # UTC
    end: datetime | None  # UTC; None = open-ended
    link: str | None = None

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and (self.end is None or self.end > start)


class HolidayCalendar:
    """Freeze holidays of one policy as whole local days, contiguous days merged."""

    __slots__ = ("_states", "_kings", "_zone")

    def __init__(self, policy: FreezePolicy) -> None:
        self._states = tuple(policy.holidays.states)
        self._kings = policy.holidays.include_kings_birthday
        self._zone: tzinfo = policy.zone

    def names(self, day: date) -> tuple[str, ...]:
        return holiday_names(day, self._states, self._kings)

    def run(self, day: date, whole_name: bool = False) -> Window:
        """The merged window of the holiday run containing `day` (a holiday).

        Named for `day` (what a verdict reports: "today is Boxing Day"), or with every name in
        the run (what a calendar lists).
        """
        first = day
        while self.names(first - ONE_DAY):
            first -= ONE_DAY
        last = day
        while self.names(last + ONE_DAY):
            last += ONE_DAY
        if whole_name:
            days = (first + ONE_DAY * i for i in range((last - first).days + 1))
            names = dict.fromkeys(n for d in days for n in self.names(d))  # ordered, unique
        else:
            names = dict.fromkeys(self.names(day))
        return Window(
            "holiday",
            " / ".join(names),
            local_midnight(first, self._zone),
            local_midnight(last + ONE_DAY, self._zone),
        )

    def at(self, instant: datetime) -> Window | None:
        day = local_day(instant, self._zone)
        if not self.names(day):
            return None
        window = self.run(day)
        # Always true for a real zone; checked so a chain walking windows can never stall.
        return window if window.contains(instant) else None

    def between(self, start: datetime, end: datetime) -> Iterator[Window]:
        """Runs overlapping [start, end), each whole, in order, named with all their days."""
        day = local_day(start, self._zone)
        last = local_day(end, self._zone)
        while day <= last:
            if self.names(day):
                window = self.run(day, whole_name=True)
                if window.overlaps(start, end):
                    yield window
                day = local_day(window.end, self._zone) if window.end else last
            day += ONE_DAY


def _matches(wanted: list[str], observed: tuple[str, ...]) -> bool:
    if not wanted or not observed:
        return False
    names = {n.strip().casefold() for n in observed}
    return any(w.strip().casefold() in names for w in wanted)


def touches_policy(maintenance: Maintenance, policy: FreezePolicy) -> bool:
    rules = policy.maintenance
    return _matches(rules.components, maintenance.components) or _matches(
        rules.component_groups, maintenance.component_groups
    )


def maintenance_window(maintenance: Maintenance, policy: FreezePolicy) -> Window | None:
    """None when it cannot freeze (completed, or touches nothing the policy names)."""
    status = maintenance.status.strip().casefold()
    if status == "completed" or not touches_policy(maintenance, policy):
        return None
    rules = policy.maintenance
    start = to_utc(maintenance.scheduled_for) - rules.margin_before
    # An in-progress/verifying maintenance may overrun its schedule: its end is unknown until
    # the status page says it is completed, so it is open-ended like an incident.
    end = None
    if status not in OVERRUN_STATUSES:
        end = (
            to_utc(max(maintenance.scheduled_for, maintenance.scheduled_until)) + rules.margin_after
        )
    return Window("maintenance", maintenance.name, start, end, maintenance.url)


def declared_incident_window(incident: DeclaredIncident) -> Window:
    return Window(
        "incident",
        f"{incident.priority} {incident.id}: {incident.title} (declared)",
        to_utc(incident.start),
        None if incident.end is None else to_utc(incident.end),
    )


def static_windows(policy: FreezePolicy, observations: FreezeObservations) -> list[Window]:
    """Every non-holiday window with known start: declared freezes and incidents, maintenance."""
    windows = [
        Window("declared", f.reason, to_utc(f.start), to_utc(f.end))
        for f in policy.declared_freezes
    ]
    windows.extend(declared_incident_window(i) for i in policy.declared_incidents)
    for maintenance in observations.maintenances:
        window = maintenance_window(maintenance, policy)
        if window is not None:
            windows.append(window)
    return windows
