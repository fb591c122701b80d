"""The freeze verdict for one instant: frozen?, every reason, and the next allowed instant."""

from __future__ import annotations

from datetime import datetime, tzinfo

from procedure.freeze.observations import FreezeObservations, Incident
from procedure.freeze.policy import FreezePolicy
from procedure.freeze.timeutil import as_local, require_aware, to_utc
from procedure.freeze.verdict import FreezeReason, FreezeVerdict
from procedure.freeze.windows import (
    HolidayCalendar,
    Window,
    declared_incident_window,
    static_windows,
)

# One definition of an active P1/P2 with the emergency path.
from procedure.incidents import IncidentFact, IncidentRules, assess

UNKNOWN_STATUS_NAME = {
    "incidents": "incident status unknown",
    "maintenance": "maintenance status unknown",
}
# Reasons are listed with the open-ended ones first: those are what a release engineer acts on.
_SOURCE_ORDER = {
    "incident": 0,
    "source-unavailable": 1,
    "maintenance": 2,
    "declared": 3,
    "holiday": 4,
}

_NO_OBSERVATIONS = FreezeObservations()


def _incident_reasons(
    incidents: tuple[Incident, ...], rules: IncidentRules, at: datetime, notes: list[str]
) -> list[FreezeReason]:
    reasons = []
    for incident in incidents:
        fact = IncidentFact(
            incident.id,
            incident.status,
            incident.priority,
            incident.title,
            incident.source,
            urgency=incident.urgency,
            observed_at=at,
        )
        found = assess(fact, rules)
        notes.extend(f"incident {incident.id} ({incident.title}): {n}" for n in found.notes)
        if not found.counts:
            continue
        has_priority = bool(incident.priority and incident.priority.strip())
        label = found.label.upper() if has_priority else found.label
        reasons.append(
            FreezeReason(
                source="incident",
                name=f"{label} {incident.id}: {incident.title}",
                start=at,  # its window is [now, unknown)
                end=None,
                link=incident.url,
            )
        )
    return reasons


def _failure_reasons(
    policy: FreezePolicy, observations: FreezeObservations, at: datetime, notes: list[str]
) -> list[FreezeReason]:
    reasons = []
    for source in ("incidents", "maintenance"):
        failures = [f for f in observations.failures if f.source == source]
        if not failures:
            continue
        action = getattr(policy.on_source_error, source)
        for failure in failures:
            ignored = " (ignored by policy)" if action == "ignore" else ""
            detail = f": {failure.detail}" if failure.detail else ""
            notes.append(f"{source} source unavailable{ignored}{detail}")
        if action == "freeze":
            reasons.append(
                FreezeReason(
                    source="source-unavailable",
                    name=UNKNOWN_STATUS_NAME[source],
                    start=at,
                    end=None,
                )
            )
    return reasons


def _reason(window: Window, zone: tzinfo) -> FreezeReason:
    return FreezeReason(
        source=window.source,
        name=window.name,
        start=as_local(window.start, zone),
        end=None if window.end is None else as_local(window.end, zone),
        link=window.link,
    )


def chain_end(
    instant: datetime, windows: list[Window], calendar: HolidayCalendar
) -> tuple[datetime, bool]:
    """Walk forward through touching/overlapping windows from `instant` (UTC).

    Returns (t, open): the first instant no window holds, or the instant where an open-ended
    window was reached (open=True), after which nothing can be known.
    """
    t = instant
    while True:
        holding = [w for w in windows if w.contains(t)]
        holiday = calendar.at(t)
        if holiday is not None:
            holding.append(holiday)
        if not holding:
            return t, False
        ends = [w.end for w in holding]
        if None in ends:
            return t, True
        t = max(e for e in ends if e is not None)  # strictly later: every window held at t


def evaluate_freeze(
    at: datetime, policy: FreezePolicy, observations: FreezeObservations = _NO_OBSERVATIONS
) -> FreezeVerdict:
    """Decide whether production changes are frozen at the instant `at` (timezone-aware)."""
    require_aware(at, "at")
    now = to_utc(at)
    zone = policy.zone
    notes: list[str] = []

    open_reasons = _incident_reasons(observations.incidents, policy.incidents, at, notes)
    open_reasons += _failure_reasons(policy, observations, at, notes)

    windows = static_windows(policy, observations)
    calendar = HolidayCalendar(policy)
    # Declared incidents are windows (for the chain and the calendar), but whether one holds now
    # is the incident rule's call, as for the emergency path.
    holding = [w for w in windows if w.source != "incident" and w.contains(now)]
    holding += [
        declared_incident_window(i)
        for i in policy.declared_incidents
        if assess(i.fact(at), policy.incidents).counts
    ]
    holiday = calendar.at(now)
    if holiday is not None:
        holding.append(holiday)
    for window in holding:
        if window.source == "maintenance" and window.end is None:
            notes.append(f"maintenance {window.name!r} is in progress: end unknown until completed")

    reasons = open_reasons + [_reason(w, zone) for w in holding]
    reasons.sort(key=lambda r: (_SOURCE_ORDER[r.source], r.start or at, r.name))

    next_allowed: datetime | None = at
    recheck_at: datetime | None = None
    if reasons:
        next_allowed = None
        # Add in UTC: `at` may carry a ZoneInfo, and adding to that is wall-clock arithmetic.
        recheck = now + policy.recheck_interval
        if not open_reasons:
            until, reached_open = chain_end(now, windows, calendar)
            if not reached_open:
                next_allowed = as_local(until, zone)
            else:
                # Known windows hold until `until`; checking before then cannot lift the freeze.
                recheck = max(until, recheck)
        if next_allowed is None:
            recheck_at = as_local(recheck, zone)

    return FreezeVerdict(
        at=at,
        frozen=bool(reasons),
        reasons=tuple(reasons),
        next_allowed=next_allowed,
        recheck_at=recheck_at,
        notes=tuple(notes),
    )
