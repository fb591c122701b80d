"""The freeze part of the policy file: what freezes production and how to treat blind spots."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from procedure.durations import Duration, Interval
from procedure.freeze.holidays_au import normalise_state
from procedure.freeze.timeutil import require_aware
from procedure.incidents import DECLARED, DEFAULT_PRIORITIES, IncidentFact, IncidentRules

# A declared incident is written with the procedure's own names, whatever the account uses.
FREEZE_PRIORITIES: frozenset[str] = frozenset(p.casefold() for p in DEFAULT_PRIORITIES)

OffsetDatetime = Annotated[datetime, AfterValidator(require_aware)]


class _Rules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HolidayRules(_Rules):
    states: list[str] = Field(
        default_factory=lambda: ["NSW"],
        min_length=1,
        description="home states/territories whose substitute days count (union of all listed)",
    )
    include_kings_birthday: bool = Field(
        default=True,
        description="Fair Work Act s115(1)(a) counts the King's birthday holiday as national; it "
        "freezes on each listed state's own date. false leaves it out",
    )

    @field_validator("states")
    @classmethod
    def _known_states(cls, value: list[str]) -> list[str]:
        return sorted({normalise_state(s) for s in value})


class MaintenanceRules(_Rules):
    # Cloudflare posts per-PoP maintenance almost daily: only named components/groups freeze.
    components: list[str] = Field(default_factory=list)
    component_groups: list[str] = Field(default_factory=list)
    margin_before: Duration = timedelta(0)
    margin_after: Duration = timedelta(0)


class DeclaredFreeze(_Rules):
    start: OffsetDatetime
    end: OffsetDatetime
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> DeclaredFreeze:
        if self.end <= self.start:
            raise ValueError(
                f"end {self.end.isoformat()} must be after start {self.start.isoformat()}"
            )
        return self


class DeclaredIncident(_Rules):
    """A P1/P2 declared in the policy by a team that has no PagerDuty."""

    id: str = Field(min_length=1)
    title: str
    priority: str
    start: OffsetDatetime
    end: OffsetDatetime | None = None

    @field_validator("priority")
    @classmethod
    def _freezing_priority(cls, value: str) -> str:
        # Only a P1/P2 freezes; declaring anything else in a freeze policy is a mistake.
        if value.strip().casefold() not in FREEZE_PRIORITIES:
            raise ValueError(f"priority {value!r} does not freeze; declared incidents are P1 or P2")
        return value.strip().upper()

    @model_validator(mode="after")
    def _ordered(self) -> DeclaredIncident:
        if self.end is not None and self.end <= self.start:
            raise ValueError(
                f"end {self.end.isoformat()} must be after start {self.start.isoformat()}"
            )
        return self

    def fact(self, at: datetime) -> IncidentFact:
        """As an incident source would report it at `at`; `incidents.assess` decides if it holds."""
        return IncidentFact(
            self.id,
            "declared",
            self.priority,
            self.title,
            DECLARED,
            observed_at=at,
            start=self.start,
            end=self.end,
        )


class SourceErrorRules(_Rules):
    """What an unreadable source means. Fail closed by default: unknown is not "no incident"."""

    incidents: Literal["freeze", "ignore"] = "freeze"
    maintenance: Literal["freeze", "ignore"] = "freeze"


class FreezePolicy(_Rules):
    timezone: str = Field(
        default="Australia/Sydney", description="IANA zone whose days the holidays fill"
    )
    holidays: HolidayRules = Field(default_factory=HolidayRules)
    maintenance: MaintenanceRules = Field(default_factory=MaintenanceRules)
    declared_freezes: list[DeclaredFreeze] = Field(default_factory=list)
    declared_incidents: list[DeclaredIncident] = Field(default_factory=list)
    incidents: IncidentRules = Field(
        default_factory=IncidentRules, description="which incidents are an active P1/P2"
    )
    on_source_error: SourceErrorRules = Field(default_factory=SourceErrorRules)
    on_freeze: Literal["wait", "fail"] = "wait"
    recheck_interval: Interval = timedelta(minutes=5)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, OSError, KeyError):  # KeyError covers ZoneInfoNotFoundError
            raise ValueError(
                f"unknown IANA time zone {value!r}; e.g. Australia/Sydney, Australia/Perth"
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key: cheap
