"""Verification after a deploy, shared by the standard and the emergency paths: the sandbox
check, the production watch (health, error rate against the baseline, the key flow, every check
interval for the window), and the rollback to the version that was live before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from prefect.logging import get_run_logger

from procedure.health import MonitorDecision, ProbeOutcome, Totals, Verdict, decide_round
from procedure.policy import Policy, WorkerService
from tasks import clock
from tasks.deploy import DeployRecord, roll_back
from tasks.evidence import artifact_key, gate_markdown, publish, table
from tasks.notify import notify
from tasks.verify import measure_baseline, verification_round


@dataclass(frozen=True)
class Unverified:
    """Why a deploy failed its verification, and whether it was rolled back."""

    reason: str
    rolled_back: bool


async def post_deploy_verification(
    service: WorkerService,
    deployed: DeployRecord,
    baseline: Totals,
    window: timedelta,
    policy: Policy,
    deadline: datetime | None = None,
) -> MonitorDecision:
    """Watch the production Worker every check interval until the window ends or a signal fails.

    Each round is a task in this run (not a subflow: a subflow costs ~2 s of orchestration on
    every release and adds nothing the rounds' task runs do not already show)."""
    log = get_run_logger()
    interval = policy.monitor.check_interval.total_seconds()
    # a recovery passes the original window's end (live since + window): the rest of it, and
    # at least one round even when it has passed
    deadline = deadline or max(clock.now(), deployed.live_since) + window
    rows: list[tuple[str, str, str, str]] = []
    while True:
        outcomes: list[ProbeOutcome] = await verification_round(
            service, "production", deployed.live_since, baseline, policy.monitor
        )
        window_over = clock.now() >= deadline
        decision = decide_round(outcomes, window_over=window_over, rules=policy.monitor)
        stamp = clock.now().strftime("%H:%M:%S")
        rows += [(stamp, o.signal, o.verdict.value, o.detail) for o in outcomes]
        if decision.action != "continue":
            break
        await clock.clock().sleep(max(0.0, min(interval, (deadline - clock.now()).total_seconds())))
    log.info("verification verdict: %s — %s", decision.verdict.value, decision.reason)
    rule = service.error_rate
    await publish(
        artifact_key("workers", service.name, "post-deploy-verification"),
        gate_markdown(
            f"Post-deploy verification — {service.name} {deployed.version_id}",
            f"{decision.verdict.value} → {decision.action}",
            {
                "script": deployed.script,
                "live since": deployed.live_since.isoformat(),
                "window": str(window),
                "baseline": f"{baseline.errors}/{baseline.requests} errors/requests",
            },
            table(("time", "signal", "verdict", "detail"), rows),
            thresholds={
                "max error rate": rule.max_error_rate,
                "spike factor": rule.spike_factor,
                "spike min delta": rule.spike_min_delta,
                "min requests": rule.min_requests,
                "check interval": str(policy.monitor.check_interval),
                "error-rate window": str(policy.monitor.sliding_window),
                "on no data": policy.monitor.on_no_data,
            },
        ),
        f"verification {decision.verdict.value}",
    )
    return decision


async def verify_sandbox(
    service: WorkerService, deployed: DeployRecord, policy: Policy
) -> MonitorDecision:
    """ "Sandbox deployment verified": health and the key flow answer on the sandbox Worker."""
    outcomes = await verification_round(
        service, "sandbox", deployed.live_since, None, policy.monitor, with_error_rate=False
    )
    decision = decide_round(outcomes, window_over=True, rules=policy.monitor)
    await publish(
        artifact_key("workers", service.name, "sandbox-verification"),
        gate_markdown(
            f"Sandbox verification — {service.name} {deployed.version_id}",
            decision.verdict.value,
            {"script": deployed.script},
            table(
                ("signal", "verdict", "detail"),
                [(o.signal, o.verdict.value, o.detail) for o in outcomes],
            ),
        ),
        f"sandbox verification {decision.verdict.value}",
    )
    return decision


async def verify_or_roll_back(
    service: WorkerService,
    deployed: DeployRecord,
    window: timedelta | None,
    policy: Policy,
    steps: list[tuple[str, str, str]],
    release: str | None = None,
    deadline: datetime | None = None,
) -> Unverified | None:
    """Verify `deployed` (sandbox: one round; production: watch for `window`). On failure roll
    back to the version that was live before and say why; None when verified. `release`
    (sha and PR) names what was rolled back in the rollback's deployment message."""
    env = deployed.environment
    if window is None:
        decision = await verify_sandbox(service, deployed, policy)
    else:
        baseline = await measure_baseline(service, env, deployed.live_since, policy.monitor)
        decision = await post_deploy_verification(
            service, deployed, baseline, window, policy, deadline
        )
    steps.append((f"verify {env}", decision.verdict.value, decision.reason))
    if decision.verdict is Verdict.PASS:
        return None
    reason = f"{env} verification {decision.verdict.value}: {decision.reason}"
    if decision.action != "rollback":
        return Unverified(reason, rolled_back=False)
    if not deployed.previous_version_id:
        return Unverified(f"{reason}; no earlier version to roll back to", rolled_back=False)
    await roll_back(service, env, deployed.previous_version_id, reason, release)
    notify(
        "rolled back",
        f"workers {service.name} {env}",
        f"rolled back to {deployed.previous_version_id}: {reason}",
    )
    steps.append((f"roll back {env}", "done", f"to {deployed.previous_version_id}"))
    return Unverified(f"{reason}; rolled back to {deployed.previous_version_id}", rolled_back=True)
