"""GET /api/0/organizations/{org}/sessions/ — release-health session statistics.

Query: `field` (repeated: sum(session), count_unique(user), crash_free_rate(session|user),
crash_rate(session|user)), `project` (repeated; absent or -1 = all), `query` (release:"<r>",
several joined by OR), `groupBy` (release, project), `start`/`end` (ISO) or `statsPeriod`
(default 24h), `interval` (1h..1d, default 1h). The range is rounded out to whole intervals as
Sentry does. Answer: {"start", "end", "intervals", "groups": [{"by", "totals", "series"}],
"query"}; rates are fractions, null when there were no sessions (users).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.clock import iso_seconds, parse_instant
from sandbox.httputil import sandbox_state
from sandbox.sentry.model import Health

__all__ = ["ROUTES"]

FIELDS = (
    "sum(session)",
    "count_unique(user)",
    "crash_free_rate(session)",
    "crash_free_rate(user)",
    "crash_rate(session)",
    "crash_rate(user)",
)
GROUP_BYS = ("release", "project")
DURATION = re.compile(r"^(\d+)([smhdw])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
RELEASE = re.compile(r'release:(?:"([^"]*)"|(\S+))')
MAX_POINTS = 10_000


def _bad(detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=400)


def _duration(text: str) -> timedelta | None:
    match = DURATION.match(text)
    return timedelta(seconds=int(match[1]) * UNITS[match[2]]) if match else None


def _floor(instant: datetime, step: timedelta) -> datetime:
    seconds = int(instant.timestamp())
    step_s = int(step.total_seconds())
    return datetime.fromtimestamp(seconds - seconds % step_s, UTC)


def _values(fields: list[str], rows: list[tuple[float, float, Health]]) -> dict[str, Any]:
    """Field values over (sessions, users, health) rows; rates weighted by sessions/users."""
    sessions = sum(s for s, _, _ in rows)
    users = sum(u for _, u, _ in rows)
    out: dict[str, Any] = {}
    for name in fields:
        if name == "sum(session)":
            out[name] = round(sessions)
        elif name == "count_unique(user)":
            out[name] = round(users)
        else:
            of_users = name.endswith("(user)")
            weight = users if of_users else sessions
            if weight <= 0:
                out[name] = None
                continue
            free = (
                sum(
                    (u if of_users else s)
                    * (h.crash_free_users if of_users else h.crash_free_sessions)
                    for s, u, h in rows
                )
                / weight
            )
            out[name] = round(free if name.startswith("crash_free") else 1 - free, 6)
    return out


async def sessions(request: Request) -> Response:
    params = request.query_params
    fields = params.getlist("field")
    if not fields:
        return _bad('Request is missing a "field"')
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        return _bad(f'Invalid field: "{unknown[0]}"')
    group_by = params.getlist("groupBy")
    if any(g not in GROUP_BYS for g in group_by):
        return _bad(f'Invalid groupBy: "{next(g for g in group_by if g not in GROUP_BYS)}"')
    interval = _duration(params.get("interval", "1h"))
    if interval is None or not timedelta(hours=1) <= interval <= timedelta(days=1):
        return _bad("The interval has to be between one hour and one day.")
    if timedelta(days=1) % interval:
        return _bad("The interval has to cleanly divide one day.")
    state = sandbox_state(request)
    with state.lock:
        now = state.now()
        try:
            if params.get("start") and params.get("end"):
                start, end = parse_instant(params["start"]), parse_instant(params["end"])
            else:
                period = _duration(params.get("statsPeriod", "24h"))
                if period is None:
                    return _bad("Invalid statsPeriod")
                start, end = now - period, now
        except ValueError:
            return _bad("start and end must be ISO 8601 instants")
        if end <= start:
            return _bad("end must be after start")
        start = _floor(start, interval)
        end_floor = _floor(end, interval)
        end = end_floor if end_floor == end else end_floor + interval
        steps = int((end - start) / interval)
        projects = {p for p in params.getlist("project") if p != "-1"}
        releases = {a or b for a, b in RELEASE.findall(params.get("query", ""))}
        health = [
            h
            for h in state.sentry.health.values()
            if (not projects or h.project in projects) and (not releases or h.release in releases)
        ]
        groups: dict[tuple[str, ...], list[Health]] = {}
        for h in health:
            key = tuple(h.release if g == "release" else h.project for g in group_by)
            groups.setdefault(key, []).append(h)
        if not group_by:
            groups = {(): health}
        if len(groups) * (steps + 1) > MAX_POINTS:
            return _bad("Your interval and date range would create too many results.")
        bounds = [(start + i * interval, start + (i + 1) * interval) for i in range(steps)]
        out_groups = []
        for key, members in sorted(groups.items()):
            series: dict[str, list[Any]] = {f: [] for f in fields}
            for lo, hi in bounds:
                rows = [(h.sessions(lo, hi, now), h.users(lo, hi, now), h) for h in members]
                for name, value in _values(fields, rows).items():
                    series[name].append(value)
            total_rows = [
                (h.sessions(start, end, now), h.users(start, end, now), h) for h in members
            ]
            out_groups.append(
                {
                    "by": dict(zip(group_by, key, strict=True)),
                    "totals": _values(fields, total_rows),
                    "series": series,
                }
            )
        return JSONResponse(
            {
                "start": iso_seconds(start),
                "end": iso_seconds(end),
                "intervals": [iso_seconds(lo) for lo, _ in bounds],
                "groups": out_groups,
                "query": params.get("query", ""),
            }
        )


ROUTES = [Route("/api/0/organizations/{org}/sessions/", sessions, methods=["GET"])]
