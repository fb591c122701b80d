"""Finishing a production release whose run died before its verification ended (crash, cancel,
server restart, lost lease): found from GitHub's deployment records and Cloudflare's live
deployment, never from memory — an emergency deploy (no GitHub record: CI, maybe GitHub, is
down) from its run id in the live deployment's message. Callers hold the service's slot."""

from __future__ import annotations

from prefect.logging import get_run_logger

from flows.verification import verify_or_roll_back
from procedure.policy import Policy, WorkerService
from procedure.recovery import UNFINISHED, decide_recovery
from tasks import clock
from tasks.deploy import read_live
from tasks.evidence import artifact_key, gate_markdown, publish, table
from tasks.record import finish_deployment_record, read_deployment_records


async def finish_unverified(
    service: WorkerService,
    policy: Policy,
    crashed_run: str | None = None,
    supersede: str | None = None,
) -> list[str]:
    """Resume the watch of the live, unverified production release for the rest of its window
    (rolled back when it fails), give every unfinished record its final status and publish a
    summary. `supersede` (an emergency) closes the live one's record instead of watching it.
    Returns one line per record handled (empty: nothing was unverified)."""
    records = await read_deployment_records(service, "production")
    if not any(r.latest_state in UNFINISHED for r in records):
        return []
    live = await read_live(service, "production")
    plan = decide_recovery(records, live.version_id, live.live_since, policy.monitor.window(True))
    log = get_run_logger()
    lines: list[str] = []
    steps: list[tuple[str, str, str]] = []
    for item in plan:
        log.warning("unverified production release of %s: %s", service.name, item.reason)
        if item.action == "stale":
            await finish_deployment_record(
                service,
                "production",
                item.record_id,
                "inactive",
                f"not verified: {item.reason}",
            )
            lines.append(f"record {item.record_id}: inactive ({item.reason})")
            continue
        if supersede:
            await finish_deployment_record(
                service,
                "production",
                item.record_id,
                "inactive",
                f"superseded by {supersede} before its watch ended",
            )
            lines.append(f"record {item.record_id}: superseded by {supersede}")
            continue
        assert item.deadline is not None
        gap = clock.now() - item.deadline
        failure = await verify_or_roll_back(
            service,
            live,
            policy.monitor.window(True),
            policy,
            steps,
            f"recovered {item.version_id}",
            deadline=item.deadline,
        )
        if failure is None:
            await finish_deployment_record(
                service,
                "production",
                item.record_id,
                "success",
                "verified (recovered after its run ended)",
            )
            lines.append(f"record {item.record_id}: recovered, verified")
        else:
            # GitHub keeps 140 characters: the outcome first, the verdict's detail after
            outcome = "rolled back" if failure.rolled_back else "not verified"
            await finish_deployment_record(
                service,
                "production",
                item.record_id,
                "failure",
                f"recovered, {outcome}: {failure.reason}",
            )
            lines.append(f"record {item.record_id}: recovered, {failure.reason}")
        steps.append(
            (
                "window",
                "ended" if gap.total_seconds() >= 0 else "resumed",
                f"deadline {item.deadline.isoformat()} (live since {live.live_since.isoformat()})",
            )
        )
    await publish(
        artifact_key("workers", service.name, "recovery"),
        gate_markdown(
            f"Recovery of an unverified production release — {service.name}",
            "; ".join(lines),
            {
                "crashed run": crashed_run or "unknown",
                "live version": live.version_id,
                "live since": live.live_since.isoformat(),
            },
            table(("step", "result", "detail"), steps + [("record", "", x) for x in lines]),
        ),
        f"recovered: {'; '.join(lines)}"[:200],
    )
    return lines


async def finish_emergency(
    service: WorkerService, policy: Policy, crashed_run: str | None
) -> list[str]:
    """The crashed run was an emergency deploy whose version is live (its run id leads the live
    deployment's message): watch the rest of its window from live since, or roll back. Returns
    one line (empty: the crashed run deployed nothing that serves)."""
    if not crashed_run:
        return []
    live = await read_live(service, "production")
    if not live.message or f"emergency run {crashed_run} " not in f"{live.message} ":
        return []
    window = policy.emergency.monitor_window
    get_run_logger().warning(
        "emergency deploy %s of %s (run %s) was never verified: watching until live since + %s",
        live.version_id,
        service.name,
        crashed_run,
        window,
    )
    steps: list[tuple[str, str, str]] = []
    failure = await verify_or_roll_back(
        service, live, window, policy, steps, deadline=live.live_since + window
    )
    outcome = "verified" if failure is None else failure.reason
    line = f"emergency deploy {live.version_id} (run {crashed_run}): recovered, {outcome}"
    await publish(
        artifact_key("workers", service.name, "recovery"),
        gate_markdown(
            f"Recovery of an unverified emergency deploy — {service.name}",
            line,
            {
                "crashed run": crashed_run,
                "live version": live.version_id,
                "live since": live.live_since.isoformat(),
                "deployment message": live.message,
            },
            table(("step", "result", "detail"), steps),
        ),
        line[:200],
    )
    return [line]
