"""What "an active P1/P2 incident" is — one rule for the freeze (no standard change during one)
and the emergency path (only during one), so an incident can never both block the standard
release and refuse the emergency fix.

Priority names are per PagerDuty account ("P1", "SEV1", "P1 - Critical" …): the policy lists the
names that count. An incident without a priority (untriaged, or an account with priorities
switched off) counts by its urgency by default: a high-urgency page is treated as P1/P2. Pure:
callers pass what the incident source said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# PagerDuty's open statuses, plus Statuspage's unresolved ones for callers that map those.
ACTIVE_STATUSES = frozenset(
    {"triggered", "acknowledged", "investigating", "identified", "monitoring"}
)
CLOSED_STATUSES = frozenset({"resolved", "postmortem"})
DEFAULT_PRIORITIES = ("P1", "P2")
# "P1 - Critical", "SEV1: outage", "P2 (High)": the leading token is the priority.
_LEADING = re.compile(r"^([^\s:(\[\-–—/|]+)")


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


class IncidentRules(BaseModel):
    """Which incidents are "an active P1/P2" (policy `freeze.incidents`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    priorities: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRIORITIES),
        min_length=1,
        description="the account's priority names that count as P1/P2, e.g. [SEV1, SEV2]; "
        "matched ignoring case, whole or as the leading token ('P1 - Critical')",
    )
    without_priority: Literal["urgency", "freeze", "ignore"] = Field(
        "urgency",
        description="an incident with no priority: urgency = high urgency counts as P1/P2; "
        "freeze = always counts; ignore = never counts",
    )

    @field_validator("priorities")
    @classmethod
    def _named(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(v.split()) for v in value]
        if any(not v for v in cleaned):
            raise ValueError("a priority name must not be blank")
        return cleaned

    def priority_counts(self, priority: str) -> bool:
        wanted = {_norm(p) for p in self.priorities}
        name = _norm(priority)
        if name in wanted:
            return True
        leading = _LEADING.match(name)
        return leading is not None and leading.group(1) in wanted


@dataclass(frozen=True)
class Assessment:
    """What the rule says about one incident."""

    counts: bool  # an active P1/P2 by the policy's rule
    active: bool  # not resolved
    label: str  # "P1", or "no priority, urgency high"
    notes: tuple[str, ...] = ()  # worth telling a person: the fail-closed choices made


def assess(
    *,
    status: str,
    priority: str | None,
    urgency: str | None,
    rules: IncidentRules,
    declared: bool = False,
) -> Assessment:
    """`declared`: an incident the policy itself declares (validated P1/P2 when loaded)."""
    state = status.strip().casefold()
    label = priority.strip() if priority and priority.strip() else None
    if state in CLOSED_STATUSES:
        return Assessment(False, False, label or "no priority")
    notes: list[str] = []
    if state not in ACTIVE_STATUSES:
        # Fail closed: an incident in a status we do not know is not assumed to be over.
        notes.append(f"unknown status {status!r}: active")
    if declared:
        return Assessment(True, True, label or "declared", tuple(notes))
    if label is not None:
        counts = rules.priority_counts(label)
        return Assessment(counts, True, label, tuple(notes) if counts else ())
    level = (urgency or "").strip().casefold() or None
    if rules.without_priority == "freeze":
        counts, why = True, "the policy counts every one"
    elif rules.without_priority == "ignore":
        counts, why = False, "the policy ignores them"
    else:
        counts, why = level != "low", "by its urgency"  # high, or urgency unknown: fail closed
    shown = f"no priority, urgency {level or 'unknown'}"
    notes.append(f"{shown}: {'counts' if counts else 'does not count'} as P1/P2 ({why})")
    return Assessment(counts, True, shown, tuple(notes))
