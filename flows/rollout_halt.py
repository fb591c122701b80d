"""halt-rollout — the procedure's "Rollback: halt the rollout", as an operator's action:

  Android: the production release is halted on Google Play (a completed one too: Play then
  serves the previous release again). iOS (which cannot roll back): the phased release is paused.

A safety action (DESIGN 10): never frozen, and it acts before it asks for the app's slot, so a
run holding the slot cannot delay it. Then it takes the slot and looks again — a step that run
took meanwhile is undone — and, for iOS, records the pause as the operator's, so the procedure
never resumes it by itself. Only an operator's resume (`relctl rollout resume`) moves it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from prefect import flow
from prefect.logging import get_run_logger
from prefect.states import Completed, State

from flows import android_steps, ios_steps
from flows.mobile import RolloutStopped
from flows.requests import takes
from flows.run_names import halt_run_name
from procedure.halt_request import (
    HaltRequest,
    android_release_to_halt,
    halt_target,
    ios_release_to_pause,
)
from procedure.policy import AndroidApp, IosApp, Policy
from tasks import clock
from tasks.app_store import read_store, releases_in_flight, set_phased_release
from tasks.evidence import artifact_key, gate_markdown, policy_review, publish
from tasks.limits import app_limit, ios_app_limit
from tasks.play import ChangesInReviewError, read_play
from tasks.settings import current_policy
from tasks.slots import SlotBusy, hold_slot
from tasks.timeline import load_ios_timeline, save_ios_timeline


@flow(name="halt-rollout", log_prints=True, flow_run_name=halt_run_name)
@takes(HaltRequest, choices={"app": "mobile_apps"})
async def halt_rollout(request: HaltRequest) -> State:
    """Stop one mobile rollout now (Android halt, iOS pause); audited, never frozen."""
    policy = current_policy()
    policy_review(policy)
    target = halt_target(request, policy)
    if target.android is not None:
        subject, acted = await _android(target.android, target.version_code, request, policy)
    else:
        assert target.ios is not None
        subject, acted = await _ios(target.ios, request, policy)
    await publish(
        artifact_key("operator", target.platform, request.app, "audit"),
        gate_markdown(
            f"Operator halt audit — {subject}",
            "HALTED" if target.platform == "android" else "PAUSED",
            {
                "operator": request.operator,
                "reason": request.reason,
                "release": subject,
                "acted": "; ".join(acted) or "nothing: it was already stopped",
                "undone by": "relctl rollout resume (an operator's run, with a reason)",
            },
        ),
        f"halt {subject} by {request.operator}",
    )
    return Completed(message=f"{subject}: {'; '.join(acted) or 'already stopped'}")


async def _confirm_under_slot(
    limit: str, policy: Policy, again: Callable[[], Awaitable[list[str]]]
) -> list[str]:
    """Take the app's slot and act once more: the holder we did not wait for may have moved the
    rollout on meanwhile. A slot still busy after the policy's wait leaves the first act standing."""
    try:
        async with hold_slot(limit, policy.slots.wait, policy):
            return await again()
    except SlotBusy as busy:
        get_run_logger().warning("halt not re-checked under the slot: %s", busy)
        return []


async def _android(
    app: AndroidApp, code: int | None, request: HaltRequest, policy: Policy
) -> tuple[str, list[str]]:
    release = android_release_to_halt(await read_play(app), code)
    code = max(release.version_codes)
    subject = f"{app.name} {code}"

    async def halt() -> list[str]:
        view = (await read_play(app)).view(code)
        if view.production_status in ("halted", None):
            return []
        try:
            where = await android_steps.halt_on_play(app, code, view)
        except ChangesInReviewError:
            raise RolloutStopped(
                f"{subject}: Play refused the halt ({android_steps.IN_REVIEW}) — halt it in the "
                "Play Console now"
            ) from None
        return [f"halted at {where}"]

    acted = await halt()
    acted += await _confirm_under_slot(app_limit(app.name), policy, halt)
    if acted:
        await android_steps.alert(
            app.name,
            code,
            f"rollout HALTED by {request.operator} ({'; '.join(acted)}): {request.reason}",
            kind="halted",
        )
    return subject, acted


async def _ios(app: IosApp, request: HaltRequest, policy: Policy) -> tuple[str, list[str]]:
    in_flight = await releases_in_flight(app)
    version, build = ios_release_to_pause(in_flight, request.version, request.build_number)
    subject = f"{app.name} {version} ({build})"

    async def pause(record: bool) -> list[str]:
        reading = await read_store(app, version, build)
        phased = reading.view.phased
        if phased is None or reading.phased_id is None or phased.state not in ("ACTIVE", "PAUSED"):
            state = phased.state if phased else "no phased release"
            raise RolloutStopped(f"{subject}: cannot pause, the phased release is {state}")
        acted = []
        if phased.state == "ACTIVE":
            await set_phased_release(app, reading.phased_id, "PAUSED")
            acted.append(f"paused on day {phased.day}")
        if record:  # under the slot: the timeline is the slot holder's to write
            timeline = await load_ios_timeline(app.name, version, build)
            if timeline.paused_by != "operator":
                await save_ios_timeline(
                    app.name,
                    version,
                    build,
                    replace(timeline, paused_by="operator", paused_at=clock.now()),
                )
        return acted

    async def pause_recorded() -> list[str]:
        return await pause(record=True)

    acted = await pause(record=False)
    acted += await _confirm_under_slot(ios_app_limit(app.name), policy, pause_recorded)
    if acted:
        await ios_steps.alert(
            subject,
            f"phased release PAUSED by {request.operator} ({'; '.join(acted)}): {request.reason}; "
            f"{ios_steps.NO_ROLLBACK}",
            kind="paused",
        )
    return subject, acted
