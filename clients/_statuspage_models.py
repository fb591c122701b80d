"""What the Statuspage client returns: maintenance windows, components and open incidents."""

from __future__ import annotations

from pydantic import AwareDatetime

from clients._models import Frozen

__all__ = ["SpComponent", "SpIncident", "SpMaintenance"]


class SpComponent(Frozen):
    id: str
    name: str
    # operational | degraded_performance | partial_outage | major_outage | under_maintenance
    status: str
    group_id: str | None  # the group this component sits in, if any
    group: bool  # True for a component group (e.g. "Oceania") itself


class SpMaintenance(Frozen):
    id: str
    name: str
    status: str  # scheduled | in_progress | verifying | completed
    impact: str  # none | minor | major | critical | maintenance
    scheduled_for: AwareDatetime
    scheduled_until: AwareDatetime  # a `verifying` maintenance can run past this
    components: tuple[str, ...]  # names of the affected components
    component_group_ids: tuple[str, ...]  # ids of the groups those components sit in
    component_groups: tuple[str, ...]  # names of those groups, e.g. ("Oceania",)
    shortlink: str | None


class SpIncident(Frozen):
    id: str
    name: str
    status: str  # investigating | identified | monitoring (resolved ones are not listed)
    impact: str  # none | minor | major | critical
    created_at: AwareDatetime
    components: tuple[str, ...]
    shortlink: str | None
