"""`freeze-status`: the freeze verdict now and the calendar of the next 14 days, as artifacts a
release engineer can look at before planning a release."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from procedure.freeze import FreezeObservations, evaluate_freeze, freeze_windows
from tasks import clock
from tasks.evidence import policy_review, publish, publish_table, say_policy_overdue
from tasks.freeze import describe, next_look, observe_freeze_sources
from tasks.settings import current_policy, load_credential_blocks


@task(name="read freeze sources", retries=0, cache_policy=NO_CACHE)
async def read_sources() -> FreezeObservations:
    return await observe_freeze_sources(current_policy())


@flow(name="freeze-status")
async def freeze_status(days: int = 14) -> dict[str, object]:
    """Write the freeze verdict now and the calendar of freeze windows for the next `days` days."""
    if not 1 <= days <= 366:
        raise ValueError(f"days: must be between 1 and 366 (got {days})")
    policy = current_policy()
    review = policy_review(policy)
    await load_credential_blocks()
    await say_policy_overdue(policy)  # this flow runs daily: the overdue policy is said once
    zone = policy.freeze.zone
    observed = await read_sources()
    now = clock.now(zone)
    start = datetime.combine(now.date(), time(0), tzinfo=zone)
    end = datetime.combine(now.date() + timedelta(days=days), time(0), tzinfo=zone)
    windows = freeze_windows(start, end, policy.freeze, observed)
    rows: list[dict[str, object]] = [
        {
            "source": w.source,
            "reason": w.name,
            "from": w.start.isoformat(),
            "until": w.end.isoformat() if w.end else "open",
            "link": w.link or "",
        }
        for w in windows
    ]
    if rows:
        await publish_table(
            "freeze-calendar", rows, f"freeze windows, next {days} days ({policy.freeze.timezone})"
        )
    else:  # an empty table shows as "No results": say what that means
        await publish(
            "freeze-calendar",
            f"# Freeze calendar\n\nNo freeze in the next {days} days "
            f"({policy.freeze.timezone}: holidays, announced maintenance, open P1/P2 incidents).",
            f"no freeze in the next {days} days",
        )
    verdict = evaluate_freeze(now, policy.freeze, observed)
    await publish(
        "freeze-now",
        f"# Freeze now\n**{'FROZEN' if verdict.frozen else 'not frozen'}** at {now.isoformat()}\n\n"
        f"{describe(verdict)}\n\nNext allowed: {next_look(verdict) if verdict.frozen else 'now'}"
        f"\n\nPolicy review: {review}",
        f"freeze now: {'FROZEN' if verdict.frozen else 'clear'}",
    )
    return {"frozen": verdict.frozen, "windows": len(rows)}
