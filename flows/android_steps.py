"""One step of an Android rollout: read Play, decide with the core, act at most once, say when
to look again. Shared by `android-release` (each run, then its scheduled continuation) and
`advance-rollouts` (the cron safety net). The caller holds the app's concurrency slot, so two
callers never act on one app at once; the second one re-reads Play and finds nothing due.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from prefect.artifacts import acreate_progress_artifact
from prefect.logging import get_run_logger

from procedure.android import (
    Decision,
    Gate,
    PlayState,
    PlayView,
    Resume,
    Step,
    Timeline,
    decide,
    production_gate,
    reconcile,
    resume_from,
    stage_key,
    vitals_due,
    vitals_verdict,
)
from procedure.health import Verdict
from procedure.policy import AndroidApp, Policy
from tasks import clock
from tasks.evidence import artifact_key, gate_markdown, publish
from tasks.freeze import describe, freeze_gate, say_deferred
from tasks.notify import notify
from tasks.play import (
    ChangesInReviewError,
    read_play,
    read_vitals,
    set_production_release,
    upload_bundle,
)
from tasks.timeline import load_timeline, save_timeline

FINAL = {
    Step.DONE: "done",
    Step.HALTED: "halted",
    Step.REJECTED: "rejected",
    Step.MISSING: "missing",
}
WAITS = (Step.SOAK, Step.REVIEW, Step.PUBLISH, Step.STAGE, Step.SIGN_OFF, Step.WATCH)
# A continuation may start a little before its due time; a health check that early is no harm.
EARLY = timedelta(seconds=0.5)
IN_REVIEW = (
    "Google Play has other changes in review (CHANGES_ALREADY_IN_REVIEW): nothing was changed"
)


@dataclass(frozen=True)
class Emergency:
    """A hotfix during the P1/P2 incident it fixes: bypasses the freeze gate only."""

    incident_id: str
    incident: str  # as its source confirmed it
    reason: str
    operator: str


@dataclass(frozen=True)
class StepResult:
    version_code: int
    decision: Decision
    acted: str | None = None  # the change made in Play, if any
    next_check: datetime | None = None  # continue at
    final: str | None = None  # done | halted | rejected | missing | failed
    message: str = ""
    fraction: float = 0.0
    bypassed: str = ""  # an emergency run: the freeze it went through


def _earliest(*times: datetime | None) -> datetime | None:
    return min((t for t in times if t is not None), default=None)


async def rollout_step(
    app: AndroidApp,
    policy: Policy,
    *,
    version_code: int | None,
    bundle_path: str | None = None,
    version_name: str = "",
    notes: str = "",
    significant: bool = False,
    resume_reason: str | None = None,
    operator: str | None = None,
    state: PlayState | None = None,
    emergency: Emergency | None = None,
) -> StepResult:
    log = get_run_logger()
    now = clock.now()
    state = state or await read_play(app)
    if version_code is None:
        if not bundle_path:
            raise ValueError("version_code or aab_path is needed")
        version_code = await upload_bundle(app, bundle_path, version_name, notes)
        log.info(
            "uploaded %s as version code %s to %s", bundle_path, version_code, app.internal_track
        )
        await save_timeline(
            app.name, version_code, Timeline(internal_since=now, significant=significant)
        )
        soak = app.internal_soak(significant)
        return StepResult(
            version_code,
            Decision(Step.UPLOAD, "uploaded"),
            "upload",
            now + soak,
            message=f"on {app.internal_track}; internal testing until {now + soak:%H:%M:%S}",
        )
    view = state.view(version_code)
    recorded = await load_timeline(app.name, version_code)
    timeline = reconcile(recorded, view, now, significant=significant)
    significant = timeline.significant
    if timeline != recorded:
        await save_timeline(app.name, version_code, timeline)
    decision = decide(
        view, timeline, app, significant=significant, now=now, has_bundle=bool(bundle_path)
    )
    log.info("%s %s: %s — %s", app.name, version_code, decision.step.value, decision.reason)
    result = StepResult(version_code, decision, fraction=view.fraction, message=decision.reason)

    if decision.step is Step.UPLOAD and bundle_path:
        uploaded = await upload_bundle(app, bundle_path, version_name, notes)
        if uploaded != version_code:
            return replace(
                result,
                final="failed",
                message=f"the bundle is version code {uploaded}, not {version_code}",
            )
        await save_timeline(app.name, version_code, replace(timeline, internal_since=now))
        return replace(result, acted="upload", next_check=now + app.internal_soak(significant))
    if decision.step is Step.HALTED and resume_reason:
        try:
            resume = resume_from(resume_reason, operator)
        except ValueError as refused:
            return replace(result, final="failed", message=str(refused))
        assert resume is not None  # a reason was given
        return await _resume(
            app,
            policy,
            view,
            timeline,
            resume,
            result,
            name=version_name,
            notes=notes,
            emergency=emergency,
        )

    # Health is watched all the time a version is live (DESIGN 12), freeze or not: a failure
    # halts at once — a halt is a safety action and is never frozen (DESIGN 10).
    watch = vitals_due(view, timeline, app, now)
    health: tuple[Verdict, str] | None = None
    if decision.step is Step.ADVANCE or (watch is not None and watch <= now + EARLY):
        since = timeline.since(view.fraction) or now
        health = await health_gate(
            app, version_code, state.previous_release(version_code), since, now
        )
        timeline = replace(timeline, vitals_checked_at=now)
        await save_timeline(app.name, version_code, timeline)
        if production_gate(decision.step, health[0], frozen=False, emergency=False) is Gate.HALT:
            return await _halt(app, version_code, view, health[1], result)
        watch = now + app.vitals.check_interval if watch is not None else None

    if decision.step in FINAL:
        return replace(result, final=FINAL[decision.step])
    if decision.step in WAITS:
        if decision.overdue and not timeline.review_alerted:
            await alert(
                app.name,
                version_code,
                f"Google Play review is slow: {decision.reason}",
                kind="review slow",
            )
            await save_timeline(app.name, version_code, replace(timeline, review_alerted=True))
        if decision.step is Step.PUBLISH:
            log.warning("%s %s: %s", app.name, version_code, decision.reason)
        note = f" (health {health[0]}: {health[1]})" if health else ""
        return replace(
            result, next_check=_earliest(decision.due, watch), message=decision.reason + note
        )

    # PROMOTE or ADVANCE: production changes — freeze gate first, right before the change.
    subject = f"{app.name}-{version_code}"
    freeze = await freeze_gate(decision.step.value, subject, policy)
    gate = production_gate(
        decision.step,
        health[0] if health else None,
        frozen=freeze.frozen,
        emergency=emergency is not None,
    )
    if gate is Gate.FROZEN:
        await say_deferred(
            subject, freeze, f"android {subject}", f"{decision.step.value} waits for it"
        )
        return replace(
            result,
            next_check=_earliest(freeze.retry_at, watch),
            message=f"change freeze: {describe(freeze)}",
        )
    if freeze.frozen and emergency is not None:  # it goes through, said loudly
        log.warning(
            "EMERGENCY %s by %s: freeze bypassed (%s) for incident %s",
            decision.step.value,
            emergency.operator,
            describe(freeze),
            emergency.incident_id,
        )
        result = replace(
            result, bypassed=f"freeze before {decision.step.value}: {describe(freeze)}"
        )
    target = decision.target or 1.0
    if decision.step is Step.PROMOTE:
        try:
            await set_production_release(
                app, version_code, "inProgress", target, version_name, notes
            )
        except ChangesInReviewError:
            return _in_review(result, now + app.review_check_interval)
        await save_timeline(app.name, version_code, replace(timeline, promoted_at=now))
        return replace(
            result,
            acted=f"promoted to {app.production_track} at {target:.0%} (sent for review)",
            next_check=now + app.review_check_interval,
        )
    # ADVANCE: the health gate on this stage's users ran above.
    assert health is not None
    verdict, why = health
    if gate is Gate.NO_DATA:
        return replace(
            result,
            next_check=_earliest(now + app.vitals.recheck_after, watch),
            message=f"health: no data yet ({why})",
        )
    try:
        if target >= 1.0:
            await set_production_release(app, version_code, "completed", None, version_name, notes)
        else:
            await set_production_release(
                app, version_code, "inProgress", target, version_name, notes
            )
    except ChangesInReviewError:
        return _in_review(result, _earliest(now + app.review_check_interval, watch))
    stages = {**timeline.stage_since, stage_key(target): now}
    await save_timeline(app.name, version_code, replace(timeline, stage_since=stages))
    await progress(app.name, version_code, target)
    if target >= 1.0 and not app.vitals.watch_after_complete:
        return replace(
            result,
            acted=f"{view.fraction:.0%} → 100%",
            fraction=target,
            final="done",
            message=f"advanced to 100% ({why})",
        )
    soak_over = now + (app.vitals.watch_after_complete if target >= 1.0 else app.stage_soak)
    return replace(
        result,
        acted=f"{view.fraction:.0%} → {target:.0%}",
        fraction=target,
        next_check=min(soak_over, now + app.vitals.check_interval),
        message=f"advanced to {target:.0%} ({why})"
        + (f"; vitals watched until {soak_over:%H:%M:%S}" if target >= 1.0 else ""),
    )


def _in_review(result: StepResult, retry_at: datetime | None) -> StepResult:
    """Play refused the commit because something else is in review: nothing changed; try again."""
    return replace(
        result,
        next_check=retry_at,
        message=f"{IN_REVIEW}; trying again at {retry_at:%H:%M:%S}" if retry_at else IN_REVIEW,
    )


async def halt_on_play(app: AndroidApp, version_code: int, view: PlayView) -> str:
    """Halt the production release (a completed one too: Play serves the previous one again);
    returns where it was halted. Play refusing it (changes in review) is ChangesInReviewError."""
    staged = view.production_status != "completed"
    await set_production_release(
        app, version_code, "halted", view.fraction if staged else None, "", ""
    )
    return f"{view.fraction:.0%}" if staged else "100% (completed)"


async def _halt(
    app: AndroidApp, version_code: int, view: PlayView, why: str, result: StepResult
) -> StepResult:
    """Halt the rollout and alert."""
    staged = view.production_status != "completed"
    where = f"{view.fraction:.0%}" if staged else "100% (completed)"
    try:
        await halt_on_play(app, version_code, view)
    except ChangesInReviewError:
        await alert(
            app.name,
            version_code,
            f"health gate FAILED at {where} ({why}) but Play refused the halt: "
            f"{IN_REVIEW} — halt it in the Play Console now",
        )
        retry = clock.now() + min(app.review_check_interval, app.vitals.check_interval)
        return replace(
            result,
            next_check=retry,
            message=f"health gate failed at {where}: {why}; "
            f"the halt was refused ({IN_REVIEW}); trying again at {retry:%H:%M:%S}",
        )
    await alert(app.name, version_code, f"rollout HALTED at {where}: {why}", kind="halted")
    return replace(
        result,
        acted=f"halted at {where}",
        final="failed",
        message=f"health gate failed at {where}: {why}; rollout halted",
    )


async def _resume(
    app: AndroidApp,
    policy: Policy,
    view: PlayView,
    timeline: Timeline,
    resume: Resume,
    result: StepResult,
    *,
    name: str,
    notes: str,
    emergency: Emergency | None = None,
) -> StepResult:
    """A halted rollout resumes only by an operator's run with a reason — at the same fraction."""
    version_code = result.version_code
    operator, reason = resume.operator, resume.reason
    freeze = await freeze_gate("resume", f"{app.name}-{version_code}", policy)
    if freeze.frozen and emergency is None:
        subject = f"{app.name}-{version_code}"
        await say_deferred(subject, freeze, f"android {subject}", "the resume waits for it")
        return replace(
            result, next_check=freeze.retry_at, message=f"change freeze: {describe(freeze)}"
        )
    if freeze.frozen:
        result = replace(result, bypassed=f"freeze before resume: {describe(freeze)}")
    now = clock.now()
    try:
        if view.fraction >= 1.0:  # a completed release that was halted: complete it again
            await set_production_release(app, version_code, "completed", None, name, notes)
        else:
            await set_production_release(
                app, version_code, "inProgress", view.fraction, name, notes
            )
    except ChangesInReviewError:
        return replace(_in_review(result, None), final="failed")
    stages = {**timeline.stage_since, stage_key(view.fraction): now}
    await save_timeline(
        app.name, version_code, replace(timeline, stage_since=stages, vitals_checked_at=now)
    )
    await alert(
        app.name,
        version_code,
        f"resumed at {view.fraction:.0%} by {operator}: {reason}",
        level="warning",
    )
    return replace(
        result,
        acted=f"resumed at {view.fraction:.0%} by {operator}",
        next_check=min(now + app.stage_soak, now + app.vitals.check_interval),
        message=f"resumed by {operator}: {reason}",
    )


