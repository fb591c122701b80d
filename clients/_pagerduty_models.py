"""What the PagerDuty client returns: only the facts the change-freeze policy reads."""

from __future__ import annotations

from pydantic import AwareDatetime

from clients._models import Frozen

__all__ = ["PdIncident"]


class PdIncident(Frozen):
    id: str
    incident_number: int
    title: str
    status: str  # triggered | acknowledged | resolved
    urgency: str  # high | low
    # `priority.summary` ("P1", "P2", ...). None when the incident has no priority, which is also
    # what every incident looks like on an account with the priorities feature switched off.
    priority: str | None
    html_url: str
    created_at: AwareDatetime
    service_id: str
