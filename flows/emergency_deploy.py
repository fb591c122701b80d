"""Cloudflare Workers — Manual Emergency Deployment, as the procedure has it:

  cd /path/to/repo && wrangler deploy --env production
  "Only used when CI is unavailable and a P1/P2 incident requires an immediate fix."

Refused (nothing deployed) unless the incident source confirms the incident as active P1/P2, a
reason and the acting person are given, and CI is unavailable (GitHub's status page, or — only
when that page cannot be read — a recorded attestation). It bypasses the freeze and checklist
gates only: the post-deploy verification still runs and a failure still rolls back. Every run
leaves an audit artifact: who, why, which incident, which version, which gates were bypassed.
"""

from __future__ import annotations

from prefect import flow
from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from flows.recovery import finish_unverified
from flows.requests import takes
from flows.run_names import emergency_run_name
from flows.verification import verify_or_roll_back
from procedure.emergency import (
    EmergencyRefused,
    EmergencyRequest,
    check_ci_unavailable,
    check_incident,
    emergency_target,
)
from procedure.policy import Policy, WorkerService
from procedure.workers import fit_message
from tasks import clock
from tasks.deploy import DeployRecord, read_live
from tasks.emergency import (
    WranglerApiError,
    checkout_digest,
    read_ci_status,
    read_incident,
    wrangler_deploy,
)
from tasks.evidence import artifact_key, gate_markdown, policy_review, publish, table
from tasks.limits import release_limit
from tasks.settings import current_policy
from tasks.slots import SlotBusy, hold_slot

BYPASSED = "freeze gate, pre-deploy checklist"
# Runs of `wrangler deploy` when one fails on a Cloudflare API call: each run makes ~6 calls and
# retries none of them on a 429 (and few on a 5xx), so one flaky answer in five fails most runs.
WRANGLER_ATTEMPTS = 8
WRANGLER_PAUSE_S = (1.0, 5.0)  # before the second run, doubled before each next, up to


@flow(name="workers-emergency-deploy", log_prints=True, flow_run_name=emergency_run_name)
@takes(EmergencyRequest, choices={"service": "services"})
async def workers_emergency_deploy(request: EmergencyRequest) -> dict[str, object]:
    """Deploy a Worker's checkout with `wrangler deploy --env production` during a P1/P2 incident."""
    policy = current_policy()
    service = emergency_target(request, policy)
    audit: dict[str, object] = {
        "acting person": request.acting_person,
        "reason": request.reason,
        "incident": request.incident_id,
        "gates bypassed": BYPASSED,
        "flow run": str(flow_run.get_name()),
        "policy review": policy_review(policy),
    }
    steps: list[tuple[str, str, str]] = []
    outcome = "refused"
    try:
        await emergency_release(request, service, policy, audit, steps)
        outcome = "deployed and verified"
    except EmergencyRefused:
        raise
    except Exception:
        outcome = "failed"
        raise
    finally:
        await publish(
            artifact_key("emergency", request.service, "audit"),
            gate_markdown(
                f"Emergency deployment audit — {request.service}",
                outcome,
                audit,
                table(("step", "result", "detail"), steps),
            ),
            f"emergency deployment by {request.acting_person}: {outcome}",
        )
    return {"service": request.service, "outcome": outcome, **{k: str(v) for k, v in audit.items()}}


