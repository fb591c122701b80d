"""iOS — as the procedure lists it:

  Merge to main triggers the CI build → CI builds the .ipa and uploads it to TestFlight →
  internal testing on TestFlight (minimum 24 hours for significant changes) → submit to App
  Store Connect for review → Apple review (typically 24–48 hours) → release to the App Store with
  a phased rollout 1 %, 5 %, 10 %, 50 %, 100 %. iOS cannot roll back: a fix is a new version.

Apple decides the percentage (1, 2, 5, 10, 20, 50, 100 % on days 1–7); the procedure's stages are
checkpoints on that schedule, each passed only with a passing health verdict on its day. Health is
read on every phase day; a failure pauses the phased release at once (a safety action, never
frozen). Each run takes the app's slot, takes the steps due now and schedules its continuation:
processing, soaks and reviews hold no process. `advance-rollouts` is the safety net.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from prefect import flow
from prefect.flow_runs import suspend_flow_run
from prefect.states import Completed, State

from flows.android_steps import Emergency
from flows.ios_steps import IosStepResult, ios_step, operator_action
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
from flows.run_names import ios_run_name
from procedure.ios import Step
from procedure.ios_request import IosReleaseRequest, ios_target
from tasks import clock
from tasks.app_store import is_apple_outage
from tasks.evidence import artifact_key, gate_markdown, policy_review, publish
from tasks.limits import ios_app_limit
from tasks.notify import notify
from tasks.settings import current_policy
from tasks.slots import hold_slot
from tasks.timeline import load_ios_timeline, save_ios_timeline


@flow(name="ios-release", log_prints=True, flow_run_name=ios_run_name)
@takes(IosReleaseRequest, choices={"app": "ios_apps"})
async def ios_release(request: IosReleaseRequest) -> dict[str, Any] | State:
    """Take one iOS build through the procedure, the steps due now per run."""
    return await take_steps(_one_step, request)


async def _one_step(request: IosReleaseRequest) -> dict[str, Any] | State | Handover:
    """One run's step; a Handover when the procedure goes on."""
    policy = current_policy()
    review = policy_review(policy)
    app = ios_target(request, policy)
    significant, significant_why = False, "not asked (an operator's action)"
    if request.action == "release":
        significant, significant_why = await significance(request, app.repo, policy)
    emergency = await confirm_emergency(request, policy)
    outage: Exception | None = None
    async with hold_slot(ios_app_limit(app.name), policy.slots.wait, policy):
        try:
            if request.action == "release":
                result = await ios_step(
                    app,
                    policy,
                    version=request.version,
                    build=request.build_number,
                    notes=request.release_notes,
                    significant=significant,
                    emergency=emergency,
                )
            else:
                assert request.operator and request.reason  # the request model requires them
                result = await operator_action(
                    app,
                    policy,
                    version=request.version,
                    build=request.build_number,
                    action=request.action,
                    operator=request.operator,
                    reason=request.reason,
                    emergency=emergency,
                )
        except Exception as error:  # noqa: BLE001 - only an outage is kept; the rest re-raised
            if not is_apple_outage(error):
                raise
            outage = error
    if outage is not None:  # the slot is free again: the retry takes it anew
        return await retry_after_outage(
            "App Store Connect",
            request.app,
            request.model_dump(),
            request.outage_attempt,
            app.review_check_interval,
            outage,
        )
    if emergency is not None or request.action != "release":
        await audit(request, emergency, result)
    if result.decision.step is Step.SIGN_OFF and not result.final:
        await sign_off(request)
        result = replace(result, next_check=clock.now(), message="signed off")
    title = f"iOS release — {request.app} {request.version} ({request.build_number})"
    await publish(
        artifact_key("ios", request.app, "release"),
        gate_markdown(
            title,
            result.final or result.decision.step.value,
            {
                "step": result.decision.step.value,
                "acted": "; ".join(result.acted) or "nothing due",
                "phase day": f"{result.day} ({result.offered} of automatic updates)",
                "significant": significant_why,
                "next check": result.next_check.isoformat() if result.next_check else "—",
                "policy review": review,
            },
            result.message,
        ),
        f"{result.decision.step.value}: {result.message}",
    )
    label = f"{request.app} {request.version} ({request.build_number})"
    if result.final == "done":
        return Completed(message=f"{label} is live to 100 % of automatic updates")
    if result.final == "removed from sale":
        return Completed(message=f"{label}: {result.message}")
    if result.final:
        raise RolloutStopped(f"{label} {result.final}: {result.message}")
    return await hand_over(request, result, significant)


