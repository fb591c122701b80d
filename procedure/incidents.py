"""What "an active P1/P2 incident" is — one rule for the freeze (no standard change during one)
and the emergency path (only during one), so an incident can never both block the standard
release and refuse the emergency fix.

Priority names are per PagerDuty account ("P1", "SEV1", "P1 - Critical" …): the policy lists the
names that count. An incident without a priority (untriaged, or an account with priorities
switched off) counts by its urgency by default: a high-urgency page is treated as P1/P2. An
incident the policy declares (a team without PagerDuty) is a validated P1/P2 over its own
[start, end). Pure: callers pass what the incident source said, and when.

`assess` is the one place this is decided: the freeze, the emergency check and the task that
reads the incident all go through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# PagerDuty's open statuses, plus Statuspage's unresolved ones for callers that map those.
ACTIVE_STATUSES = frozenset(
    {"triggered", "acknowledged", "investigating", "identified", "monitoring"}
)
CLOSED_STATUSES = frozenset({"resolved", "postmortem"})
DEFAULT_PRIORITIES = ("P1", "P2")
DECLARED = "policy"  # IncidentFact.source of an incident the policy declares
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


class Standing(StrEnum):
    """Where one incident stands against the rule."""

    COUNTS = "counts"  # an active P1/P2
    NOT_ACTIVE = "not active"  # resolved, or a declared incident outside its [start, end)
    BELOW = "below P1/P2"  # active, but not a priority (or urgency) the policy counts


@dataclass(frozen=True)
class IncidentFact:
    """What an incident source said about one incident at `observed_at`."""

    id: str
    status: str
    priority: str | None
    title: str
    source: str  # "PagerDuty", or DECLARED ("policy")
    urgency: str | None = None  # PagerDuty high | low: decides an incident without priority
    observed_at: datetime | None = None  # needed for a declared incident: is it inside its window?
    start: datetime | None = None  # a declared incident's [start, end); end None = open-ended
    end: datetime | None = None

    @property
    def declared(self) -> bool:
        return self.source == DECLARED


@dataclass(frozen=True)
class Assessment:
    """What the rule says about one incident."""

    standing: Standing
    label: str  # "P1", or "no priority, urgency high"
    notes: tuple[str, ...] = ()  # worth telling a person: the fail-closed choices made

    @property
    def counts(self) -> bool:  # an active P1/P2 by the policy's rule
        return self.standing is Standing.COUNTS

    @property
    def active(self) -> bool:  # not resolved
        return self.standing is not Standing.NOT_ACTIVE


def _declared_holds(fact: IncidentFact) -> bool:
    if fact.observed_at is None:
        raise ValueError(
            f"declared incident {fact.id}: observed_at is needed to place it in its window"
        )
    # On UTC instants: datetimes sharing one tzinfo compare by wall clock across a DST fold.
    at = fact.observed_at.astimezone(UTC)
    start = None if fact.start is None else fact.start.astimezone(UTC)
    end = None if fact.end is None else fact.end.astimezone(UTC)
    return (start is None or start <= at) and (end is None or at < end)


def assess(fact: IncidentFact, rules: IncidentRules) -> Assessment:
    """Whether `fact` is an active P1/P2 by the policy's rule, and what to tell a person."""
    label = fact.priority.strip() if fact.priority and fact.priority.strip() else None
    if fact.declared:
        # Validated P1/P2 when the policy was loaded, whatever the account calls its priorities.
        standing = Standing.COUNTS if _declared_holds(fact) else Standing.NOT_ACTIVE
        return Assessment(standing, label or "declared")
    state = fact.status.strip().casefold()
    if state in CLOSED_STATUSES:
        return Assessment(Standing.NOT_ACTIVE, label or "no priority")
    notes: list[str] = []
    if state not in ACTIVE_STATUSES:
        # Fail closed: an incident in a status we do not know is not assumed to be over.
        notes.append(f"unknown status {fact.status!r}: active")
    if label is not None:
        if rules.priority_counts(label):
            return Assessment(Standing.COUNTS, label, tuple(notes))
        return Assessment(Standing.BELOW, label)
    level = (fact.urgency or "").strip().casefold() or None
    if rules.without_priority == "freeze":
        counts, why = True, "the policy counts every one"
    elif rules.without_priority == "ignore":
        counts, why = False, "the policy ignores them"
    else:
        counts, why = level != "low", "by its urgency"  # high, or urgency unknown: fail closed
    shown = f"no priority, urgency {level or 'unknown'}"
    notes.append(f"{shown}: {'counts' if counts else 'does not count'} as P1/P2 ({why})")
    return Assessment(Standing.COUNTS if counts else Standing.BELOW, shown, tuple(notes))
