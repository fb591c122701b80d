"""PagerDuty REST API v2: the open incidents a change freeze is decided on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from clients._base import TokenClient, json_body
from clients._pagerduty_models import PdIncident

__all__ = ["PagerDutyClient"]

_LIMIT = 100  # the most List Incidents gives per page
# Classic pagination stops here: the API refuses offset + limit > 10 000 with a 400.
_MAX_OFFSET_PLUS_LIMIT = 10_000
_ACTIVE = ("triggered", "acknowledged")


class PagerDutyClient(TokenClient):
    """An API key (`Authorization: Token token=...`) for one account.

    Construct as `PagerDutyClient(base_url, token, *, http=None, transport=None,
    retry=RetryPolicy(), timeout=10.0)`. 401/403 are final; 429 and 5xx are retried per policy.
    """

    provider = "pagerduty"
    auth_template = "Token token={}"

    extra_headers: ClassVar[Mapping[str, str]] = {
        "Accept": "application/vnd.pagerduty+json;version=2",
        # The API description marks Content-Type required on every call, reads included.
        "Content-Type": "application/json",
    }

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        body = json_body(response)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            detail = str(error.get("message") or "")
            extra = error.get("errors")
            if isinstance(extra, list) and extra:
                detail = f"{detail}: {'; '.join(str(e) for e in extra)}" if detail else str(extra)
            code = error.get("code")
            return code if isinstance(code, int | str) else None, detail
        return None, self._excerpt(response.text)

    async def active_incidents(
        self, *, service_ids: Iterable[str] = (), team_ids: Iterable[str] = ()
    ) -> list[PdIncident]:
        """Every triggered or acknowledged incident, however old, in the API's order.

        `date_range=all` is always sent: without it the API only lists incidents created in the
        last 30 days, and an incident acknowledged for five weeks would be missed. Priority is
        not filtered here (the API has no such filter); read `PdIncident.priority`.
        More than 10 000 matches cannot be paged through and raise a ProviderError rather than
        return a partial list.
        """
        op = "active_incidents"
        base: list[tuple[str, str | int]] = [("statuses[]", status) for status in _ACTIVE]
        base.append(("date_range", "all"))
        filters: list[tuple[str, str | int]] = [
            *(("service_ids[]", s) for s in _ids(service_ids)),
            *(("team_ids[]", t) for t in _ids(team_ids)),
        ]
        found: dict[str, PdIncident] = {}
        offset = 0
        while True:
            if offset + _LIMIT > _MAX_OFFSET_PLUS_LIMIT:
                raise self._fail(
                    op,
                    detail=f"more than {offset} active incidents: classic pagination ends at "
                    f"{_MAX_OFFSET_PLUS_LIMIT}; narrow the query with service_ids or team_ids",
                )
            query = [*base, ("limit", _LIMIT), ("offset", offset), ("total", "true"), *filters]
            response = await self._call(op, "GET", f"{self._url('incidents')}?{urlencode(query)}")
            with self._parsing(op):
                body = response.json()
                page = body["incidents"]
                for item in page:
                    incident = _incident(item)
                    # Offset pages over a list that changes underneath can repeat an item.
                    found.setdefault(incident.id, incident)
                more = bool(body.get("more"))
            if not more:
                return list(found.values())
            if not page:
                raise self._fail(op, detail="pagination did not advance: empty page with more")
            offset += len(page)

    async def get_incident(self, incident_id: str) -> PdIncident:
        """One incident by id, in any status; NotFoundError when there is none."""
        op = "get_incident"
        response = await self._call(op, "GET", self._url("incidents", incident_id))
        with self._parsing(op):
            return _incident(response.json()["incident"])


def _ids(values: Iterable[str]) -> tuple[str, ...]:
    # A lone id passed as a string would otherwise be sent one character at a time.
    return (values,) if isinstance(values, str) else tuple(values)


def _incident(item: dict[str, Any]) -> PdIncident:
    priority = item.get("priority")
    return PdIncident(
        id=item["id"],
        incident_number=item["incident_number"],
        title=item.get("title") or item.get("summary") or "",
        status=item["status"],
        urgency=item.get("urgency") or "high",
        priority=(priority.get("summary") or priority.get("name")) if priority else None,
        html_url=item["html_url"],
        created_at=item["created_at"],
        service_id=item["service"]["id"],
    )
