"""PagerDuty state: one account's incidents, services, teams and priorities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

STATUSES = ("triggered", "acknowledged", "resolved")
URGENCIES = ("high", "low")
# Priority ids and names are per account in PagerDuty (an account may call them "SEV1" or
# "P1 - Critical"); these are this sandbox account's defaults, replaceable by the admin API.
PRIORITIES = {
    "P1": "PSBXP01",
    "P2": "PSBXP02",
    "P3": "PSBXP03",
    "P4": "PSBXP04",
    "P5": "PSBXP05",
}
DEFAULT_SERVICE_ID = "PSBXSV1"
DEFAULT_SERVICE_NAME = "Edge Workers"
ESCALATION_POLICY = ("PSBXEP1", "Edge On-call")
RESPONDER = ("PSBXUS1", "Sandbox Responder")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def incident_id(number: int) -> str:
    """A stable PagerDuty-looking id (P + 6 base-36 characters), distinct per number."""
    value = (number * 48_271 + 7_919) % 36**6  # 48 271 is coprime to 36: a bijection
    chars = []
    for _ in range(6):
        value, digit = divmod(value, 36)
        chars.append(_ALPHABET[digit])
    return "P" + "".join(reversed(chars))


@dataclass
class Incident:
    id: str
    number: int
    title: str
    status: str
    urgency: str
    priority: str | None  # "P1".."P5" or None (no priority set, or priorities switched off)
    service_id: str
    service_name: str
    team_ids: list[str]
    created_at: datetime
    updated_at: datetime
    last_status_change_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    incident_key: str = ""
    priority_id: str | None = None


@dataclass
class PagerDutyStore:
    incidents: dict[str, Incident] = field(default_factory=dict)
    next_number: int = 1
    priorities: dict[str, str] = field(default_factory=lambda: dict(PRIORITIES))

    def set_priorities(self, names: list[str]) -> None:
        """The account's priority names, highest first (ids are made up, stable per position)."""
        self.priorities = {name: f"PSBXP{i:02d}" for i, name in enumerate(names, start=1)}

    def open(
        self,
        *,
        now: datetime,
        title: str,
        status: str,
        urgency: str,
        priority: str | None,
        created_at: datetime | None,
        incident_id_: str | None,
        service_id: str,
        service_name: str,
        team_ids: list[str],
    ) -> Incident:
        number = self.next_number
        self.next_number += 1
        ident = incident_id_ or incident_id(number)
        while ident in self.incidents:  # an admin-chosen id may collide with a generated one
            ident = incident_id(self.next_number)
            self.next_number += 1
        created = created_at or now
        incident = Incident(
            id=ident,
            number=number,
            title=title,
            status="triggered",
            urgency=urgency,
            priority=priority,
            service_id=service_id,
            service_name=service_name,
            team_ids=team_ids,
            created_at=created,
            updated_at=created,
            last_status_change_at=created,
            incident_key=f"sandbox-{ident.lower()}",
            priority_id=None if priority is None else self.priorities[priority],
        )
        self.incidents[ident] = incident
        if status != "triggered":
            self.set_status(incident, status, max(now, created))
        return incident

    def set_status(self, incident: Incident, status: str, now: datetime) -> None:
        if status == incident.status:
            return
        incident.status = status
        incident.updated_at = incident.last_status_change_at = now
        incident.acknowledged_at = now if status == "acknowledged" else None
        incident.resolved_at = now if status == "resolved" else None

    def ordered(self) -> list[Incident]:
        return sorted(self.incidents.values(), key=lambda i: i.number)
