"""The calendar of known freeze windows over a range (`relctl freeze --calendar`)."""

from __future__ import annotations

from datetime import datetime

from procedure.freeze.observations import FreezeObservations
from procedure.freeze.policy import FreezePolicy
from procedure.freeze.timeutil import as_local, require_aware, to_utc
from procedure.freeze.verdict import FreezeWindow
from procedure.freeze.windows import HolidayCalendar, static_windows

WINDOW_SOURCES = frozenset({"holiday", "declared", "maintenance", "incident"})
SOURCE_GROUPS = {"calendar": frozenset({"holiday", "declared"})}

_NO_OBSERVATIONS = FreezeObservations()


def _resolve(sources: frozenset[str] | None) -> frozenset[str]:
    if sources is None:
        return WINDOW_SOURCES
    resolved: set[str] = set()
    for name in sources:
        if name in SOURCE_GROUPS:
            resolved |= SOURCE_GROUPS[name]
        elif name in WINDOW_SOURCES:
            resolved.add(name)
        else:
            known = ", ".join(sorted(WINDOW_SOURCES | SOURCE_GROUPS.keys()))
            raise ValueError(f"unknown freeze source {name!r}; use any of {known}")
    return frozenset(resolved)


def freeze_windows(
    start: datetime,
    end: datetime,
    policy: FreezePolicy,
    observations: FreezeObservations = _NO_OBSERVATIONS,
    sources: frozenset[str] | None = None,
) -> list[FreezeWindow]:
    """Known windows overlapping [start, end), whole (not clipped), sorted by start.

    Open incidents from PagerDuty have no known start or end and are not calendar entries;
    policy-declared incidents are ("incident"). "calendar" = holidays + declared freezes.
    """
    require_aware(start, "start")
    require_aware(end, "end")
    lo, hi = to_utc(start), to_utc(end)
    if hi < lo:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    wanted = _resolve(sources)
    zone = policy.zone

    windows = [
        w for w in static_windows(policy, observations) if w.source in wanted and w.overlaps(lo, hi)
    ]
    if "holiday" in wanted:
        windows.extend(HolidayCalendar(policy).between(lo, hi))
    windows.sort(key=lambda w: (w.start, w.source, w.name))
    return [
        FreezeWindow(
            source=w.source,
            name=w.name,
            start=as_local(w.start, zone),
            end=None if w.end is None else as_local(w.end, zone),
            link=w.link,
        )
        for w in windows
    ]
