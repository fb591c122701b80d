"""Vendor-shaped PagerDuty and Statuspage answers for the freeze-source clients. PagerDuty's start
from the example inside its own OpenAPI description; all are checked against the descriptions."""

from __future__ import annotations

import copy
from typing import Any

from tests.clients._spec import PAGERDUTY_REST, spec_document

PD_URL = "https://api.pagerduty.com"
SP_URL = "https://yh6f0r4529hb.statuspage.io"
PAGE_ID = "yh6f0r4529hb"
SERVICE = "PIJ90N7"


def _pd_example() -> dict[str, Any]:
    listing = spec_document(PAGERDUTY_REST)["paths"]["/incidents"]["get"]["responses"]["200"]
    example = listing["content"]["application/json"]["examples"]["response"]["value"]
    return copy.deepcopy(example["incidents"][0])


def pd_incident(
    ident: str,
    number: int,
    *,
    status: str = "triggered",
    priority: str | None = "P1",
    created_at: str = "2026-03-02T10:00:00Z",
    service_id: str = SERVICE,
    title: str | None = None,
) -> dict[str, Any]:
    incident = _pd_example()
    # The description's own example breaks its schema here (null for non-nullable fields).
    incident["alert_grouping"].pop("ended_at")
    incident.pop("resolve_reason")
    incident.update(
        id=ident,
        incident_number=number,
        title=title or f"Incident {number}",
        summary=f"[#{number}] {title or f'Incident {number}'}",
        status=status,
        created_at=created_at,
        self=f"{PD_URL}/incidents/{ident}",
        html_url=f"https://acme.pagerduty.com/incidents/{ident}",
    )
    incident["service"] = {**incident["service"], "id": service_id}
    if status != "resolved":
        incident.pop("resolved_at")
    if priority is None:
        incident["priority"] = None
    else:
        incident["priority"] = {**incident["priority"], "summary": priority}
    return incident


def pd_page(
    incidents: list[dict[str, Any]],
    *,
    offset: int = 0,
    more: bool = False,
    total: int | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    return {"incidents": incidents, "limit": limit, "offset": offset, "more": more, "total": total}


def pd_error(code: int, message: str, *errors: str) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if errors:
        error["errors"] = list(errors)
    return {"error": error}


# -- Statuspage --------------------------------------------------------------------------------


def sp_page() -> dict[str, Any]:
    return {
        "id": PAGE_ID,
        "name": "Cloudflare",
        "url": "https://www.cloudflarestatus.com",
        "time_zone": "Etc/UTC",
        "updated_at": "2026-03-02T09:00:00.000Z",
    }


def sp_component(
    ident: str,
    name: str,
    *,
    group_id: str | None = None,
    group: bool = False,
    status: str = "operational",
    children: list[str] | None = None,
) -> dict[str, Any]:
    component: dict[str, Any] = {
        "id": ident,
        "name": name,
        "status": status,
        "created_at": "2014-10-09T03:32:07.158Z",
        "updated_at": "2026-03-01T20:00:00.000Z",
        "position": 1,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": group_id,
        "page_id": PAGE_ID,
        "group": group,
        "only_show_if_degraded": False,
    }
    if children is not None:
        component["components"] = children
    return component


GROUP_OCEANIA = sp_component("grpoceania01", "Oceania", group=True, children=["compsyd00001"])
GROUP_SITES = sp_component("grpsites0001", "Cloudflare Sites and Services", group=True)
SYD = sp_component("compsyd00001", "Sydney, Australia - (SYD)", group_id="grpoceania01")
WORKERS = sp_component("compworkers1", "Workers", group_id="grpsites0001")
LHR = sp_component("complhr00001", "London, United Kingdom - (LHR)", group_id="grpeurope001")
COMPONENTS = [GROUP_SITES, WORKERS, GROUP_OCEANIA, SYD, LHR]


def sp_maintenance(
    ident: str,
    name: str,
    status: str,
    *,
    scheduled_for: str,
    scheduled_until: str,
    components: list[dict[str, Any]],
    updated_at: str = "2026-03-01T12:00:00.000Z",
) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "status": status,
        "created_at": "2026-02-20T12:00:00.000Z",
        "updated_at": updated_at,
        "monitoring_at": None,
        "resolved_at": None,
        "impact": "maintenance",
        "shortlink": f"https://stspg.io/{ident[:5]}",
        "started_at": "2026-02-20T12:00:00.000Z",
        "page_id": PAGE_ID,
        "incident_updates": [
            {
                "id": f"upd{ident}"[:12],
                "status": status,
                "body": "We will be performing scheduled maintenance.",
                "incident_id": ident,
                "created_at": "2026-02-20T12:00:00.000Z",
                "updated_at": "2026-02-20T12:00:00.000Z",
                "display_at": "2026-02-20T12:00:00.000Z",
                "affected_components": None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        ],
        "components": components,
        "scheduled_for": scheduled_for,
        "scheduled_until": scheduled_until,
        "scheduled_remind_prior": False,
        "scheduled_reminded_at": None,
        "impact_override": None,
        "scheduled_auto_in_progress": True,
        "scheduled_auto_completed": True,
    }


def sp_incident(ident: str, name: str, status: str, impact: str) -> dict[str, Any]:
    incident = sp_maintenance(
        ident,
        name,
        status,
        scheduled_for="",
        scheduled_until="",
        components=[WORKERS],
    )
    for key in (
        "scheduled_for",
        "scheduled_until",
        "scheduled_remind_prior",
        "scheduled_reminded_at",
        "impact_override",
        "scheduled_auto_in_progress",
        "scheduled_auto_completed",
    ):
        incident.pop(key)
    incident["impact"] = impact
    incident["incident_updates"][0]["body"] = "We are investigating."
    return incident


def sp_list(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"page": sp_page(), key: items}
