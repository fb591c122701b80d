"""SandboxControl's methods for the change-freeze sources: PagerDuty incidents and the
Cloudflare/GitHub status pages. HTTP only, like the rest of SandboxControl."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


def _iso(instant: datetime | str) -> str:
    if isinstance(instant, str):
        return instant
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.isoformat()


class FreezeSourcesControl:
    """Mixed into SandboxControl, which supplies `_call`."""

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        raise NotImplementedError

    # -- PagerDuty -------------------------------------------------------------------------
    def pd_open_incident(
        self,
        title: str,
        *,
        priority: str | None = "P1",
        status: str = "triggered",
        created_at: datetime | str | None = None,
        incident_id: str | None = None,
        urgency: str = "high",
        service_id: str | None = None,
        team_ids: Iterable[str] = (),
    ) -> str:
        """Open an incident (priority one of the account's names, "P1".."P5" by default, or None);
        returns its id. `created_at` in the
        past (more than 30 days) reproduces the list's default-window pitfall."""
        doc: dict[str, Any] = {
            "title": title,
            "priority": priority,
            "status": status,
            "urgency": urgency,
            "team_ids": list(team_ids),
        }
        if created_at is not None:
            doc["created_at"] = _iso(created_at)
        if incident_id is not None:
            doc["id"] = incident_id
        if service_id is not None:
            doc["service_id"] = service_id
        result = self._call("POST", "/pagerduty/incidents", doc)
        return str(result["id"])

    def pd_set_priorities(self, names: Iterable[str]) -> None:
        """Rename the account's priorities (highest first), e.g. ["SEV1", "SEV2", "SEV3"]."""
        self._call("PUT", "/pagerduty/priorities", {"names": list(names)})

    def pd_set_incident_status(self, incident_id: str, status: str) -> dict[str, Any]:
        """Acknowledge, resolve or re-trigger an incident; returns it in the API's shape."""
        result: dict[str, Any] = self._call(
            "PUT", f"/pagerduty/incidents/{incident_id}", {"status": status}
        )
        return result

    def pd_incidents(self) -> list[dict[str, Any]]:
        """Every incident, whatever its status or age."""
        result: list[dict[str, Any]] = self._call("GET", "/pagerduty/incidents")
        return result

    # -- Statuspage ------------------------------------------------------------------------
    def status_post_maintenance(
        self,
        page: str,
        name: str,
        *,
        scheduled_for: datetime | str,
        scheduled_until: datetime | str,
        components: Iterable[str] = (),
        status: str = "scheduled",
        impact: str = "maintenance",
        auto_transition: bool = True,
    ) -> str:
        """Post a maintenance on `page` ("cloudflare" | "github") affecting the named components
        (a group's name stands for all its members); returns its id. With `auto_transition` it
        goes in progress at `scheduled_for` and completes at `scheduled_until`."""
        doc = {
            "name": name,
            "scheduled_for": _iso(scheduled_for),
            "scheduled_until": _iso(scheduled_until),
            "components": list(components),
            "status": status,
            "impact": impact,
            "auto_transition": auto_transition,
        }
        result = self._call("POST", f"/statuspage/{page}/maintenances", doc)
        return str(result["id"])

    def status_set_maintenance(self, page: str, maintenance_id: str, status: str) -> dict[str, Any]:
        """scheduled | in_progress | verifying | completed; returns the maintenance."""
        result: dict[str, Any] = self._call(
            "PUT", f"/statuspage/{page}/maintenances/{maintenance_id}", {"status": status}
        )
        return result

    def status_maintenances(self, page: str) -> list[dict[str, Any]]:
        """Every maintenance on the page, completed ones included."""
        result: list[dict[str, Any]] = self._call("GET", f"/statuspage/{page}/maintenances")
        return result

    def status_set_component(self, page: str, component: str, status: str) -> dict[str, Any]:
        """Set a component's status by name (a group sets all its members)."""
        result: dict[str, Any] = self._call(
            "PUT", f"/statuspage/{page}/components", {"component": component, "status": status}
        )
        return result

    def status_open_incident(
        self,
        page: str,
        name: str,
        *,
        impact: str = "major",
        status: str = "investigating",
        components: Iterable[str] = (),
    ) -> str:
        """Open an incident on a status page; returns its id."""
        doc = {"name": name, "impact": impact, "status": status, "components": list(components)}
        result = self._call("POST", f"/statuspage/{page}/incidents", doc)
        return str(result["id"])

    def status_set_incident(self, page: str, incident_id: str, status: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "PUT", f"/statuspage/{page}/incidents/{incident_id}", {"status": status}
        )
        return result
