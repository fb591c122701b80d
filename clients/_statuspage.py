"""Atlassian Statuspage public API v2 (no token): a vendor's maintenance windows and components.

The base URL is the page root, e.g. `https://yh6f0r4529hb.statuspage.io` for Cloudflare (its
`www.cloudflarestatus.com` alias has refused programmatic clients); paths are `/api/v2/...`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Unpack

import httpx

from clients._base import BaseClient, Options, json_body
from clients._statuspage_models import SpComponent, SpIncident, SpMaintenance

__all__ = ["StatuspageClient"]

_API = "/api/v2"


class StatuspageClient(BaseClient):
    provider = "statuspage"

    extra_headers: ClassVar[Mapping[str, str]] = {"Accept": "application/json"}

    def __init__(self, base_url: str, **options: Unpack[Options]) -> None:
        # Forgive a base URL given with the API prefix already on it.
        super().__init__(base_url.rstrip("/").removesuffix(_API), **options)

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        body = json_body(response)
        if isinstance(body, dict):
            error = body.get("error") or body.get("message")
            if isinstance(error, str):
                return None, error
        return None, self._excerpt(response.text)

    async def _get(self, operation: str, path: str) -> Any:
        response = await self._call(operation, "GET", f"{self.base_url}{_API}/{path}")
        body = json_body(response)
        if not isinstance(body, dict):
            raise self._fail(operation, status=response.status_code, detail="answer is not JSON")
        return body

    # -- components ------------------------------------------------------------------------------

    async def components(self) -> list[SpComponent]:
        """Every component and component group on the page, in the page's order."""
        op = "components"
        body = await self._get(op, "components.json")
        with self._parsing(op):
            return [_component(item) for item in body["components"]]

    async def component_status(self, name: str) -> str | None:
        """The status of the component (or group) called `name`; None if the page has none."""
        for component in await self.components():
            if component.name == name:
                return component.status
        return None

    # -- maintenances ----------------------------------------------------------------------------

    async def scheduled_maintenances(self) -> list[SpMaintenance]:
        """Upcoming (`scheduled`) and active (`in_progress`, `verifying`) maintenances, once each,
        ordered by start. Each carries the names of the groups its components sit in, looked up
        in components.json (so "Oceania" can be matched by name)."""
        op = "scheduled_maintenances"
        reads = (
            asyncio.ensure_future(self._get(op, "scheduled-maintenances/upcoming.json")),
            asyncio.ensure_future(self._get(op, "scheduled-maintenances/active.json")),
            asyncio.ensure_future(self.components()),
        )
        try:
            upcoming, active, components = await asyncio.gather(*reads)
        except BaseException:
            # One read failed: stop the others rather than leave them retrying in the background.
            for read in reads:
                read.cancel()
            await asyncio.gather(*reads, return_exceptions=True)
            raise
        group_names = {c.id: c.name for c in components if c.group}
        with self._parsing(op):
            # A maintenance that starts between the two reads shows up in both: keep the copy
            # updated last (the active one on a tie).
            newest: dict[str, tuple[tuple[datetime | None, bool], dict[str, Any]]] = {}
            for is_active, body in ((False, upcoming), (True, active)):
                for item in body["scheduled_maintenances"]:
                    key = (_instant(item.get("updated_at")), is_active)
                    held = newest.get(item["id"])
                    if held is None or _later(key, held[0]):
                        newest[item["id"]] = (key, item)
            found = [_maintenance(item, group_names) for _, item in newest.values()]
        return sorted(found, key=lambda m: (m.scheduled_for, m.id))

    # -- incidents -------------------------------------------------------------------------------

    async def unresolved_incidents(self) -> list[SpIncident]:
        """Incidents still investigating, identified or monitoring."""
        op = "unresolved_incidents"
        body = await self._get(op, "incidents/unresolved.json")
        with self._parsing(op):
            return [
                SpIncident(
                    id=item["id"],
                    name=item["name"],
                    status=item["status"],
                    impact=item["impact"],
                    created_at=item["created_at"],
                    components=_names(item.get("components") or ()),
                    shortlink=item.get("shortlink") or None,
                )
                for item in body["incidents"]
            ]


def _component(item: dict[str, Any]) -> SpComponent:
    return SpComponent(
        id=item["id"],
        name=item["name"],
        status=item["status"],
        group_id=item.get("group_id") or None,
        group=bool(item.get("group")),
    )


def _names(components: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c["name"] for c in components))


def _maintenance(item: dict[str, Any], group_names: dict[str, str]) -> SpMaintenance:
    affected = item.get("components") or []
    group_ids: list[str] = []
    for component in affected:
        if component.get("group"):
            group_ids.append(component["id"])  # the whole group is named as affected
        elif component.get("group_id"):
            group_ids.append(component["group_id"])
    group_ids = list(dict.fromkeys(group_ids))
    return SpMaintenance(
        id=item["id"],
        name=item["name"],
        status=item["status"],
        impact=item["impact"],
        scheduled_for=item["scheduled_for"],
        scheduled_until=item["scheduled_until"],
        components=_names(affected),
        component_group_ids=tuple(group_ids),
        component_groups=tuple(group_names[g] for g in group_ids if g in group_names),
        shortlink=item.get("shortlink") or None,
    )


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _later(key: tuple[datetime | None, bool], held: tuple[datetime | None, bool]) -> bool:
    (when, active), (held_when, held_active) = key, held
    if when is not None and held_when is not None and when != held_when:
        return when > held_when
    return active and not held_active
