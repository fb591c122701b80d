"""Android — as the procedure lists it:

  CI builds the .aab and uploads it to Google Play Console → internal testing track (minimum
  24 hours for significant changes) → promote to the production track → Google Play review
  (typically 2–7 days) → staged rollout 5 %, 20 %, 50 %, 100 %. Rollback: halt the rollout;
  a fix is a new version through the same flow.

Each run takes the app's slot, reads Play, does at most one step (upload, promote, advance,
halt, resume) and schedules its continuation for when the next step is due: soaks and reviews
hold no process. `advance-rollouts` is the safety net when a continuation is lost.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from prefect import flow
from prefect.flow_runs import suspend_flow_run
from prefect.states import Completed, State

from flows.android_steps import Emergency, StepResult, rollout_step
from flows.mobile import (
    Handover,
    InternalSignOff,
    RolloutStopped,
    confirm_emergency,
    retry_after_outage,
    significance,
    take_steps,
)
from flows.requests import takes
from flows.run_names import android_run_name
from procedure.android import Step
from procedure.android_request import (
    AndroidReleaseRequest,
    android_target,
)
from tasks import clock
from tasks.bundles import checked_bundle
from tasks.evidence import artifact_key, gate_markdown, policy_review, publish
from tasks.limits import app_limit
from tasks.notify import notify
from tasks.play import is_play_outage
from tasks.settings import current_policy
from tasks.slots import hold_slot
from tasks.timeline import load_timeline, save_timeline


@flow(name="android-release", log_prints=True, flow_run_name=android_run_name)
@takes(AndroidReleaseRequest, choices={"app": "android_apps"})
async def android_release(request: AndroidReleaseRequest) -> dict[str, Any] | State:
    """Take one Android version through the procedure: the steps due now (or within the
    policy's `continuations` moment) in this run, the rest in its continuations."""
    return await take_steps(_one_step, request)


async def _one_step(request: AndroidReleaseRequest) -> dict[str, Any] | State | Handover:
    """One run's step; a Handover when the procedure goes on."""
    policy = current_policy()
    review = policy_review(policy)
    app = android_target(request, policy)
    bundle = str(checked_bundle(request.aab_path, app)) if request.aab_path else None
    significant_now, significant_why = await significance(request, app.repo, policy)
    emergency = await confirm_emergency(request, policy)
    async with hold_slot(app_limit(request.app), policy.slots.wait, policy):
        try:
            result = await rollout_step(
                app,
                policy,
                version_code=request.version_code,
                bundle_path=bundle,
                version_name=request.version_name,
                notes=request.release_notes,
                significant=significant_now,
                resume_reason=request.resume_reason,
                operator=request.operator,
                emergency=emergency,
            )
        except Exception as error:  # noqa: BLE001 - only an outage is kept; the rest re-raised
            if not is_play_outage(error):
                raise
            outage: Exception | None = error
        else:
            outage = None
    if outage is not None:  # the slot is free again: the retry takes it anew
        return await retry_after_outage(
            "Google Play",
            request.app,
            request.model_dump(),
            request.outage_attempt,
            app.review_check_interval,
            outage,
        )
    if emergency is not None:
        await emergency_audit(request, emergency, result)
    if result.decision.step is Step.SIGN_OFF:
        await sign_off(request, result)
        result = StepResult(
            result.version_code, result.decision, next_check=None, message="signed off"
        )
    await publish(
        artifact_key("android", request.app, "release"),
        gate_markdown(
            f"Android release — {request.app} {result.version_code}",
            result.final or result.decision.step.value,
            {
                "step": result.decision.step.value,
                "acted": result.acted or "nothing due",
                "fraction": f"{result.fraction:.0%}",
                "significant": significant_why,
                "next check": result.next_check.isoformat() if result.next_check else "—",
                "policy review": review,
            },
            result.message,
        ),
        f"{result.decision.step.value}: {result.message}",
    )
    if result.final == "done":
        return Completed(message=f"{request.app} {result.version_code} is live to 100 % of users")
    if result.final:
        raise RolloutStopped(
            f"{request.app} {result.version_code} {result.final}: {result.message}"
        )
    return await hand_over(request, result, significant_now)


async def hand_over(
    request: AndroidReleaseRequest, result: StepResult, significant: bool
) -> Handover:
    """End this run; the next one starts when the next step is due (now, after a sign-off).
    It carries what this run settled (the version code, `significant`), not the PR to re-read;
    an emergency run's continuation stays an emergency run (re-verified each time)."""
    when = result.next_check or clock.now()
    dropped = {"aab_path", "resume_reason", "pr_number", "outage_attempt"} | (
        {"operator"} if not request.incident_id else set()
    )
    params = {
        **request.model_dump(exclude=dropped),
        "version_code": result.version_code,
        "significant": significant,
    }
    why = f"{result.decision.step.value}: {result.message}"
    step = f"{result.decision.step.value} at {result.fraction:.0%}"
    return Handover(when, why, params, step)


async def emergency_audit(
    request: AndroidReleaseRequest, emergency: Emergency, result: StepResult
) -> None:
    """Who, why, which incident, which version, what was bypassed — one record per run."""
    audit = {
        "operator": emergency.operator,
        "reason": emergency.reason,
        "incident": emergency.incident_id,
        "incident confirmed": emergency.incident,
        "version code": result.version_code,
        "step": result.decision.step.value,
        "acted": result.acted or "nothing due",
        "bypassed": result.bypassed or "nothing (no freeze held)",
        "kept": "internal soak, Play review, health gate, halt",
    }
    await publish(
        artifact_key("emergency", "android", request.app, "audit"),
        gate_markdown(
            f"Emergency Android release audit — {request.app} {result.version_code}",
            "EMERGENCY",
            audit,
            result.message,
        ),
        f"emergency {request.app} {result.version_code} by {emergency.operator} for {emergency.incident_id}",
    )


async def sign_off(request: AndroidReleaseRequest, result: StepResult) -> None:
    """The policy asks a person to sign off internal testing: suspend (no process waits) for a
    typed answer in the UI; the answer is recorded in the rollout's timeline."""
    key = f"sign-off-{request.app}-{result.version_code}"
    timeline = await load_timeline(request.app, result.version_code)
    if not timeline.sign_off_asked:  # a resumed run passes here again: said once
        notify(
            "sign-off waiting",
            f"android {request.app}-{result.version_code}",
            "internal testing is over: sign it off in the Prefect UI (the run is Suspended)",
        )
        await save_timeline(
            request.app, result.version_code, replace(timeline, sign_off_asked=True)
        )
    # suspend_flow_run is sync/async-dual; its stubs only describe the sync form
    answer: InternalSignOff = await suspend_flow_run(wait_for_input=InternalSignOff, key=key)  # type: ignore[misc, arg-type]
    if not answer.decision:
        raise RolloutStopped(f"internal testing not signed off by {answer.approver}: {answer.note}")
    timeline = await load_timeline(request.app, result.version_code)
    await save_timeline(
        request.app, result.version_code, replace(timeline, signed_off_by=answer.approver)
    )
