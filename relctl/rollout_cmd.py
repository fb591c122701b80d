"""`relctl rollout status`: every rollout in flight (the latest `active-rollouts` table, which
advance-rollouts refreshes every tick), what it waits for, and when it reaches 100 % — its
remaining soaks and stage changes laid over the freeze calendar (`procedure.forecast`)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from procedure.forecast import Change, Forecast, Wait, Window, android_plan, forecast, ios_plan
from procedure.freeze import FreezeObservations, freeze_windows
from procedure.phased_release import APPLE_SCHEDULE
from procedure.policy import Policy

__all__ = ["latest_rollouts", "rollout_forecast", "run"]

HORIZON = timedelta(days=60)  # the calendar read ahead of now


async def latest_rollouts() -> list[dict[str, Any]]:
    """The rows of the newest `active-rollouts` table artifact ([] when none was written yet)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["active-rollouts"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    if not found:
        return []
    data = found[0].data
    rows = json.loads(data) if isinstance(data, str) else data
    return [r for r in rows or [] if isinstance(r, dict)]


def _percent(text: object) -> float | None:
    try:
        return float(str(text).rstrip("%")) / 100
    except ValueError:
        return None


def _plan(row: dict[str, Any], policy: Policy) -> list[Wait | Change] | None:
    """The remaining plan of one row, or None when the row is not a staged rollout we can plan
    (in review, waiting for a sign-off, an error row)."""
    name = str(row.get("app", ""))
    share = _percent(row.get("fraction"))
    if share is None:
        return None
    if name.endswith(" (iOS)"):
        app = policy.ios_apps.get(name.removesuffix(" (iOS)"))
        if app is None or row.get("stage") not in ("phase", "paused", "release"):
            return None
        day = next((d for d, p in enumerate(APPLE_SCHEDULE, 1) if abs(p - share) < 1e-9), 1)
        return ios_plan(day, app)
    android = policy.android_apps.get(name)
    if android is None or row.get("stage") not in ("stage", "advance", "watch"):
        return None
    return android_plan(share, android)


def rollout_forecast(
    row: dict[str, Any], policy: Policy, windows: list[Window], now: datetime
) -> Forecast | None:
    plan = _plan(row, policy)
    if plan is None:
        return None
    when = row.get("when")
    start = max(now, datetime.fromisoformat(str(when))) if when else now
    return forecast(start, plan, windows)


def _windows(policy: Policy, now: datetime, live: bool) -> list[Window]:
    observed = FreezeObservations()
    if live:
        from tasks.freeze import observe_freeze_sources

        observed = asyncio.run(observe_freeze_sources(policy))
    return [
        Window(w.start, w.end, w.name)
        for w in freeze_windows(now, now + HORIZON, policy.freeze, observed)
    ]


def run(policy: Policy, *, as_json: bool, live: bool) -> int:
    now = datetime.now(UTC)
    rows = asyncio.run(latest_rollouts())
    windows = _windows(policy, now, live)
    out = []
    for row in rows:
        got = rollout_forecast(row, policy, windows, now)
        out.append(
            {
                **row,
                "forecast_100": got.done_at.isoformat() if got and got.done_at else None,
                "moved_by": list(got.moved_by) if got else [],
            }
        )
    if as_json:
        print(json.dumps(out, indent=2))
        return 0
    if not out:
        print("no rollout in flight (or advance-rollouts has not run yet)")
        return 0
    for r in out:
        end = r["forecast_100"] or (
            "unknown (a freeze with no known end)" if r["moved_by"] else "—"
        )
        moved = f"  moved by: {', '.join(r['moved_by'])}" if r["moved_by"] else ""
        print(f"{r['app']} {r['version']}: {r['stage']} at {r['fraction']}")
        print(f"  waits for: {r.get('next action') or '—'} (next look {r.get('when') or '—'})")
        print(f"  100 % forecast: {end}{moved}")
    return 0
