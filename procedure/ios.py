"""The iOS procedure as a pure decision: given what App Store Connect says now and when each step
happened, what is due — and when.

  CI uploads the .ipa to TestFlight → internal testing (minimum 24 h for significant changes) →
  submit to App Store review (typically 24–48 h) → phased release 1 %, 5 %, 10 %, 50 %, 100 %.
  iOS cannot roll back: a failing release is paused and a fix is a new version.

The store is the truth: `StoreView` is read on every run; `IosTimeline` remembers only *when*
things happened (App Store Connect does not say when a build joined a group or a day began), and
a missing entry is read as "just now", so a lost record can delay a step but never hurry one.
The percentage is Apple's (`procedure.phased_release`): the policy's stages are checkpoints, and
a checkpoint day is passed only with a passing health verdict on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from procedure.durations import format_duration
from procedure.health import Verdict, regression_limit
from procedure.phased_release import PauseBudget, checkpoints, percentage
from procedure.policy import IosApp

__all__ = [
    "DECIDED_BY_VERSION",
    "Decision",
    "IosTimeline",
    "PauseCause",
    "PhasedAction",
    "PhasedView",
    "SessionsSample",
    "Step",
    "StoreView",
    "decide",
    "freeze_matters",
    "phased_action",
    "quiet_until",
    "reconcile",
    "sessions_verdict",
]

IN_REVIEW = frozenset({"WAITING_FOR_REVIEW", "IN_REVIEW", "WAITING_FOR_EXPORT_COMPLIANCE"})
PREPARING = frozenset({"PREPARE_FOR_SUBMISSION", "READY_FOR_REVIEW", "DEVELOPER_REJECTED"})
REJECTED = frozenset({"REJECTED", "METADATA_REJECTED", "INVALID_BINARY"})
APPLE_RELEASING = frozenset({"PENDING_APPLE_RELEASE", "PROCESSING_FOR_DISTRIBUTION", "ACCEPTED"})
LIVE = "READY_FOR_DISTRIBUTION"
# Version states `decide` judges without the build's own view (processing, compliance, groups):
# the version is past its submission, so a reader may skip those reads.
DECIDED_BY_VERSION = (
    IN_REVIEW
    | REJECTED
    | APPLE_RELEASING
    | {LIVE, "PENDING_DEVELOPER_RELEASE", "REPLACED_WITH_NEW_VERSION"}
)

PauseCause = Literal["health", "freeze", "no data", "operator"]


@dataclass(frozen=True)
class PhasedView:
    state: str  # INACTIVE | ACTIVE | PAUSED | COMPLETE
    day: int = 0  # currentDayNumber, 0–7
    paused_for: timedelta = timedelta(0)  # totalPauseDuration so far


@dataclass(frozen=True)
class StoreView:
    """What App Store Connect says about one build and its version now."""

    build_state: str | None = None  # processingState; None: not found (yet)
    encryption_answered: bool = False  # usesNonExemptEncryption is set
    in_beta_groups: bool = False  # the build is in every policy group
    version_state: str | None = None  # appVersionState of the version; None: none yet
    phased: PhasedView | None = None


@dataclass(frozen=True)
class IosTimeline:
    beta_since: datetime | None = None
    signed_off_by: str | None = None
    submitted_at: datetime | None = None
    day_since: dict[int, datetime] = field(default_factory=dict)  # Apple's day → seen from
    passed_days: frozenset[int] = frozenset()  # checkpoint days with a passing health verdict
    paused_by: PauseCause | None = None  # ours; None on a pause we did not make
    paused_at: datetime | None = None
    health_checked_at: datetime | None = None
    significant: bool = False
    version: str = ""  # which release this is (the store keys it so; old records lack it)
    build: str = ""
    alerted: frozenset[str] = (
        frozenset()
    )  # alerts already sent: one per state change, not per check


class Step(StrEnum):
    BUILD_WAIT = "build wait"  # not found yet, or PROCESSING
    BUILD_FAILED = "build failed"
    COMPLIANCE = "export compliance"  # answer usesNonExemptEncryption (policy) or wait for a person
    BETA = "beta"  # add the build to the internal groups
    SOAK = "soak"
    SIGN_OFF = "sign-off"
    SUBMIT = "submit"  # version, build, phased release, review submission (freeze-gated)
    REVIEW = "review"
    REJECTED = "rejected"
    RELEASE = "release"  # pending developer release → release request (freeze-gated)
    PHASE = "phase"  # phased release running; health watched every check interval
    PAUSED = "paused"  # phased release paused
    WATCH = "watch"  # 100 %: health still watched for the policy's window
    DONE = "done"
    SUPERSEDED = "superseded"  # a newer version replaced this one


@dataclass(frozen=True)
class Decision:
    step: Step
    reason: str
    due: datetime | None = None
    overdue: bool = False  # REVIEW: longer than the policy's review_alert_after
    checkpoint_closing: bool = False  # PHASE: a checkpoint day near its end, still unjudged


def decide(
    view: StoreView, timeline: IosTimeline, app: IosApp, *, significant: bool, now: datetime
) -> Decision:
    state = view.version_state
    if state == "REPLACED_WITH_NEW_VERSION":
        return Decision(Step.SUPERSEDED, "replaced by a newer version on the App Store")
    if state == LIVE:
        return _live(view.phased, timeline, app, now)
    if state in REJECTED:
        return Decision(Step.REJECTED, f"App Store review: {state}")
    if state == "PENDING_DEVELOPER_RELEASE":
        return Decision(Step.RELEASE, "approved by Apple; waiting for the release")
    if state in APPLE_RELEASING:
        return Decision(Step.REVIEW, f"{state}: Apple is releasing it", due=_later(now, app))
    if state in IN_REVIEW:
        waited = now - (timeline.submitted_at or now)
        overdue = waited >= app.review_alert_after
        note = f"{state} for {format_duration(waited, coarse=True)}"
        if overdue:
            note += f" — longer than the {format_duration(app.review_alert_after)} expected"
        return Decision(Step.REVIEW, note, due=_later(now, app), overdue=overdue)
    return _before_review(view, timeline, app, significant=significant, now=now)


def _later(now: datetime, app: IosApp) -> datetime:
    return now + app.review_check_interval


def _before_review(
    view: StoreView, timeline: IosTimeline, app: IosApp, *, significant: bool, now: datetime
) -> Decision:
    build_due = now + app.build_check_interval
    if view.build_state is None:
        return Decision(Step.BUILD_WAIT, "the build is not in App Store Connect yet", build_due)
    if view.build_state in ("INVALID", "FAILED"):
        return Decision(Step.BUILD_FAILED, f"Apple's processing of the build: {view.build_state}")
    if view.build_state != "VALID":
        return Decision(Step.BUILD_WAIT, f"build {view.build_state}", build_due)
    if not view.encryption_answered:
        who = (
            "the policy answers it"
            if app.uses_non_exempt_encryption is not None
            else ("a person answers it in App Store Connect")
        )
        return Decision(Step.COMPLIANCE, f"export compliance missing: {who}", build_due)
    if not view.in_beta_groups:
        return Decision(Step.BETA, f"add the build to {', '.join(app.beta_groups)}")
    started = timeline.beta_since or now
    soak = app.internal_soak(significant or timeline.significant)
    if now < started + soak:
        kind = "significant" if significant or timeline.significant else "standard"
        return Decision(
            Step.SOAK,
            f"TestFlight internal testing ({kind}: {soak}) until {started + soak:%Y-%m-%d %H:%M:%S %Z}",
            due=started + soak,
        )
    if app.internal_sign_off and not timeline.signed_off_by:
        return Decision(Step.SIGN_OFF, "internal testing sign-off needed")
    return Decision(Step.SUBMIT, "submit the version for App Store review")


def _live(phased: PhasedView | None, timeline: IosTimeline, app: IosApp, now: datetime) -> Decision:
    complete = phased is None or phased.state == "COMPLETE" or phased.day >= 7
    if complete:
        since = timeline.day_since.get(7) or now
        until = since + app.health.watch_after_complete
        if now < until:
            return Decision(
                Step.WATCH, f"live to 100 %; health watched until {until:%H:%M:%S}", due=until
            )
        return Decision(Step.DONE, "live to 100 % of automatic updates")
    assert phased is not None
    offered = f"day {phased.day} ({percentage(phased.day):.0%} of automatic updates)"
    if phased.state == "PAUSED":
        why = f" ({timeline.paused_by})" if timeline.paused_by else " (not by us)"
        return Decision(Step.PAUSED, f"phased release paused at {offered}{why}")
    if phased.state != "ACTIVE":
        return Decision(Step.RELEASE, f"phased release {phased.state}: start it")
    next_check = max(now, (timeline.health_checked_at or now) + app.health.check_interval)
    day_ends = (timeline.day_since.get(phased.day) or now) + app.phased_day
    if phased.day in checkpoints(app.stages) and phased.day not in timeline.passed_days:
        closing_at = day_ends - app.checkpoint_margin
        if now >= closing_at:
            return Decision(
                Step.PHASE,
                f"{offered}: a checkpoint with no passing health verdict yet, and the day "
                f"ends at {day_ends:%H:%M:%S}",
                due=now,
                checkpoint_closing=True,
            )
        next_check = min(next_check, closing_at)
    return Decision(Step.PHASE, f"phased release at {offered}", due=next_check)


def quiet_until(timeline: IosTimeline, app: IosApp) -> datetime | None:
    """From the stored timeline alone: the earliest instant a phased release of ours, running
    and not paused by us, could need anything — its next health check, a checkpoint day closing
    unjudged, the end of Apple's day (the next day may be a checkpoint), the end of the watch at
    100 %. Before then a look at App Store Connect would find nothing due. None when the timeline
    cannot say (not in its phased release yet, paused by us, never health-checked): read the
    store then. A freeze needs the store read too (a running phase is paused for it): the caller
    knows whether one holds."""
    if not timeline.day_since or timeline.health_checked_at is None or timeline.paused_by:
        return None
    day = max(timeline.day_since)
    since = timeline.day_since[day]
    check = timeline.health_checked_at + app.health.check_interval
    if day >= 7:
        return min(check, since + app.health.watch_after_complete)
    bounds = [check, since + app.phased_day]
    if day in checkpoints(app.stages) and day not in timeline.passed_days:
        bounds.append(since + app.phased_day - app.checkpoint_margin)
    return min(bounds)


class PhasedAction(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CONTINUE = "continue"  # nothing to change
    CANNOT_PAUSE = "cannot pause"  # a pause is needed but Apple's budget has no room: alert


def freeze_matters(
    decision: Decision, health: Verdict | None, paused_by: PauseCause | None
) -> bool:
    """Whether `phased_action` needs the freeze verdict: a phased release running and not failing
    (a freeze pauses it; a failing one is paused for health whatever the freeze), and a pause of
    ours that `phased_action` would lift when its cause is gone — for a freeze, or for no data:
    a checkpoint judged meanwhile is no reason to resume inside a freeze."""
    if decision.step is Step.PHASE:
        return health is not Verdict.FAIL
    return decision.step is Step.PAUSED and paused_by in ("freeze", "no data")


def phased_action(
    decision: Decision,
    health: Verdict | None,
    paused_by: PauseCause | None,
    budget: PauseBudget,
    *,
    frozen: bool,
    emergency: bool,
    freeze_left: timedelta | None = None,
) -> tuple[PhasedAction, PauseCause | None, str]:
    """What to do to a running or paused phased release, and why. A failing verdict pauses at
    once, freeze or not (a safety action). A freeze pauses too (unless the release is an
    emergency), if the freeze ends within the pause budget. A checkpoint day about to end without
    a passing verdict pauses, so Apple never moves past a stage unjudged. Our own pause for a
    freeze or for no data is resumed when its cause is gone; a health or operator pause, or one
    we did not make, only by an operator's run."""
    if decision.step is Step.PHASE:
        if health is Verdict.FAIL:
            return _pause("health", budget, None, "health failed")
        if frozen and not emergency:
            return _pause("freeze", budget, freeze_left, "change freeze")
        if decision.checkpoint_closing and health is not Verdict.PASS:
            return _pause("no data", budget, None, "no passing verdict at the checkpoint")
        return PhasedAction.CONTINUE, None, decision.reason
    if decision.step is Step.PAUSED:
        if paused_by not in ("freeze", "no data"):
            return (
                PhasedAction.CONTINUE,
                paused_by,
                f"{decision.reason}: resumes only by an operator",
            )
        if frozen and not emergency:
            return PhasedAction.CONTINUE, paused_by, "still frozen"
        if health is Verdict.FAIL:
            return PhasedAction.CONTINUE, "health", "health failed while paused"
        if paused_by == "no data" and health is not Verdict.PASS:
            return PhasedAction.CONTINUE, paused_by, "still no passing verdict"
        return PhasedAction.RESUME, None, f"the {paused_by} pause is over"
    return PhasedAction.CONTINUE, paused_by, decision.reason


