"""What the caller saw in the incident and maintenance sources, handed to the pure core."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from procedure.freeze.policy import OffsetDatetime


class _Observed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Incident(_Observed):
    """An open or recent incident (PagerDuty, or a Statuspage incident mapped by the caller)."""

    id: str
    title: str
    priority: str | None = Field(
        default=None, description="priority summary, e.g. 'P1'; null if unset"
    )
    status: str = Field(description="triggered | acknowledged | resolved (PagerDuty)")
    urgency: str | None = Field(
        default=None, description="high | low (PagerDuty); decides an incident without priority"
    )
    url: str | None = None
    source: str = "pagerduty"


class Maintenance(_Observed):
    """A Statuspage scheduled maintenance (Cloudflare posts them per data centre)."""

    id: str
    name: str
    status: str = Field(description="scheduled | in_progress | verifying | completed")
    scheduled_for: OffsetDatetime
    scheduled_until: OffsetDatetime
    components: tuple[str, ...] = ()
    component_groups: tuple[str, ...] = ()
    url: str | None = None


class SourceFailure(_Observed):
    source: Literal["incidents", "maintenance"]
    detail: str = ""


class FreezeObservations(_Observed):
    incidents: tuple[Incident, ...] = ()
    maintenances: tuple[Maintenance, ...] = ()
    failures: tuple[SourceFailure, ...] = ()
