"""Play Developer Reporting v1beta1: crashRateMetricSet and anrRateMetricSet (get: freshness;
:query: rows per aggregation period and version code).

Values come from the admin per (app, versionCode) and apply to the whole timeline (no time
series, like the Cloudflare analytics here); a version with distinct_users 0 has no rows.
HOURLY periods are UTC, DAILY periods America/Los_Angeles, as on Play. Data is fresh up to the
start of the current hour (HOURLY) and of the current Los Angeles day (DAILY); a timeline ending
later is refused, so clients should read the freshness first.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.googleplay.model import App, Vitals
from sandbox.googleplay.wire import GoogleError
from sandbox.httputil import BadJson, json_body, sandbox_state

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
DAILY_ZONE = "America/Los_Angeles"
HOURLY_ZONE = "UTC"
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 100_000
MAX_PERIODS = 24 * 400
SUPPORTED_DIMENSIONS = ("versionCode",)
REQUEST_FIELDS = frozenset(
    {"timelineSpec", "dimensions", "metrics", "filter", "pageSize", "pageToken", "userCohort"}
)
USER_COHORTS = ("USER_COHORT_UNSPECIFIED", "OS_PUBLIC", "OS_BETA", "APP_TESTERS")
DATETIME_FIELDS = frozenset(
    {"year", "month", "day", "hours", "minutes", "seconds", "nanos", "timeZone", "utcOffset"}
)

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class MetricSet:
    resource: str  # crashRateMetricSet | anrRateMetricSet
    rate: str  # crashRate | anrRate
    perceived: str  # userPerceivedCrashRate | userPerceivedAnrRate

    def metrics(self) -> tuple[str, ...]:
        base = (self.rate, self.perceived)
        weighted = tuple(f"{m}{w}UserWeighted" for m in base for w in ("7d", "28d"))
        return (*base, *weighted, "distinctUsers")

    def value(self, metric: str, vitals: Vitals) -> Decimal:
        if metric == "distinctUsers":
            return Decimal(vitals.distinct_users)
        crash = self.rate == "crashRate"
        if metric.startswith(self.perceived):
            rate = vitals.user_perceived_crash_rate if crash else vitals.user_perceived_anr_rate
        else:
            rate = vitals.crash_rate if crash else vitals.anr_rate
        return Decimal(str(rate))


CRASH = MetricSet("crashRateMetricSet", "crashRate", "userPerceivedCrashRate")
ANR = MetricSet("anrRateMetricSet", "anrRate", "userPerceivedAnrRate")


def _error(message: str, status: int = 400) -> GoogleError:
    names = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}
    return GoogleError(status, message, status=names.get(status), legacy=False)


def _app(request: Request) -> App:
    state = sandbox_state(request)
    package_name = request.path_params["package_name"]
    app = state.googleplay.app(package_name, state.now())
    if app is None:
        raise _error("The caller does not have permission", 403)
    return app


# -- time --------------------------------------------------------------------------------------


def freshness(now: datetime) -> dict[str, datetime]:
    hourly = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    local = now.astimezone(LOS_ANGELES)
    daily = datetime(local.year, local.month, local.day, tzinfo=LOS_ANGELES)
    return {"HOURLY": hourly, "DAILY": daily}


def date_time(instant: datetime, period: str) -> dict[str, Any]:
    """A google.type.DateTime in the period's time zone (zero fields left out, as proto3 JSON)."""
    zone = HOURLY_ZONE if period == "HOURLY" else DAILY_ZONE
    local = instant.astimezone(UTC if period == "HOURLY" else LOS_ANGELES)
    body: dict[str, Any] = {"year": local.year, "month": local.month, "day": local.day}
    if period == "HOURLY" and local.hour:
        body["hours"] = local.hour
    body["timeZone"] = {"id": zone}
    return body


