"""The steps of an iOS release that are due now: read App Store Connect, decide with the core, act,
say when to look again. Shared by `ios-release` (each run, then its scheduled continuation) and
`advance-rollouts` (the cron safety net). The caller holds the app's slot.

Steps that need no waiting in between (answer export compliance, join the TestFlight groups,
then find the soak already over) are taken in one run; every wait — processing, soak, review, a
phase day's next health check — ends the run with the instant to continue at.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from prefect.artifacts import acreate_progress_artifact
from prefect.logging import get_run_logger

from flows.android_steps import Emergency
from procedure.health import Verdict
from procedure.ios import (
    Decision,
    IosTimeline,
    PhasedAction,
    PhasedView,
    Step,
    StoreView,
    decide,
    freeze_matters,
    phased_action,
    reconcile,
    sessions_verdict,
)
from procedure.phased_release import PauseBudget, checkpoints, percentage, stage_reached
from procedure.policy import IosApp, Policy
from tasks import clock
from tasks.app_store import (
    StoreReading,
    add_to_beta_groups,
    answer_export_compliance,
    read_store,
    release_name,
    remove_from_sale,
    request_release,
    set_phased_release,
    submit_for_review,
)
from tasks.evidence import artifact_key, gate_markdown, publish
from tasks.freeze import describe, freeze_gate, say_deferred
from tasks.notify import notify
from tasks.sessions import read_sessions
from tasks.timeline import load_ios_timeline, save_ios_timeline

__all__ = ["NO_ROLLBACK", "IosStepResult", "alert", "ios_step", "operator_action"]

NO_ROLLBACK = "iOS cannot roll back: the fix is a new version through ios-release (the hotfix path)"
FINAL = {
    Step.DONE: "done",
    Step.REJECTED: "rejected",
    Step.BUILD_FAILED: "build failed",
    Step.SUPERSEDED: "superseded",
}
IMMEDIATE_STEPS = 6  # compliance → groups → (soak over) → submit: at most this many in one run
EARLY = timedelta(seconds=0.5)  # a continuation may start a moment before its check is due


@dataclass(frozen=True)
class IosStepResult:
    decision: Decision
    acted: tuple[str, ...] = ()
    next_check: datetime | None = None  # continue at
    final: str | None = None  # done | rejected | build failed | superseded | paused | failed
    message: str = ""
    day: int = 0
    bypassed: str = ""  # an emergency run: the freeze it went through

    @property
    def offered(self) -> str:
        return f"{percentage(self.day):.0%}" if self.day else "—"


@dataclass(frozen=True)
class _Release:
    """What one run knows of the release it steps."""

    app: IosApp
    policy: Policy
    version: str
    build: str
    notes: str
    significant: bool
    emergency: Emergency | None

    @property
    def subject(self) -> str:
        return f"{self.app.name}-{self.version}-{self.build}"


async def ios_step(
    app: IosApp,
    policy: Policy,
    *,
    version: str,
    build: str,
    notes: str = "",
    significant: bool = False,
    emergency: Emergency | None = None,
) -> IosStepResult:
    release = _Release(app, policy, version, build, notes, significant, emergency)
    acted: list[str] = []
    for _ in range(IMMEDIATE_STEPS):
        result, again = await _one_step(release)
        acted += result.acted
        if not again:
            return replace(result, acted=tuple(acted))
    return replace(result, acted=tuple(acted), next_check=clock.now())


async def _read(release: _Release, now: datetime) -> tuple[StoreReading, IosTimeline]:
    app = release.app
    reading = await read_store(app, release.version, release.build)
    recorded = await load_ios_timeline(app.name, release.version, release.build)
    timeline = reconcile(recorded, reading.view, now, significant=release.significant)
    if timeline != recorded:
        await _save(release, timeline)
    return reading, timeline


async def _save(release: _Release, timeline: IosTimeline) -> None:
    await save_ios_timeline(release.app.name, release.version, release.build, timeline)


async def _one_step(release: _Release) -> tuple[IosStepResult, bool]:
    """(result, whether another step is due at once)."""
    app, log = release.app, get_run_logger()
    now = clock.now()
    reading, timeline = await _read(release, now)
    view = reading.view
    decision = decide(view, timeline, app, significant=release.significant, now=now)
    log.info("%s: %s — %s", release.subject, decision.step.value, decision.reason)
    result = IosStepResult(
        decision, message=decision.reason, day=view.phased.day if view.phased else 0
    )
    step = decision.step
    if step in FINAL:
        message = decision.reason
        if step is Step.REJECTED:
            message += (
                "; Apple's reasons are in App Store Connect's Resolution Center (the API does "
                f"not give them): fix what review found and submit again — {NO_ROLLBACK}"
            )
        return replace(result, final=FINAL[step], message=message), False
    if step in (Step.BUILD_WAIT, Step.SOAK, Step.SIGN_OFF):
        return replace(result, next_check=decision.due), False
    if step is Step.REVIEW:
        if decision.overdue:
            timeline = await _alert_once(
                release, timeline, "review slow", f"App Store review is slow: {decision.reason}"
            )
        return replace(result, next_check=decision.due), False
    if step is Step.COMPLIANCE:
        if app.uses_non_exempt_encryption is None or reading.build_id is None:
            await _alert_once(
                release,
                timeline,
                "export compliance",
                "the build waits for its export-compliance answer in App Store Connect",
                level="warning",
            )
            return replace(result, next_check=decision.due), False
        await answer_export_compliance(reading.build_id, app.uses_non_exempt_encryption)
        what = (
            f"export compliance answered: usesNonExemptEncryption={app.uses_non_exempt_encryption}"
        )
        return replace(result, acted=(what,), message=what), True
    if step is Step.BETA:
        assert reading.build_id is not None
        added = await add_to_beta_groups(app, reading.build_id)
        await _save(release, replace(timeline, beta_since=now))
        what = f"build {release.build} added to TestFlight {', '.join(added) or 'groups'}"
        return replace(result, acted=(what,), message=what), True
    if step is Step.SUBMIT:
        return await _submit(release, reading, timeline, result, now)
    if step is Step.RELEASE:
        return await _release(release, reading, timeline, result, now)
    return await _phased(release, reading, timeline, decision, result, now), False


async def _freeze_allows(
    release: _Release, step: str, result: IosStepResult
) -> tuple[bool, IosStepResult]:
    """The freeze gate right before a production change; an emergency goes through, loudly."""
    freeze = await freeze_gate(step, release.subject, release.policy)
    if not freeze.frozen:
        return True, result
    if release.emergency is None:
        await say_deferred(
            release.subject, freeze, f"ios {release.subject}", f"{step} waits for it"
        )
        return False, replace(
            result, next_check=freeze.retry_at, message=f"change freeze: {describe(freeze)}"
        )
    get_run_logger().warning(
        "EMERGENCY %s by %s: freeze bypassed (%s) for incident %s",
        step,
        release.emergency.operator,
        describe(freeze),
        release.emergency.incident_id,
    )
    return True, replace(result, bypassed=f"freeze before {step}: {describe(freeze)}")


async def _submit(
    release: _Release,
    reading: StoreReading,
    timeline: IosTimeline,
    result: IosStepResult,
    now: datetime,
) -> tuple[IosStepResult, bool]:
    allowed, result = await _freeze_allows(release, "submit for review", result)
    if not allowed:
        return result, False
    submission = await submit_for_review(release.app, reading, release.version, release.notes)
    await _save(release, replace(timeline, submitted_at=now))
    what = f"version {release.version} ({release.build}) submitted for review ({submission})"
    if release.emergency is not None and release.app.expedite_hotfix:
        get_run_logger().warning(
            "EMERGENCY: ask Apple for an expedited review (a form, no API): "
            "https://developer.apple.com/contact/app-store/?topic=expedite — incident %s",
            release.emergency.incident_id,
        )
        what += "; expedited review to be requested (the run log links the form)"
    return replace(
        result,
        acted=(what,),
        message=what,
        next_check=now + release.app.review_check_interval,
    ), False


async def _release(
    release: _Release,
    reading: StoreReading,
    timeline: IosTimeline,
    result: IosStepResult,
    now: datetime,
) -> tuple[IosStepResult, bool]:
    allowed, result = await _freeze_allows(release, "release", result)
    if not allowed:
        return result, False
    view = reading.view
    if view.version_state == "PENDING_DEVELOPER_RELEASE":
        await request_release(reading)
        what = f"version {release.version} released with a phased release (day 1: 1 %)"
    else:  # live with its phased release not started
        assert reading.phased_id is not None
        await set_phased_release(release.app, reading.phased_id, "ACTIVE")
        what = "phased release started"
    days = {**timeline.day_since, 1: now}
    await _save(release, replace(timeline, day_since=days, health_checked_at=now))
    await _progress(release, 1)
    return replace(
        result,
        acted=(what,),
        message=what,
        day=1,
        next_check=now + release.app.health.check_interval,
    ), False


async def _phased(
    release: _Release,
    reading: StoreReading,
    timeline: IosTimeline,
    decision: Decision,
    result: IosStepResult,
    now: datetime,
) -> IosStepResult:
    """Health all the time; a failure pauses at once (never frozen); a freeze pauses too; a
    checkpoint day is passed only with a passing verdict on it."""
    app = release.app
    phased = reading.view.phased or PhasedView("COMPLETE", 7)
    check = app.health.check_interval
    health: tuple[Verdict, str] | None = None
    due = timeline.health_checked_at is None or now + EARLY >= timeline.health_checked_at + check
    if due or decision.checkpoint_closing:
        health = await health_gate(release, reading.previous_release, now)
        passed = timeline.passed_days
        if health[0] is Verdict.PASS and phased.day in checkpoints(app.stages):
            passed = passed | {phased.day}
        timeline = replace(timeline, health_checked_at=now, passed_days=passed)
        await _save(release, timeline)
    verdict = health[0] if health else None
    note = f" (health {health[0]}: {health[1]})" if health else ""

    if decision.step is Step.WATCH:
        if verdict is Verdict.FAIL:
            assert health is not None
            await _alert_once(
                release, timeline, "failed at 100", f"health FAILED at 100 %: {health[1]}"
            )
            return replace(
                result,
                final="failed",
                message=f"health failed at 100 %: {health[1]}; {NO_ROLLBACK}",
            )
        return replace(
            result,
            next_check=min(t for t in (decision.due, now + check) if t is not None),
            message=decision.reason + note,
        )

    frozen, freeze_left = False, None
    if freeze_matters(decision, verdict, timeline.paused_by):
        freeze = await freeze_gate("phased release", release.subject, release.policy)
        frozen = freeze.frozen
        if frozen and freeze.retry_at is not None:
            freeze_left = freeze.retry_at - now
    # Apple's whole days paused (the one in progress included) + up to a day not yet counted
    in_pause = app.phased_day if phased.state == "PAUSED" else timedelta(0)
    budget = PauseBudget(phased.paused_for + in_pause, day=app.phased_day)
    action, cause, why = phased_action(
        decision,
        verdict,
        timeline.paused_by,
        budget,
        frozen=frozen,
        emergency=release.emergency is not None,
        freeze_left=freeze_left,
    )
    warning = budget.warning(app.pause_warning)
    if warning:
        timeline = await _alert_once(release, timeline, "pause budget", warning, level="warning")
    result = replace(result, message=why + note)
    if action is PhasedAction.PAUSE:
        assert reading.phased_id is not None
        await set_phased_release(app, reading.phased_id, "PAUSED")
        timeline = replace(timeline, paused_by=cause, paused_at=now)
        await _save(release, timeline)
        where = f"day {phased.day} ({percentage(phased.day):.0%})"
        await alert(
            release.subject,
            f"phased release PAUSED at {where}: {why}{note}",
            level="error" if cause == "health" else "warning",
            kind="paused",
        )
        result = replace(result, acted=(f"paused at {where} ({cause})",))
        if cause == "health":
            return replace(
                result,
                final="paused",
                message=f"health failed at {where}: {health[1] if health else why}; phased "
                f"release paused — an operator resumes (action resume) or ships a fix. {NO_ROLLBACK}",
            )
        return replace(result, next_check=now + check)
    if action is PhasedAction.RESUME:
        assert reading.phased_id is not None
        await set_phased_release(app, reading.phased_id, "ACTIVE")
        timeline = replace(timeline, paused_by=None, paused_at=None)
        await _save(release, timeline)
        await alert(
            release.subject, f"phased release resumed: {why}", level="warning", kind="resumed"
        )
        return replace(result, acted=(f"resumed ({why})",), next_check=now + check)
    if action is PhasedAction.CANNOT_PAUSE:
        timeline = await _alert_once(release, timeline, "cannot pause", why)
    if decision.step is Step.PAUSED and timeline.paused_by not in ("freeze", "no data"):
        return replace(result, final="paused")
    if frozen and decision.step is Step.PHASE and release.emergency is None:
        # no pause made (no room in the budget): keep watching, say it
        return replace(result, next_check=now + check)
    again = decide(reading.view, timeline, app, significant=release.significant, now=now)
    await _progress(release, phased.day)
    return replace(result, next_check=max(now, min(again.due or now + check, now + check)))


async def health_gate(
    release: _Release, previous: str | None, now: datetime
) -> tuple[Verdict, str]:
    app = release.app
    start = now - app.health.window
    name = release_name(app, release.version, release.build)
    current = await read_sessions(app, name, start, now)
    before = await read_sessions(app, previous, start, now) if previous else None
    verdict, why = sessions_verdict(current, before, app)
    rules = app.health
    await publish(
        artifact_key("ios", app.name, release.version, release.build, "health"),
        gate_markdown(
            f"Health gate — {app.name} {release.version} ({release.build})",
            verdict,
            {
                "window": f"{start.isoformat()} → {now.isoformat()}",
                "release": name,
                "crash-free sessions": current.crash_free_sessions,
                "crash-free users": current.crash_free_users,
                "sessions": current.sessions,
                "previous release": f"{previous}: sessions {before.crash_free_sessions}, "
                f"users {before.crash_free_users}"
                if before
                else "none",
            },
            why,
            thresholds={
                "min crash-free sessions": rules.min_crash_free_sessions,
                "min crash-free users": rules.min_crash_free_users,
                "max regression factor": rules.max_regression_factor,
                "min sessions": rules.min_sessions,
            },
        ),
        f"health {verdict}: {why}",
    )
    return verdict, why


async def operator_action(
    app: IosApp,
    policy: Policy,
    *,
    version: str,
    build: str,
    action: str,
    operator: str,
    reason: str,
    emergency: Emergency | None = None,
) -> IosStepResult:
    """resume | release to all | remove from sale — an operator's, with a reason, audited by the
    caller. Removing from sale is a safety action: never frozen."""
    release = _Release(app, policy, version, build, "", False, emergency)
    now = clock.now()
    reading, timeline = await _read(release, now)
    view: StoreView = reading.view
    decision = decide(view, timeline, app, significant=False, now=now)
    result = IosStepResult(decision, day=view.phased.day if view.phased else 0)
    if action == "remove from sale":
        await remove_from_sale(app)
        await alert(
            release.subject, f"REMOVED FROM SALE by {operator}: {reason}", kind="removed from sale"
        )
        return replace(
            result,
            acted=(f"removed from sale by {operator}",),
            final="removed from sale",
            message=f"{app.name} is no longer on the App Store ({reason}); {NO_ROLLBACK}",
        )
    phased = view.phased
    wanted = {"resume": ("PAUSED",), "release to all": ("ACTIVE", "PAUSED")}[action]
    if phased is None or reading.phased_id is None or phased.state not in wanted:
        state = phased.state if phased else "no phased release"
        return replace(
            result, final="failed", message=f"cannot {action}: the phased release is {state}"
        )
    allowed, result = await _freeze_allows(release, action, result)
    if not allowed:
        return result
    target: Literal["ACTIVE", "COMPLETE"] = "ACTIVE" if action == "resume" else "COMPLETE"
    await set_phased_release(app, reading.phased_id, target)
    days = timeline.day_since if target == "ACTIVE" else {**timeline.day_since, 7: now}
    await _save(
        release,
        replace(timeline, paused_by=None, paused_at=None, day_since=days, health_checked_at=now),
    )
    what = f"{action} by {operator}: {reason}"
    await alert(release.subject, what, level="warning", kind=action)
    if target == "COMPLETE":
        await _progress(release, 7)
    return replace(
        result,
        acted=(what,),
        message=what,
        day=7 if target == "COMPLETE" else result.day,
        next_check=now + app.health.check_interval,
    )


async def _alert_once(
    release: _Release, timeline: IosTimeline, key: str, text: str, level: str = "error"
) -> IosTimeline:
    """An alert per state change, not per check: remembered in the timeline."""
    if key in timeline.alerted:
        return timeline
    await alert(release.subject, text, level=level)
    timeline = replace(timeline, alerted=timeline.alerted | {key})
    await _save(release, timeline)
    return timeline


async def alert(subject: str, text: str, level: str = "error", kind: str = "alert") -> None:
    """An alert: the run log, an artifact the UI lists, and one notification."""
    log = get_run_logger()
    (log.error if level == "error" else log.warning)("ALERT %s: %s", subject, text)
    await publish(artifact_key("ios", subject, "alert"), f"# Alert — {subject}\n\n{text}", text)
    notify(kind, f"ios {subject}", text)


async def _progress(release: _Release, day: int) -> None:
    reached = stage_reached(day, release.app.stages)
    await acreate_progress_artifact(
        progress=round(percentage(day) * 100, 1),
        key=artifact_key("ios", release.app.name, "rollout"),
        description=f"{release.subject} day {day}: {percentage(day):.0%} of automatic updates "
        f"(stage {reached:.0%})",
    )
