"""Cloudflare Workers — Automated (Standard) deployment, as the procedure lists it:

  Pre-Deploy Checklist → CI passes (all checks green) → deploy to sandbox (if applicable) →
  sandbox deployment verified → deploy to production → post-deploy verification (health, no
  error-rate spike, key flow challenge → proof → verification; 30 min standard / 2 h significant)
  → roll back to the version that was live before when verification fails.

CI builds and uploads one version per environment (`wrangler versions upload`) and passes their
ids; this flow deploys them. Every step reads Cloudflare's state first, so a re-run is safe.
"""

from __future__ import annotations

from prefect import flow
from prefect.logging import get_run_logger
from prefect.runtime import flow_run
from prefect.states import Completed, State

from flows.continuation import CannotContinue, continue_at, deferred
from flows.recovery import finish_unverified
from flows.requests import takes
from flows.run_names import workers_run_name
from flows.verification import verify_or_roll_back
from procedure.continuations import inline_wait
from procedure.policy import EnvironmentName, Policy, WorkerService
from procedure.request import WorkersDeployRequest, workers_target
from procedure.workers import check_provenance, release_label, release_message, significance
from tasks import clock
from tasks.checklist import pre_deploy_checklist
from tasks.deploy import (
    check_production_order,
    confirm_uploaded_versions,
    deploy_version,
    read_live,
)
from tasks.evidence import artifact_key, gate_markdown, publish, table
from tasks.freeze import Frozen, describe, freeze_gate, say_deferred
from tasks.limits import release_limit
from tasks.notify import notify
from tasks.record import finish_deployment_record, start_deployment_record
from tasks.settings import current_policy
from tasks.slots import hold_slot


class GateFailed(RuntimeError):
    """A gate said no. The message names the gate and why; nothing past it ran. `notified`: the
    rollback that came with it was already said (one notification per state change)."""

    def __init__(self, message: str, *, notified: bool = False) -> None:
        super().__init__(message)
        self.notified = notified


class EndsEarly(Exception):  # noqa: N818 - an ending, not an error
    """The release ends without deploying, and that is not a failure (superseded, already live)."""

    def __init__(self, outcome: str, message: str, state_name: str = "Completed") -> None:
        super().__init__(message)
        self.outcome, self.message, self.state_name = outcome, message, state_name


async def release_to_environment(
    request: WorkersDeployRequest,
    service: WorkerService,
    environment: EnvironmentName,
    significant: bool,
    policy: Policy,
    steps: list[tuple[str, str, str]],
) -> None:
    """Deploy one environment, verify it, roll back if verification fails."""
    version_id = request.version_ids[environment]
    message = release_message(request.git_sha, request.pr_number, significant)
    window = policy.monitor.window(significant) if environment == "production" else None
    record_id = await start_deployment_record(
        service, environment, request.git_sha, version_id, request.pr_number, window
    )
    deployed = await deploy_version(service, environment, version_id, message)
    steps.append(
        (
            f"deploy {environment}",
            "done" if deployed.created else "already live",
            deployed.deployment_id,
        )
    )
    failure = await verify_or_roll_back(
        service,
        deployed,
        window,
        policy,
        steps,
        release_label(request.git_sha, request.pr_number),
    )
    if failure is None:
        await finish_deployment_record(service, environment, record_id, "success", "verified")
        return
    await finish_deployment_record(service, environment, record_id, "failure", failure.reason)
    raise GateFailed(failure.reason, notified=failure.rolled_back)


@flow(name="workers-deploy", log_prints=True, flow_run_name=workers_run_name)
@takes(WorkersDeployRequest, choices={"service": "services"})
async def workers_deploy(request: WorkersDeployRequest) -> State:
    """Release one Cloudflare Worker through the standard procedure."""
    log = get_run_logger()
    policy = current_policy()
    service = workers_target(request, policy)  # bad parameters stop here, before any provider
    warning = policy.metadata.review_warning(clock.now().date())
    if warning:
        log.warning(warning)
    steps: list[tuple[str, str, str]] = []
    outcome = "failed"
    deferred_because: str | None = None
    ended: EndsEarly | None = None
    # One release per service at a time — sandbox and production are shared by every release of
    # the service. Taken first: a release queued behind another's 2-hour watch checks its PR
    # when its turn comes, not hours before.
    async with hold_slot(release_limit(request.service), policy.slots.wait, policy):
        try:
            # before anything else happens to the service: a release whose run died mid-watch
            # is finished first (verified or rolled back), so production is never left unverified
            for line in await finish_unverified(service, policy):
                steps.append(("recover unverified release", "done", line))
            deferred_because = await standard_release(request, service, policy, steps)
            outcome = "deferred" if deferred_because else "released"
        except EndsEarly as early:
            ended, outcome = early, early.outcome
        except (GateFailed, Frozen) as stopped:  # a gate said no: said once, then the run fails
            if not getattr(stopped, "notified", False):
                notify("gate failed", f"workers {request.service}", str(stopped))
            raise
        finally:
            await publish(
                artifact_key("workers", request.service, "summary"),
                gate_markdown(
                    f"Workers release — {request.service} {request.git_sha[:12]} (PR #{request.pr_number})",
                    outcome,
                    {
                        "flow run": str(flow_run.get_name()),
                        "versions": request.version_ids,
                        "policy review": warning or f"next review {policy.metadata.next_review}",
                    },
                    table(("step", "result", "detail"), steps),
                ),
                f"release {outcome}",
            )
    if deferred_because:
        return deferred(deferred_because)
    if ended is not None:
        return Completed(name=ended.state_name, message=ended.message)
    live = ", ".join(f"{env} {vid}" for env, vid in sorted(request.version_ids.items()))
    return Completed(
        message=f"{request.service} {request.git_sha[:7]} (PR #{request.pr_number}) released "
        f"and verified: {live}"
    )


