"""PagerDuty incident objects as List/Get Incident answer them (API links lead back here)."""

from __future__ import annotations

from typing import Any

from sandbox.clock import iso_seconds
from sandbox.pagerduty.model import ESCALATION_POLICY, RESPONDER, Incident

WEB = "https://sandbox.pagerduty.com"


def _reference(api: str, kind: str, collection: str, ident: str, summary: str) -> dict[str, Any]:
    return {
        "id": ident,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"{api}/{collection}/{ident}",
        "html_url": f"{WEB}/{collection}/{ident}",
    }


def priority(api: str, name: str | None, ident: str | None) -> dict[str, Any] | None:
    if name is None or ident is None:
        return None
    return {
        "id": ident,
        "type": "priority_reference",
        "summary": name,
        "self": f"{api}/priorities/{ident}",
        "name": name,
    }


def incident(api: str, item: Incident) -> dict[str, Any]:
    """`api` is the sandbox's PagerDuty base URL, e.g. http://127.0.0.1:8790/pagerduty."""
    responder = _reference(api, "user", "users", *RESPONDER)
    resolved = item.status == "resolved"
    body: dict[str, Any] = {
        "id": item.id,
        "type": "incident",
        "summary": f"[#{item.number}] {item.title}",
        "self": f"{api}/incidents/{item.id}",
        "html_url": f"{WEB}/incidents/{item.id}",
        "incident_number": item.number,
        "title": item.title,
        "created_at": iso_seconds(item.created_at),
        "updated_at": iso_seconds(item.updated_at),
        "status": item.status,
        "incident_key": item.incident_key,
        "service": _reference(api, "service", "services", item.service_id, item.service_name),
        "assignments": []
        if resolved
        else [{"at": iso_seconds(item.created_at), "assignee": responder}],
        "assigned_via": "escalation_policy",
        "last_status_change_at": iso_seconds(item.last_status_change_at),
        "alert_counts": {
            "all": 1,
            "triggered": 0 if resolved else 1,
            "resolved": 1 if resolved else 0,
        },
        "is_mergeable": True,
        "incident_type": {"name": "incident_default"},
        "escalation_policy": _reference(
            api, "escalation_policy", "escalation_policies", *ESCALATION_POLICY
        ),
        "teams": [_reference(api, "team", "teams", team, team) for team in item.team_ids],
        "pending_actions": [],
        "acknowledgements": [],
        "last_status_change_by": responder
        if item.status != "triggered"
        else _reference(api, "service", "services", item.service_id, item.service_name),
        "priority": priority(api, item.priority, item.priority_id),
        "incidents_responders": [],
        "responder_requests": [],
        "urgency": item.urgency,
    }
    if item.acknowledged_at is not None:
        body["acknowledgements"] = [
            {"at": iso_seconds(item.acknowledged_at), "acknowledger": responder}
        ]
    if item.resolved_at is not None:
        # Sent once resolved only: the API description types it as a non-nullable string.
        body["resolved_at"] = iso_seconds(item.resolved_at)
    return body
