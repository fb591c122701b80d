"""Statuspage v2 JSON objects. Timestamps are rendered in the page's time zone, with its offset
and milliseconds (`2026-03-02T10:00:00.000-08:00`), as hosted pages render them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.statuspage.model import ACTIVE, UNRESOLVED, UPCOMING, Component, Event, Page

_SEVERITY = ("none", "minor", "major", "critical")
_COMPONENT_INDICATOR = {
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}


def stamp(page: Page, instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(ZoneInfo(page.time_zone)).isoformat(timespec="milliseconds")


def page_object(page: Page) -> dict[str, Any]:
    return {
        "id": page.id,
        "name": page.name,
        "url": page.url,
        "time_zone": page.time_zone,
        "updated_at": stamp(page, page.updated_at),
    }


def component(page: Page, item: Component) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "status": item.status,
        "created_at": stamp(page, item.created_at),
        "updated_at": stamp(page, item.updated_at),
        "position": item.position,
        "description": item.description,
        "showcase": False,
        "start_date": None,
        "group_id": item.group_id,
        "page_id": page.id,
        "group": item.group,
        "only_show_if_degraded": False,
    }
    if item.group:
        body["components"] = list(item.children)
    return body


def event(page: Page, item: Event) -> dict[str, Any]:
    """An incident or a scheduled maintenance, with its updates newest first."""
    affected = [page.components[c] for c in item.component_ids if c in page.components]
    body: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "status": item.status,
        "created_at": stamp(page, item.created_at),
        "updated_at": stamp(page, item.updated_at),
        "monitoring_at": stamp(page, item.monitoring_at),
        "resolved_at": stamp(page, item.resolved_at),
        "impact": item.impact,
        "shortlink": item.shortlink,
        "started_at": stamp(page, item.started_at or item.created_at),
        "page_id": page.id,
        "incident_updates": [
            {
                "id": update.id,
                "status": update.status,
                "body": update.body,
                "incident_id": item.id,
                "created_at": stamp(page, update.at),
                "updated_at": stamp(page, update.at),
                "display_at": stamp(page, update.at),
                "affected_components": [
                    {
                        "code": c.id,
                        "name": c.name,
                        "old_status": c.status,
                        "new_status": c.status,
                    }
                    for c in affected
                ]
                or None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for update in reversed(item.updates)
        ],
        "components": [component(page, c) for c in affected],
    }
    if item.is_maintenance:
        body |= {
            "scheduled_for": stamp(page, item.scheduled_for),
            "scheduled_until": stamp(page, item.scheduled_until),
            "scheduled_remind_prior": False,
            "scheduled_reminded_at": None,
            "impact_override": None,
            "scheduled_auto_in_progress": item.auto_transition,
            "scheduled_auto_completed": item.auto_transition,
        }
    return body


def maintenances(page: Page, statuses: tuple[str, ...] | None) -> list[Event]:
    """Maintenances in `statuses` (None: all), newest window first."""
    found = [m for m in page.maintenances.values() if statuses is None or m.status in statuses]
    return sorted(found, key=lambda m: (m.scheduled_for, m.created_at), reverse=True)


def incidents(page: Page, statuses: tuple[str, ...] | None) -> list[Event]:
    found = [i for i in page.incidents.values() if statuses is None or i.status in statuses]
    return sorted(found, key=lambda i: i.created_at, reverse=True)


def status(page: Page) -> dict[str, str]:
    """The page's overall indicator: the worst of its open incidents and component statuses."""
    levels = [_SEVERITY.index(i.impact) for i in incidents(page, UNRESOLVED)]
    levels += [
        _SEVERITY.index(_COMPONENT_INDICATOR[c.status])
        for c in page.components.values()
        if c.status in _COMPONENT_INDICATOR
    ]
    indicator = _SEVERITY[max(levels, default=0)]
    description = _DESCRIPTIONS[indicator]
    under_maintenance = bool(maintenances(page, ACTIVE)) or any(
        c.status == "under_maintenance" for c in page.components.values()
    )
    if indicator == "none" and under_maintenance:
        description = "Service Under Maintenance"
    return {"indicator": indicator, "description": description}


def summary(page: Page) -> dict[str, Any]:
    return {
        "page": page_object(page),
        "components": [component(page, c) for c in page.components.values()],
        "incidents": [event(page, i) for i in incidents(page, UNRESOLVED)],
        "scheduled_maintenances": [
            event(page, m) for m in maintenances(page, (*UPCOMING, *ACTIVE))
        ],
        "status": status(page),
    }