async def standard_release(
    request: WorkersDeployRequest,
    service: WorkerService,
    policy: Policy,
    steps: list[tuple[str, str, str]],
) -> str | None:
    """The procedure's "Automated (Standard)" list, in order. Returns why the release was
    deferred to a continuation run (a freeze), or None when it is done."""
    # Pre-Deploy Checklist — approvals, CI green, no unresolved comments, API / secret changes.
    verdict, facts = await pre_deploy_checklist(request, service, policy.checklist)
    failures = "; ".join(f"{i.name}: {i.detail}" for i in verdict.failures)
    steps.append(
        ("pre-deploy checklist", "pass" if verdict.passed else "FAIL", failures or "all items pass")
    )
    if not verdict.passed:
        raise GateFailed(f"pre-deploy checklist failed: {failures}")
    # "Significant" is never silently false: a labelled PR is downgraded only with a reason.
    label = policy.checklist.labels.significant
    try:
        significant, why = significance(
            request.significant, label in facts.labels, request.significant_reason, label
        )
    except ValueError as error:
        steps.append(("significance", "FAIL", str(error)))
        raise GateFailed(str(error)) from None
    steps.append(("significance", "significant" if significant else "standard", why))
    # The version deployed is the one approved: CI tagged it with the merged commit's sha.
    tags = await confirm_uploaded_versions(service, request.version_ids)
    provenance = check_provenance(tags, request.git_sha, service.allow_untagged_versions)
    steps.append(
        (
            "provenance",
            "FAIL" if not provenance.passed else "warning" if provenance.warnings else "pass",
            provenance.detail,
        )
    )
    if not provenance.passed:
        raise GateFailed(f"provenance: {provenance.detail}; nothing was deployed")

    # CI deploys to sandbox (if applicable); sandbox deployment verified.
    if service.has_sandbox:
        # a release already overtaken in production touches nothing, the sandbox included
        await hold_production_order(request, service, steps, "before the sandbox")
        await release_to_environment(request, service, "sandbox", significant, policy, steps)

    # Deployment Freeze Periods — checked right before the production change.
    freeze = await freeze_gate("production deploy", request.service, policy)
    waited = 0  # a freeze ending within a moment is waited out (whole) here, then re-checked
    while freeze.frozen and policy.freeze.on_freeze != "fail" and freeze.retry_at is not None:
        delay = inline_wait(clock.now(), freeze.retry_at, policy.continuations, waited)
        if delay is None:
            break
        await clock.clock().sleep(delay)
        waited += 1
        freeze = await freeze_gate("production deploy", request.service, policy)
    steps.append(("freeze gate", "FROZEN" if freeze.frozen else "clear", describe(freeze)))
    if freeze.frozen:
        if policy.freeze.on_freeze == "fail":
            raise Frozen(freeze)
        when = freeze.retry_at
        assert when is not None  # the core always gives one or the other when frozen
        try:
            _, name = await continue_at(
                when, f"change freeze: {describe(freeze)}", step="after the freeze"
            )
        except CannotContinue as error:
            raise Frozen(freeze) from error
        message = f"change freeze ({describe(freeze)}): continues as {name} at {when.isoformat()}"
        await say_deferred(
            request.service, freeze, f"workers {request.service}", f"continues as {name}"
        )
        steps.append(("production deploy", "deferred", message))
        return message
    # Never overwrite something newer, read right before the deploy, so a late continuation
    # (or a release that waited for the slot) is held to what production runs now.
    await hold_production_order(request, service, steps, "before the deploy")
    # CI deploys to production; post-deploy verification; rollback when it fails.
    await release_to_environment(request, service, "production", significant, policy, steps)
    return None


async def hold_production_order(
    request: WorkersDeployRequest,
    service: WorkerService,
    steps: list[tuple[str, str, str]],
    when: str,
) -> None:
    """Production only moves forward (GitHub's compare of the live version's commit with this
    release's): behind or diverged ends the run Superseded; identical under another version id
    ends it as already live; ahead (or a live version without a tag, warned) goes on."""
    order = await check_production_order(service, request.git_sha)
    steps.append(
        (f"production order ({when})", order.action, "; ".join((order.detail, *order.warnings)))
    )
    if order.action == "superseded":
        raise EndsEarly("superseded", order.detail, "Superseded")
    if order.action == "refuse":
        raise GateFailed(f"production order: {order.detail}")
    if (
        order.action == "already live"
        and (await read_live(service, "production")).version_id != request.version_ids["production"]
    ):
        raise EndsEarly("already live", f"{order.detail} (another upload of it); nothing deployed")
