"""Workers analytics (GraphQL `workersInvocationsAdaptive`), synthesised from deployment history.

Each script receives `requests_per_second` of traffic; while a deployment is live, its versions
share that traffic by percentage, and each version fails at the error rate it had at the time
(set through the admin API, kept as a history: a spike at minute 20 is in minute 20's data, as
on Cloudflare). The traffic level is a current setting applied to the whole window.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.clock import iso_micro, parse_instant
from sandbox.cloudflare.model import Script
from sandbox.httputil import BadJson, json_body, sandbox_state

RETENTION = timedelta(days=31)
CPU_P50_MS = 1.0
CPU_P99_MS = 5.0


def version_requests(script: Script, start: datetime, end: datetime) -> dict[str, float]:
    """Requests each version served in [start, end] (unrounded), from the deployment history."""
    served: dict[str, float] = defaultdict(float)
    history = script.deployments
    for i, deployment in enumerate(history):
        live_from = deployment.created_on
        live_until = history[i + 1].created_on if i + 1 < len(history) else end
        seconds = (min(live_until, end) - max(live_from, start)).total_seconds()
        if seconds <= 0:
            continue
        for vid, pct in deployment.versions:
            served[vid] += script.requests_per_second * seconds * pct / 100.0
    return served


def version_errors(script: Script, start: datetime, end: datetime) -> dict[str, float]:
    """Errors each version threw in [start, end] (unrounded), at its error rate of the moment."""
    failed: dict[str, float] = defaultdict(float)
    history = script.deployments
    for i, deployment in enumerate(history):
        lo = max(deployment.created_on, start)
        hi = min(history[i + 1].created_on if i + 1 < len(history) else end, end)
        if hi <= lo:
            continue
        for vid, pct in deployment.versions:
            version = script.version(vid)
            if version is None:
                continue
            rps = script.requests_per_second * pct / 100.0
            for a, b, rate in version.error_rate_segments(lo, hi):
                failed[vid] += rps * (b - a).total_seconds() * rate
    return failed


def invocation_totals(script: Script, start: datetime, end: datetime) -> tuple[int, int]:
    """(requests, errors) in the window: rounded per version."""
    requests = errors = 0
    failed = version_errors(script, start, end)
    for vid, amount in version_requests(script, start, end).items():
        count = round(amount)
        requests += count
        errors += min(count, round(failed.get(vid, 0.0)))
    return requests, errors


def invocation_rows(scripts: Iterable[Script], start: datetime, end: datetime) -> list[dict]:
    """One row per (script, status) that saw requests, as the adaptive dataset groups them."""
    rows = []
    for script in scripts:
        requests, errors = invocation_totals(script, start, end)
        for status, count, failed in (
            ("success", requests - errors, 0),
            ("scriptThrewException", errors, errors),
        ):
            if count > 0:
                rows.append(
                    {
                        "sum": {"requests": count, "errors": failed, "subrequests": 0},
                        "quantiles": {"cpuTimeP50": CPU_P50_MS, "cpuTimeP99": CPU_P99_MS},
                        "dimensions": {"scriptName": script.name, "status": status},
                    }
                )
    return rows


def graphql_error(message: str, now: datetime, path: list[Any] | None = None) -> dict:
    error: dict[str, Any] = {"message": message, "extensions": {"timestamp": iso_micro(now)}}
    error["path"] = path or ["viewer", "accounts", 0, "workersInvocationsAdaptive"]
    return {"data": None, "errors": [error]}


def _instant(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"variable ${name} is required (ISO 8601 datetime)")
    return parse_instant(value)


async def graphql(request: Request) -> Response:
    state = sandbox_state(request)
    now = state.now()
    try:
        body = await json_body(request, default={})
    except BadJson:
        return JSONResponse(graphql_error("failed to parse the request body", now, []))
    query = body.get("query") if isinstance(body, dict) else None
    variables = (body.get("variables") or {}) if isinstance(body, dict) else {}
    if not isinstance(query, str) or not re.search(r"\bworkersInvocationsAdaptive\b", query):
        return JSONResponse(
            graphql_error("sandbox: only workersInvocationsAdaptive queries are supported", now)
        )
    try:
        start = _instant(variables.get("start"), "start")
        end = _instant(variables.get("end") or iso_micro(now), "end")
    except ValueError as exc:
        return JSONResponse(graphql_error(str(exc), now))
    if start < now - RETENTION:
        return JSONResponse(
            graphql_error(
                f"cannot request data older than {int(RETENTION.total_seconds())}s "
                f"({RETENTION.days} days)",
                now,
            )
        )
    if end < start:
        return JSONResponse(graphql_error("the end of the time range is before its start", now))
    account_tag = variables.get("accountTag")
    script_name = variables.get("scriptName") or variables.get("script")
    with state.lock:
        account = state.cloudflare.account(str(account_tag))
        if account is None:
            return JSONResponse(
                graphql_error(
                    f"does not have access to the path: account {account_tag!r} is unknown",
                    now,
                    ["viewer", "accounts", 0],
                )
            )
        scripts = [s for s in account.scripts.values() if not script_name or s.name == script_name]
        # Nothing is served in the future: the window stops at the sandbox's now.
        rows = invocation_rows(scripts, start, min(end, now))
    return JSONResponse(
        {"data": {"viewer": {"accounts": [{"workersInvocationsAdaptive": rows}]}}, "errors": None}
    )


ROUTES = [Route("/graphql", graphql, methods=["POST"])]
