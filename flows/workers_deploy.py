"""Cloudflare Workers — Automated (Standard) deployment, as the procedure lists it:

  Pre-Deploy Checklist → CI passes (all checks green) → deploy to sandbox (if applicable) →
  sandbox deployment verified → deploy to production → post-deploy verification (health, no
  error-rate spike, key flow challenge → proof → verification; 30 min standard / 2 h significant)
  → roll back to the version that was live before when verification fails.

CI builds and uploads one version per environment (`wrangler versions upload`) and passes their
ids; this flow deploys them. Every step reads Cloudflare's state first, so a re-run is safe.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from prefect import flow
from prefect.concurrency.asyncio import concurrency
from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from procedure.health import MonitorDecision, ProbeOutcome, Totals, Verdict, decide_round
from procedure.policy import Policy
from procedure.request import WorkersDeployRequest, validate_workers_request
from tasks.checklist import pre_deploy_checklist
from tasks.deploy import DeployRecord, confirm_uploaded_versions, deploy_version, roll_back
from tasks.evidence import artifact_key, gate_markdown, publish, table
from tasks.freeze import Frozen, freeze_gate
from tasks.limits import release_limit
from tasks.record import finish_deployment_record, start_deployment_record
from tasks.settings import current_policy
from tasks.verify import measure_baseline, verification_round

SLOT_TIMEOUT_S = 3 * 3600  # a queued release waits behind a 2-hour watch, not forever


class GateFailed(RuntimeError):
    """A gate said no. The message names the gate and why; nothing past it ran."""


def _now() -> datetime:
    return datetime.now(UTC)


async def post_deploy_verification(
    request: WorkersDeployRequest,
    deployed: DeployRecord,
    baseline: Totals,
    window: timedelta,
    policy: Policy,
) -> MonitorDecision:
    """Watch the production Worker every check interval until the window ends or a signal fails.

    Each round is a task in this run (not a subflow: a subflow costs ~2 s of orchestration on
    every release and adds nothing the rounds' task runs do not already show)."""
    log = get_run_logger()
    interval = policy.monitor.check_interval.total_seconds()
    deadline = max(_now(), deployed.live_since) + window
    rows: list[tuple[str, str, str, str]] = []
    while True:
        outcomes: list[ProbeOutcome] = await verification_round(
            request.service, "production", deployed.live_since, baseline, policy
        )
        window_over = _now() >= deadline
        decision = decide_round(outcomes, window_over=window_over, rules=policy.monitor)
        stamp = _now().strftime("%H:%M:%S")
        rows += [(stamp, o.signal, o.verdict.value, o.detail) for o in outcomes]
        if decision.action != "continue":
            break
        await asyncio.sleep(max(0.0, min(interval, (deadline - _now()).total_seconds())))
    log.info("verification verdict: %s — %s", decision.verdict.value, decision.reason)
    svc = policy.service(request.service)
    await publish(
        artifact_key("workers", request.service, "post-deploy-verification"),
        gate_markdown(
            f"Post-deploy verification — {request.service} {deployed.version_id}",
            f"{decision.verdict.value} → {decision.action}",
            {
                "script": deployed.script,
                "live since": deployed.live_since.isoformat(),
                "window": str(window),
                "baseline": f"{baseline.errors}/{baseline.requests} errors/requests",
            },
            table(("time", "signal", "verdict", "detail"), rows),
            thresholds={
                "max error rate": svc.error_rate.max_error_rate,
                "spike factor": svc.error_rate.spike_factor,
                "spike min delta": svc.error_rate.spike_min_delta,
                "min requests": svc.error_rate.min_requests,
                "check interval": str(policy.monitor.check_interval),
                "on no data": policy.monitor.on_no_data,
            },
        ),
        f"verification {decision.verdict.value}",
    )
    return decision


async def verify_sandbox(request: WorkersDeployRequest, deployed: DeployRecord, policy: Policy) -> MonitorDecision:
    """"Sandbox deployment verified": health and the key flow answer on the sandbox Worker."""
    outcomes = await verification_round(
        request.service, "sandbox", deployed.live_since, None, policy, with_error_rate=False
    )
    decision = decide_round(outcomes, window_over=True, rules=policy.monitor)
    await publish(
        artifact_key("workers", request.service, "sandbox-verification"),
        gate_markdown(
            f"Sandbox verification — {request.service} {deployed.version_id}",
            decision.verdict.value,
            {"script": deployed.script},
            table(("signal", "verdict", "detail"), [(o.signal, o.verdict.value, o.detail) for o in outcomes]),
        ),
        f"sandbox verification {decision.verdict.value}",
    )
    return decision


async def release_to_environment(
    request: WorkersDeployRequest, environment: str, significant: bool, policy: Policy, steps: list[tuple[str, str, str]]
) -> None:
    """Deploy one environment, verify it, roll back if verification fails."""
    version_id = request.version_ids[environment]  # type: ignore[index]
    message = f"{request.git_sha[:12]} PR #{request.pr_number} via release orchestrator"
    record_id = await start_deployment_record(
        request.service, environment, request.git_sha, version_id, request.pr_number, policy
    )
    deployed = await deploy_version(request.service, environment, version_id, message, policy)
    steps.append((f"deploy {environment}", "done" if deployed.created else "already live", deployed.deployment_id))
    if environment == "sandbox":
        decision = await verify_sandbox(request, deployed, policy)
    else:
        baseline = await measure_baseline(request.service, environment, deployed.live_since, policy)
        window = policy.monitor.window(significant)
        decision = await post_deploy_verification(request, deployed, baseline, window, policy)
    steps.append((f"verify {environment}", decision.verdict.value, decision.reason))
    if decision.verdict is Verdict.PASS:
        await finish_deployment_record(
            request.service, environment, record_id, "success", "verified", policy
        )
        return
    reason = f"{environment} verification {decision.verdict.value}: {decision.reason}"
    if decision.action == "rollback" and deployed.previous_version_id:
        await roll_back(request.service, environment, deployed.previous_version_id, reason, policy)
        steps.append((f"roll back {environment}", "done", f"to {deployed.previous_version_id}"))
        reason += f"; rolled back to {deployed.previous_version_id}"
    elif decision.action == "rollback":
        reason += "; no earlier version to roll back to"
    await finish_deployment_record(request.service, environment, record_id, "failure", reason, policy)
    raise GateFailed(reason)


@flow(name="workers-deploy", log_prints=True)
async def workers_deploy(
    service: str,
    git_sha: str,
    pr_number: int,
    version_ids: dict[str, str],
    significant: bool | None = None,
) -> dict[str, object]:
    """Release one Cloudflare Worker through the standard procedure.

    Args:
        service: a service from the policy's registry.
        git_sha: the merged commit (full 40-character sha).
        pr_number: the pull request that was merged.
        version_ids: the version CI uploaded per environment, e.g. {"sandbox": "…", "production": "…"}.
        significant: a significant change (2-hour watch); unset = read the PR's label.
    """
    log = get_run_logger()
    policy = current_policy()
    request = validate_workers_request(  # bad parameters stop here, before any provider call
        {"service": service, "git_sha": git_sha, "pr_number": pr_number,
         "version_ids": version_ids, "significant": significant},
        policy,
    )
    warning = policy.metadata.review_warning(_now().date())
    if warning:
        log.warning(warning)
    steps: list[tuple[str, str, str]] = []
    outcome = "failed"
    # One release per service at a time — sandbox and production are shared by every release of
    # the service. Taken first: a release queued behind another's 2-hour watch checks its PR
    # when its turn comes, not hours before.
    async with concurrency(
        release_limit(request.service), occupy=1, strict=True, timeout_seconds=SLOT_TIMEOUT_S
    ):
        try:
            await standard_release(request, policy, steps)
            outcome = "released"
        finally:
            await publish(
                artifact_key("workers", request.service, "summary"),
                gate_markdown(
                    f"Workers release — {request.service} {request.git_sha[:12]} (PR #{request.pr_number})",
                    outcome,
                    {"flow run": str(flow_run.get_name()), "versions": request.version_ids,
                     "policy review": warning or f"next review {policy.metadata.next_review}"},
                    table(("step", "result", "detail"), steps),
                ),
                f"release {outcome}",
            )
    return {"service": request.service, "outcome": outcome, "steps": steps}


async def standard_release(
    request: WorkersDeployRequest, policy: Policy, steps: list[tuple[str, str, str]]
) -> None:
    """The procedure's "Automated (Standard)" list, in order."""
    # Pre-Deploy Checklist — approvals, CI green, no unresolved comments, API / secret changes.
    verdict, facts = await pre_deploy_checklist(request, policy)
    failures = "; ".join(f"{i.name}: {i.detail}" for i in verdict.failures)
    steps.append(("pre-deploy checklist", "pass" if verdict.passed else "FAIL", failures or "all items pass"))
    if not verdict.passed:
        raise GateFailed(f"pre-deploy checklist failed: {failures}")
    significant = request.significant
    if significant is None:
        significant = policy.checklist.labels.significant in facts.labels
    await confirm_uploaded_versions(request.service, request.version_ids, policy)

    # CI deploys to sandbox (if applicable); sandbox deployment verified.
    if policy.service(request.service).has_sandbox:
        await release_to_environment(request, "sandbox", significant, policy, steps)

    # Deployment Freeze Periods — checked right before the production change.
    freeze = await freeze_gate("production deploy", request.service, policy)
    steps.append(("freeze gate", "FROZEN" if freeze.frozen else "clear",
                  "; ".join(r.name for r in freeze.reasons) or "no freeze"))
    if freeze.frozen:
        raise Frozen(freeze)

    # CI deploys to production; post-deploy verification; rollback when it fails.
    await release_to_environment(request, "production", significant, policy, steps)
