"""The change-freeze policy as one pure function.

`evaluate_freeze(at, policy, observations)` says whether production changes are frozen at the
instant `at`, every reason, and the next instant at which no freeze holds. No I/O and no clock:
the caller reads PagerDuty and Statuspage and passes what it saw (or that it could not see).

Rules (procedure: "no non-emergency deployments during active P1/P2 incidents, Australian
national public holidays, pre-announced Cloudflare maintenance windows"):

- Incidents: any active P1/P2 freezes, by the one rule the emergency path uses too
  (procedure/incidents.py): the priority summary is one of the policy's `incidents.priorities`
  (the account's names, e.g. SEV1; default P1/P2), and an incident without a priority counts by
  its urgency (high freezes) unless `incidents.without_priority` says otherwise. Open statuses
  are PagerDuty triggered/acknowledged (and Statuspage investigating/identified/monitoring); an
  unknown status counts as open (fail closed, with a note). Policy `declared_incidents` cover teams without
  PagerDuty: [start, end), or open-ended when end is null.
- Holidays: New Year's Day, Australia Day, Good Friday, Easter Monday, ANZAC Day, Christmas Day,
  Boxing Day (SA: Proclamation Day), and their "(observed)" substitutes, as the `holidays`
  package lists them for each configured state (union). `holidays.AU()` without a state has no
  substitutes, so it is not used. A state that moves a holiday (QLD ANZAC Day 2027 -> Mon 26 Apr,
  TAS Boxing Day 2026 -> Mon 28 Dec) lists it under the plain name on the new date, and that day
  counts (Fair Work Act s115(2): the substituted day is the holiday). King's Birthday is national
  under s115(1)(a), on each configured state's own date ("King's Birthday (NSW)"); on by
  default, `include_kings_birthday: false` leaves it out. A holiday is the
  whole local day (midnight to midnight in `timezone`, 23-25 h across DST); adjacent holidays
  merge into one window; weekends alone never freeze.
- Maintenance: only maintenances naming a configured component or component group (exact,
  case-insensitive) freeze, over [scheduled_for - margin_before, scheduled_until + margin_after).
  `completed` never freezes. `in_progress`/`verifying` may overrun the schedule, so such a window
  is open-ended from its start: the verdict has no next_allowed and asks for a recheck.
- Declared freezes: policy windows [start, end).
- Unreadable sources fail closed ("incident status unknown" / "maintenance status unknown")
  unless `on_source_error` says "ignore" for that source.

Windows are half-open [start, end). `next_allowed` chains through touching or overlapping known
windows (a holiday ending at midnight where a declared freeze starts, ...); it equals `at` when
not frozen, and is None while an open-ended reason holds (incident, unreadable source,
in-progress maintenance) — then `recheck_at` = at + recheck_interval (or the end of the known
windows in front of it, if later). Computation runs on UTC instants; reported times carry the
UTC offset of the policy's zone as fixed-offset datetimes (readable as local time, and exact
under arithmetic: ZoneInfo datetimes sharing a tzinfo subtract by wall clock across DST).
"""

from procedure.freeze.calendar import freeze_windows
from procedure.freeze.evaluate import evaluate_freeze
from procedure.freeze.holidays_au import NATIONAL_HOLIDAYS, SUBDIVISIONS, freeze_holidays
from procedure.freeze.observations import FreezeObservations, Incident, Maintenance, SourceFailure
from procedure.freeze.policy import (
    DeclaredFreeze,
    DeclaredIncident,
    FreezePolicy,
    HolidayRules,
    MaintenanceRules,
    SourceErrorRules,
)
from procedure.freeze.verdict import FreezeReason, FreezeVerdict, FreezeWindow

__all__ = [
    "NATIONAL_HOLIDAYS",
    "SUBDIVISIONS",
    "DeclaredFreeze",
    "DeclaredIncident",
    "FreezeObservations",
    "FreezePolicy",
    "FreezeReason",
    "FreezeVerdict",
    "FreezeWindow",
    "HolidayRules",
    "Incident",
    "Maintenance",
    "MaintenanceRules",
    "SourceErrorRules",
    "SourceFailure",
    "evaluate_freeze",
    "freeze_holidays",
    "freeze_windows",
]