def _pause(
    cause: PauseCause, budget: PauseBudget, length: timedelta | None, why: str
) -> tuple[PhasedAction, PauseCause | None, str]:
    needed = length if length is not None else timedelta(0)
    if budget.left <= timedelta(0) or not budget.allows(needed):
        return (
            PhasedAction.CANNOT_PAUSE,
            None,
            f"{why}, but pausing would exceed Apple's 30 days of pause "
            f"({budget.left / budget.day:.1f} days left): a person must decide",
        )
    return PhasedAction.PAUSE, cause, why


def reconcile(
    timeline: IosTimeline, view: StoreView, now: datetime, *, significant: bool = False
) -> IosTimeline:
    """Fill in what App Store Connect shows has happened but the timeline has not recorded."""
    days = dict(timeline.day_since)
    if view.phased is not None and view.phased.state in ("ACTIVE", "PAUSED", "COMPLETE"):
        days.setdefault(min(max(view.phased.day, 1), 7), now)
    if view.version_state == LIVE and (view.phased is None or view.phased.state == "COMPLETE"):
        days.setdefault(7, now)
    return replace(
        timeline,
        beta_since=timeline.beta_since or (now if view.in_beta_groups else None),
        submitted_at=timeline.submitted_at
        or (now if view.version_state in IN_REVIEW | APPLE_RELEASING else None),
        day_since=days,
        significant=timeline.significant or significant,
    )