def _parse_time(doc: Any, where: str, period: str) -> datetime:
    if not isinstance(doc, dict):
        raise _error(f"{where} is required.")
    for key in doc:
        if key not in DATETIME_FIELDS:
            raise _error(f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}'.")
    values: dict[str, int] = {}
    for key in ("year", "month", "day", "hours", "minutes", "seconds", "nanos"):
        raw = doc.get(key, 0)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise _error(f"Invalid value at '{where}.{key}' (TYPE_INT32), {raw!r}")
        values[key] = raw
    if doc.get("utcOffset") is not None:
        raise _error(f"{where}: utc_offset is not supported; set time_zone or leave it unset.")
    zone_doc = doc.get("timeZone") or {}
    zone = zone_doc.get("id") if isinstance(zone_doc, dict) else None
    expected = HOURLY_ZONE if period == "HOURLY" else DAILY_ZONE
    if zone not in (None, "", expected):
        raise _error(
            f"{where}: time zone {zone} is not supported for {period} aggregation "
            f"(only {expected})."
        )
    if values["minutes"] or values["seconds"] or values["nanos"]:
        raise _error(
            f"{where} must be aligned to the aggregation period: minutes, seconds and "
            "nanos must be unset."
        )
    if period == "DAILY" and values["hours"]:
        raise _error(
            f"{where} must be aligned to the aggregation period: hours must be unset for DAILY."
        )
    try:
        return datetime(
            values["year"],
            values["month"],
            values["day"],
            values["hours"],
            tzinfo=UTC if period == "HOURLY" else LOS_ANGELES,
        )
    except ValueError as exc:
        raise _error(f"{where} is not a valid date: {exc}") from exc


def _periods(start: datetime, end: datetime, period: str) -> list[datetime]:
    out: list[datetime] = []
    if period == "HOURLY":
        cursor = start
        while cursor < end and len(out) <= MAX_PERIODS:
            out.append(cursor)
            cursor += timedelta(hours=1)
        return out
    day = start.date()
    while True:
        instant = datetime(day.year, day.month, day.day, tzinfo=LOS_ANGELES)
        if instant >= end or len(out) > MAX_PERIODS:
            return out
        out.append(instant)
        day += timedelta(days=1)


# -- the request -------------------------------------------------------------------------------


FILTER_TERM = re.compile(r'^\s*versionCode\s*=\s*"?(\d+)"?\s*$')