async def emergency_release(
    request: EmergencyRequest,
    service: WorkerService,
    policy: Policy,
    audit: dict[str, object],
    steps: list[tuple[str, str, str]],
) -> None:
    # "Only used when ... a P1/P2 incident requires an immediate fix"
    incident = check_incident(
        await read_incident(request.incident_id, policy),
        request.incident_id,
        policy.freeze.incidents,
    )
    audit["incident confirmed"] = incident
    steps.append(("incident", "confirmed", incident))
    # "Only used when CI is unavailable"
    ci = check_ci_unavailable(
        await read_ci_status(policy),
        request.ci_unavailable_attestation,
        request.acting_person,
        policy.emergency,
    )
    audit["CI unavailable"] = ci
    steps.append(("CI unavailable", "confirmed", ci))
    acquired = False
    try:
        slot = hold_slot(release_limit(request.service), policy.slots.emergency_wait, policy)
        async with slot:
            acquired = True
            # an unfinished watch of someone else's release does not hold up the fix: its record
            # is closed as superseded by this emergency (the emergency's own watch follows)
            for line in await finish_unverified(
                service, policy, supersede=f"emergency {request.incident_id}"
            ):
                steps.append(("unverified release", "superseded", line))
            before = await read_live(service, "production")
            deployed = await deploy_once(service, before, request, steps)
            audit["version deployed"] = deployed.version_id
            audit["version before"] = deployed.previous_version_id or "none"
            failure = await verify_or_roll_back(
                service, deployed, policy.emergency.monitor_window, policy, steps
            )
    except TimeoutError as busy:
        if acquired:
            raise
        holder = f" ({busy.holder})" if isinstance(busy, SlotBusy) else ""
        raise EmergencyRefused(
            f"another release of {request.service} holds its slot{holder}; cancel it first"
        ) from None
    if failure:
        audit["verification"] = failure.reason
        raise RuntimeError(failure.reason)
    audit["verification"] = "passed"


async def deploy_once(
    service: WorkerService,
    before: DeployRecord,
    request: EmergencyRequest,
    steps: list[tuple[str, str, str]],
) -> DeployRecord:
    """`wrangler deploy` until the fix is live, and never twice: the live deployment's message
    carries this run's id, read first (a retry of the flow run after its deploy) and after every
    wrangler run that failed on a Cloudflare API call (the deployment may have been made before
    a later call, or its answer, failed). wrangler does not retry most failed API calls itself;
    a run that failed so with nothing live is run again, a few times, after a pause."""
    script, log = service.environments["production"].script, get_run_logger()
    # Cloudflare keeps 100 bytes of the message: the run id (how a retry knows it already
    # deployed) and the code's digest with the incident (how a re-run of a run that died knows
    # it) go first, so a long name cannot push them out.
    same_fix = f"{checkout_digest(service)} {request.incident_id}"
    marker = fit_message(f"emergency run {flow_run.id} {same_fix} by {request.acting_person}")

    def deployed_by_this_run(live: DeployRecord) -> bool:
        return bool(live.message and str(flow_run.id) in live.message)

    if before.message and (deployed_by_this_run(before) or f" {same_fix} " in before.message):
        # this run, or one for this incident that died after deploying this same code, already
        # deployed it (a retry, a re-run after a crash): never deploy twice — the live version
        # is verified as if this run had deployed it
        steps.append(("wrangler deploy", "already live", before.version_id))
        log.warning(
            "%s already serves this fix for %s (%s): verifying it, not deploying again",
            script,
            request.incident_id,
            before.message,
        )
        return before
    log.warning("EMERGENCY deploy of %s by %s: %s", script, request.acting_person, request.reason)
    for attempt in range(1, WRANGLER_ATTEMPTS + 1):
        try:
            result = await wrangler_deploy(service, marker)
        except WranglerApiError as error:
            steps.append(("wrangler deploy --env production", "API failure", f"attempt {attempt}"))
            live = await read_live(service, "production", previous=before.version_id)
            if deployed_by_this_run(live):  # made, then a later call (or its answer) failed
                steps.append(("wrangler deploy", "already live", live.version_id))
                return live
            if attempt == WRANGLER_ATTEMPTS:
                raise
            first, most = WRANGLER_PAUSE_S
            pause = min(first * 2 ** (attempt - 1), most)
            log.warning(
                "wrangler deploy attempt %d failed on a Cloudflare API call and nothing of it "
                "is live; again in %.1f s: %s",
                attempt,
                pause,
                error,
            )
            await clock.clock().sleep(pause)
            continue
        deployed = await read_live(service, "production", previous=before.version_id)
        if deployed.version_id != result.version_id:
            raise RuntimeError(
                f"wrangler reported version {result.version_id} but {script} serves "
                f"{deployed.version_id}"
            )
        steps.append(("wrangler deploy --env production", "done", result.version_id))
        return deployed
    raise AssertionError("unreachable: the last attempt returns or raises")