async def health_gate(
    app: AndroidApp,
    version_code: int,
    previous: int | None,
    since: datetime,
    now: datetime,
) -> tuple[Verdict, str]:
    since = min(since, now - app.vitals.min_window)  # hourly data: at least one whole hour
    current = await read_vitals(app, version_code, since, now)
    before = await read_vitals(app, previous, since, now) if previous else None
    verdict, why = vitals_verdict(current, before, app)
    rules = app.vitals
    await publish(
        artifact_key("android", app.name, str(version_code), "health"),
        gate_markdown(
            f"Health gate — {app.name} {version_code}",
            verdict,
            {
                "window": f"{since.isoformat()} → {now.isoformat()}",
                "user-perceived crash rate": current.user_perceived_crash_rate,
                "user-perceived ANR rate": current.user_perceived_anr_rate,
                "distinct users": current.distinct_users,
                "previous release": f"{previous}: crash {before.user_perceived_crash_rate}, ANR {before.user_perceived_anr_rate}"
                if before
                else "none",
            },
            why,
            thresholds={
                "max crash rate": rules.max_user_perceived_crash_rate,
                "max ANR rate": rules.max_user_perceived_anr_rate,
                "max regression factor": rules.max_regression_factor,
                "min distinct users": rules.min_distinct_users,
            },
        ),
        f"health {verdict}: {why}",
    )
    return verdict, why


async def alert(
    app_name: str, version_code: int, text: str, level: str = "error", kind: str = "alert"
) -> None:
    """Alerts go to the run log at error level, to an artifact the UI lists, and out as one
    notification."""
    log = get_run_logger()
    (log.error if level == "error" else log.warning)(
        "ALERT %s %s: %s", app_name, version_code, text
    )
    await publish(
        artifact_key("android", app_name, "alert"),
        f"# Alert — {app_name} {version_code}\n\n{text}",
        text,
    )
    notify(kind, f"android {app_name} {version_code}", text)


async def progress(app_name: str, version_code: int, fraction: float) -> None:
    await acreate_progress_artifact(
        progress=round(fraction * 100, 1),
        key=artifact_key("android", app_name, "rollout"),
        description=f"{app_name} {version_code} at {fraction:.0%}",
    )
