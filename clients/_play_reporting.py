"""Play Developer Reporting API v1beta1: Android vitals (crash and ANR rates) per version code."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from clients._google import GoogleApiClient
from clients._play_models import VitalsSample

__all__ = ["PlayReportingClient"]

Aggregation = Literal["HOURLY", "DAILY"]

_CRASH_METRICS = ("crashRate", "userPerceivedCrashRate", "distinctUsers")
_ANR_METRICS = ("anrRate", "userPerceivedAnrRate", "distinctUsers")
_USERS = "distinctUsers"
_PAGE_SIZE = 1000
_MAX_PAGES = 100
# HOURLY is in UTC only; DAILY only in America/Los_Angeles (the metric sets' descriptions).
_ZONES: dict[str, str] = {"HOURLY": "UTC", "DAILY": "America/Los_Angeles"}


class PlayReportingClient(GoogleApiClient):
    """Reporting API at `base_url` (e.g. https://playdeveloperreporting.googleapis.com/v1beta1).
    Credentials need the playdeveloperreporting scope."""

    provider = "google-play-reporting"

    async def vitals(
        self,
        package: str,
        version_code: int,
        *,
        start: datetime,
        end: datetime,
        aggregation: Aggregation = "HOURLY",
    ) -> VitalsSample:
        """Crash and ANR rates of one version code in [start, end).

        The window is cut to whole periods (hours in UTC, or days in America/Los_Angeles):
        start rounded down, end rounded down, so only complete periods count. Two queries,
        every page of each. No rows (or an empty window) gives a sample of all None.
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("vitals windows need timezone-aware datetimes")
        if end <= start:
            raise ValueError("the vitals window must end after it starts")
        if aggregation not in _ZONES:
            raise ValueError(f"aggregation must be HOURLY or DAILY, not {aggregation!r}")
        first, last = _aligned(start, aggregation), _aligned(end, aggregation)
        if last <= first:
            return VitalsSample(
                crash_rate=None,
                user_perceived_crash_rate=None,
                anr_rate=None,
                user_perceived_anr_rate=None,
                distinct_users=None,
            )
        spec = {
            "aggregationPeriod": aggregation,
            "startTime": _date_time(first, aggregation),
            "endTime": _date_time(last, aggregation),
        }
        crash, anr = await asyncio.gather(
            self._query(
                "crash_rate", package, "crashRateMetricSet", _CRASH_METRICS, spec, version_code
            ),
            self._query("anr_rate", package, "anrRateMetricSet", _ANR_METRICS, spec, version_code),
        )
        users = _present(crash, _USERS) or _present(anr, _USERS)
        return VitalsSample(
            crash_rate=_weighted(crash, "crashRate"),
            user_perceived_crash_rate=_weighted(crash, "userPerceivedCrashRate"),
            anr_rate=_weighted(anr, "anrRate"),
            user_perceived_anr_rate=_weighted(anr, "userPerceivedAnrRate"),
            distinct_users=round(max(users)) if users else None,
        )

    async def _query(
        self,
        op: str,
        package: str,
        metric_set: str,
        metrics: Sequence[str],
        spec: dict[str, Any],
        version_code: int,
    ) -> list[dict[str, float | None]]:
        """Every row of one metric set query, as {metric: value} (None where a row lacks it)."""
        url = self._url("apps", package, metric_set) + ":query"
        body: dict[str, Any] = {
            "timelineSpec": spec,
            "dimensions": ["versionCode"],
            "metrics": list(metrics),
            "filter": f"versionCode = {int(version_code)}",
            "pageSize": _PAGE_SIZE,
        }
        rows: list[dict[str, float | None]] = []
        for _ in range(_MAX_PAGES):
            # A query changes nothing: safe to send again after a lost answer.
            response = await self._call(op, "POST", url, json=body)
            with self._parsing(op):
                answer = response.json()
                for row in answer.get("rows") or ():
                    if _is_version(row, version_code):
                        rows.append(_values(row, metrics))
                token = answer.get("nextPageToken")
            if not token:
                return rows
            body = {**body, "pageToken": token}
        raise self._fail(op, detail=f"more than {_MAX_PAGES} pages of vitals rows")


def _aligned(instant: datetime, aggregation: str) -> datetime:
    local = instant.astimezone(ZoneInfo(_ZONES[aggregation]))
    if aggregation == "HOURLY":
        return local.replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _date_time(instant: datetime, aggregation: str) -> dict[str, Any]:
    """A google.type.DateTime: HOURLY sets the hour; DAILY leaves hours unset (as required)."""
    value: dict[str, Any] = {"year": instant.year, "month": instant.month, "day": instant.day}
    if aggregation == "HOURLY":
        value["hours"] = instant.hour
    value["timeZone"] = {"id": _ZONES[aggregation]}
    return value


def _is_version(row: dict[str, Any], version_code: int) -> bool:
    for dimension in row.get("dimensions") or ():
        if dimension.get("dimension") == "versionCode":
            value = dimension.get("int64Value", dimension.get("stringValue"))
            return value is None or str(value) == str(version_code)
    return True  # filtered by the query already


def _values(row: dict[str, Any], metrics: Sequence[str]) -> dict[str, float | None]:
    values: dict[str, float | None] = dict.fromkeys(metrics)
    for metric in row.get("metrics") or ():
        name = metric.get("metric")
        decimal = metric.get("decimalValue")
        if name in values and isinstance(decimal, dict) and "value" in decimal:
            # google.type.Decimal: a string; "" means 0.
            values[name] = float(decimal["value"] or 0)
    return values


def _present(rows: list[dict[str, float | None]], metric: str) -> list[float]:
    return [value for row in rows if (value := row.get(metric)) is not None]


def _weighted(rows: list[dict[str, float | None]], metric: str) -> float | None:
    """The rate over the whole window: periods weighted by their distinct users when every
    period has them, else a plain mean."""
    pairs = [(row[metric], row.get(_USERS)) for row in rows if row.get(metric) is not None]
    if not pairs:
        return None
    rates = [rate for rate, _ in pairs if rate is not None]
    weights = [users for _, users in pairs]
    if all(w is not None and w > 0 for w in weights):
        total = sum(w for w in weights if w is not None)
        return sum(r * w for (r, w) in pairs if r is not None and w is not None) / total
    return sum(rates) / len(rates)