def _filter(raw: Any) -> set[int] | None:
    """AIP-160 equality on versionCode (terms joined by OR); None when there is no filter."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise _error("filter must be a string.")
    codes = set()
    for term in re.split(r"\s+OR\s+", raw.strip().strip("()")):
        match = FILTER_TERM.match(term)
        if match is None:
            raise _error(
                f"Invalid filter: {raw!r}. The sandbox supports equality on versionCode only, "
                'e.g. "versionCode = 123" (terms may be joined by OR).'
            )
        codes.add(int(match.group(1)))
    return codes


def _page(doc: dict[str, Any]) -> tuple[int, int]:
    size = doc.get("pageSize", DEFAULT_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise _error("pageSize must be a non-negative integer.")
    token = doc.get("pageToken") or ""
    offset = 0
    if token:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("row:"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise _error("Invalid page token.") from exc
    return min(size, MAX_PAGE_SIZE), offset


def _decimal(value: Decimal) -> dict[str, str]:
    text = format(value.normalize(), "f")
    return {"value": text}


def query(metric_set: MetricSet, app: App, doc: Any, now: datetime) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise _error("Invalid JSON payload received. Expected a query request object.")
    for key in doc:
        if key not in REQUEST_FIELDS:
            raise _error(f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.')
    spec = doc.get("timelineSpec")
    if not isinstance(spec, dict):
        raise _error("timeline_spec is required.")
    period = spec.get("aggregationPeriod")
    if period not in ("HOURLY", "DAILY"):
        raise _error(
            f"Unsupported aggregation period {period!r} for {metric_set.resource}: "
            "use HOURLY or DAILY."
        )
    start = _parse_time(spec.get("startTime"), "timeline_spec.start_time", period)
    end = _parse_time(spec.get("endTime"), "timeline_spec.end_time", period)
    if end <= start:
        raise _error("timeline_spec.end_time must be after timeline_spec.start_time.")
    latest = freshness(now)[period]
    if end > latest:
        raise _error(
            f"timeline_spec.end_time is later than the latest available data for {period} "
            f"aggregation ({latest.isoformat()}); see the metric set's freshnessInfo."
        )
    dimensions = doc.get("dimensions") or []
    if not isinstance(dimensions, list) or not all(isinstance(d, str) for d in dimensions):
        raise _error("dimensions must be a list of dimension names.")
    for dimension in dimensions:
        if dimension not in SUPPORTED_DIMENSIONS:
            raise _error(
                f"Unsupported dimension {dimension!r}: the sandbox breaks down by versionCode only."
            )
    metrics = doc.get("metrics") or []
    if not isinstance(metrics, list) or not metrics:
        raise _error("At least one metric must be requested.")
    for metric in metrics:
        if metric not in metric_set.metrics():
            raise _error(f"Metric {metric!r} is not supported by {metric_set.resource}.")
        if period == "HOURLY" and "UserWeighted" in str(metric):
            raise _error(f"Metric {metric} is not supported for HOURLY aggregation.")
    cohort = doc.get("userCohort")
    if cohort is not None and cohort not in USER_COHORTS:
        raise _error(f"Invalid value at 'user_cohort', {cohort!r}")
    wanted = _filter(doc.get("filter"))
    size, offset = _page(doc)

    versions = {
        code: v
        for code, v in sorted(app.vitals.items())
        if v.distinct_users > 0 and (wanted is None or code in wanted)
    }
    groups: list[tuple[int | None, Vitals]] = []
    if "versionCode" in dimensions:
        groups = list(versions.items())
    elif versions:
        groups = [(None, _combined(list(versions.values())))]
    rows: list[dict[str, Any]] = []
    for instant in _periods(start, end, period):
        for code, vitals in groups:
            row: dict[str, Any] = {
                "aggregationPeriod": period,
                "startTime": date_time(instant, period),
            }
            if code is not None:
                row["dimensions"] = [{"dimension": "versionCode", "int64Value": str(code)}]
            row["metrics"] = [
                {"metric": m, "decimalValue": _decimal(metric_set.value(m, vitals))}
                for m in metrics
            ]
            rows.append(row)
    page = rows[offset : offset + size]
    body: dict[str, Any] = {}
    if page:
        body["rows"] = page
    if offset + size < len(rows):
        body["nextPageToken"] = base64.urlsafe_b64encode(f"row:{offset + size}".encode()).decode()
    return body


def _combined(items: list[Vitals]) -> Vitals:
    """All versions together: rates weighted by users, users summed."""
    users = sum(v.distinct_users for v in items)

    def weighted(attr: str) -> float:
        return sum(getattr(v, attr) * v.distinct_users for v in items) / users

    return Vitals(
        crash_rate=weighted("crash_rate"),
        user_perceived_crash_rate=weighted("user_perceived_crash_rate"),
        anr_rate=weighted("anr_rate"),
        user_perceived_anr_rate=weighted("user_perceived_anr_rate"),
        distinct_users=users,
    )


# -- routes ------------------------------------------------------------------------------------


def _get(metric_set: MetricSet) -> Handler:
    async def handler(request: Request) -> Response:
        state = sandbox_state(request)
        with state.lock:
            app = _app(request)
            fresh = freshness(state.now())
            return JSONResponse(
                {
                    "name": f"apps/{app.package_name}/{metric_set.resource}",
                    "freshnessInfo": {
                        "freshnesses": [
                            {"aggregationPeriod": p, "latestEndTime": date_time(t, p)}
                            for p, t in fresh.items()
                        ]
                    },
                }
            )

    return handler


def _query(metric_set: MetricSet) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            doc = await json_body(request, default={})
        except BadJson as exc:
            raise _error(f"Invalid JSON payload received. {exc}") from exc
        state = sandbox_state(request)
        with state.lock:
            app = _app(request)
            return JSONResponse(query(metric_set, app, doc, state.now()))

    return handler


ROUTES = [
    Route(f"/apps/{{package_name}}/{m.resource}:query", _query(m), methods=["POST"])
    for m in (CRASH, ANR)
] + [Route(f"/apps/{{package_name}}/{m.resource}", _get(m), methods=["GET"]) for m in (CRASH, ANR)]