async def hand_over(
    request: IosReleaseRequest, result: IosStepResult, significant: bool
) -> Handover:
    """End this run; the next one starts when the next check is due. An operator's action
    continues as the procedure (action `release`); an emergency stays an emergency."""
    when = result.next_check or clock.now()
    dropped = {
        "pr_number",
        "significant_reason",
        "reason",
        "confirm_remove_from_sale",
        "outage_attempt",
    } | ({"operator"} if not request.incident_id else set())
    params = {
        **request.model_dump(exclude=dropped),
        "action": "release",
        "significant": significant,
    }
    why = f"{result.decision.step.value}: {result.message}"
    day = f" day {result.day}" if result.day else ""
    return Handover(when, why, params, f"{result.decision.step.value}{day}")


async def audit(
    request: IosReleaseRequest, emergency: Emergency | None, result: IosStepResult
) -> None:
    """Who, why, what — one record per emergency run and per operator action."""
    rows: dict[str, object] = {
        "action": request.action,
        "operator": request.operator,
        "reason": request.reason or (emergency.reason if emergency else ""),
        "version": f"{request.version} ({request.build_number})",
        "step": result.decision.step.value,
        "acted": "; ".join(result.acted) or "nothing",
    }
    if emergency is not None:
        rows |= {
            "incident": emergency.incident_id,
            "incident confirmed": emergency.incident,
            "bypassed": result.bypassed or "nothing (no freeze held)",
            "kept": "TestFlight soak, App Store review, health gate, pause",
        }
    kind = "emergency" if emergency is not None else "operator"
    await publish(
        artifact_key(kind, "ios", request.app, "audit"),
        gate_markdown(
            f"{kind.capitalize()} iOS audit — {request.app} {request.version}",
            request.action.upper() if emergency is None else "EMERGENCY",
            rows,
            result.message,
        ),
        f"{kind} {request.action} {request.app} {request.version} by {request.operator}",
    )


async def sign_off(request: IosReleaseRequest) -> None:
    """The policy asks a person to sign off TestFlight testing: suspend (no process waits) for a
    typed answer in the UI; the answer is recorded in the rollout's timeline."""
    key = f"sign-off-ios-{request.app}-{request.version}-{request.build_number}"
    timeline = await load_ios_timeline(request.app, request.version, request.build_number)
    if "sign-off" not in timeline.alerted:  # a resumed run passes here again: said once
        notify(
            "sign-off waiting",
            f"ios {request.app}-{request.version}-{request.build_number}",
            "TestFlight testing is over: sign it off in the Prefect UI (the run is Suspended)",
        )
        await save_ios_timeline(
            request.app,
            request.version,
            request.build_number,
            replace(timeline, alerted=timeline.alerted | {"sign-off"}),
        )
    # suspend_flow_run is sync/async-dual; its stubs only describe the sync form
    answer: InternalSignOff = await suspend_flow_run(wait_for_input=InternalSignOff, key=key)  # type: ignore[misc, arg-type]
    if not answer.decision:
        raise RolloutStopped(
            f"TestFlight testing not signed off by {answer.approver}: {answer.note}"
        )
    timeline = await load_ios_timeline(request.app, request.version, request.build_number)
    await save_ios_timeline(
        request.app,
        request.version,
        request.build_number,
        replace(timeline, signed_off_by=answer.approver),
    )