@dataclass(frozen=True)
class SessionsSample:
    crash_free_sessions: float | None
    crash_free_users: float | None
    sessions: int | None


def sessions_verdict(
    current: SessionsSample, previous: SessionsSample | None, app: IosApp
) -> tuple[Verdict, str]:
    """(verdict, why) for the release's crash-free sessions and users; no data is never a pass."""
    rules = app.health
    sessions = current.sessions or 0
    if sessions < rules.min_sessions or current.crash_free_sessions is None:
        return Verdict.NO_DATA, f"{sessions} sessions, fewer than the {rules.min_sessions} needed"
    if current.crash_free_users is None:
        return Verdict.NO_DATA, "no crash-free users figure for the release yet"
    if previous is not None and (previous.sessions or 0) < rules.min_sessions:
        previous = None
    checks = (
        (
            "sessions",
            current.crash_free_sessions,
            previous.crash_free_sessions if previous else None,
            rules.min_crash_free_sessions,
        ),
        (
            "users",
            current.crash_free_users,
            previous.crash_free_users if previous else None,
            rules.min_crash_free_users,
        ),
    )
    problems, shown = [], []
    for name, free, before, floor in checks:
        if free is None:
            continue
        # judged as crash rates (1 − crash-free), by the same rule as every other rate
        limit = regression_limit(
            1 - floor,
            None if before is None else 1 - before,
            factor=rules.max_regression_factor,
            min_delta=rules.regression_min_delta,
        )
        shown.append(f"crash-free {name} {free:.2%} (floor {1 - limit:.2%})")
        if 1 - free > limit:
            problems.append(
                f"crash-free {name} {free:.2%} below {1 - limit:.2%}"
                + (f" (previous release {before:.2%})" if before is not None else "")
            )
    if problems:
        return Verdict.FAIL, "; ".join(problems)
    return Verdict.PASS, f"{', '.join(shown)} over {sessions} sessions"
