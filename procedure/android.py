"""The Android procedure as a pure decision: given what Google Play says now and when each step
happened, what is due — and when.

  Internal testing track (minimum 24 h for significant changes) → promote to the production track
  → Google Play review → staged rollout 5 %, 20 %, 50 %, 100 % → halt when unhealthy.

The store is the truth (DESIGN decision 1): `PlayView` is read from Play on every run; `Timeline`
only remembers *when* things happened (Play does not say when a fraction changed), and a missing
entry is read as "just now", so a lost record can delay a step but never hurry one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from procedure.durations import format_duration
from procedure.health import Verdict, regression_limit
from procedure.policy import AndroidApp

PUBLISHED = "RELEASE_LIFECYCLE_STATE_PUBLISHED"
# Managed publishing: Google approved it, but it reaches users only when a person presses Publish.
APPROVED_NOT_PUBLISHED = "RELEASE_LIFECYCLE_STATE_APPROVED_NOT_PUBLISHED"
APPROVED = frozenset({PUBLISHED, APPROVED_NOT_PUBLISHED})
REJECTED = "RELEASE_LIFECYCLE_STATE_NOT_APPROVED"


@dataclass(frozen=True)
class PlayView:
    """What Google Play says about one version code now."""

    on_internal: bool
    production_status: str | None = None  # draft | inProgress | halted | completed | None
    production_fraction: float | None = None
    lifecycle: str | None = None  # releaseLifecycleState of its production release

    @property
    def fraction(self) -> float:
        if self.production_status == "completed":
            return 1.0
        if self.production_status == "halted" and self.production_fraction is None:
            return 1.0  # a fully rolled-out release that was halted
        return self.production_fraction or 0.0


@dataclass(frozen=True)
class ProductionRelease:
    version_codes: tuple[int, ...]
    status: str
    fraction: float | None
    name: str | None
    lifecycle: str | None


@dataclass(frozen=True)
class PlayState:
    """One app's tracks as Play reports them now."""

    internal_codes: frozenset[int]
    production: tuple[ProductionRelease, ...]

    def view(self, version_code: int) -> PlayView:
        mine = next((r for r in self.production if version_code in r.version_codes), None)
        return PlayView(
            on_internal=version_code in self.internal_codes or mine is not None,
            production_status=mine.status if mine else None,
            production_fraction=mine.fraction if mine else None,
            lifecycle=mine.lifecycle if mine else None,
        )

    def previous_release(self, version_code: int) -> int | None:
        """The completed release still serving everyone else during a staged rollout."""
        for release in self.production:
            if release.status == "completed" and version_code not in release.version_codes:
                return max(release.version_codes)
        return None

    def awaiting_promotion(self) -> list[int]:
        """Version codes on the internal track, newer than anything on production, not promoted."""
        on_production = [c for r in self.production for c in r.version_codes]
        newest = max(on_production, default=0)
        return sorted(c for c in self.internal_codes if c > newest)

    def completed_codes(self) -> list[int]:
        return [max(r.version_codes) for r in self.production if r.status == "completed"]

    def in_flight(self) -> list[ProductionRelease]:
        """Staged (in progress or halted) production releases, in review or live."""
        return [r for r in self.production if r.status in ("inProgress", "halted")]


@dataclass(frozen=True)
class Timeline:
    internal_since: datetime | None = None
    signed_off_by: str | None = None
    promoted_at: datetime | None = None
    stage_since: dict[str, datetime] = field(default_factory=dict)  # "0.2" → when it went live
    vitals_checked_at: datetime | None = None  # the last health check while live
    significant: bool = False  # once a run said significant, the rollout stays significant
    review_alerted: bool = False  # a slow review is said once, not at every check
    sign_off_asked: bool = False  # the sign-off request is said once (a resumed run asks again)

    def since(self, fraction: float) -> datetime | None:
        return self.stage_since.get(stage_key(fraction))


def stage_key(fraction: float) -> str:
    return f"{fraction:g}"


class Step(StrEnum):
    UPLOAD = "upload"  # put the bundle on the internal track
    MISSING = "missing"  # not on the internal track and nothing to upload
    SOAK = "soak"  # internal testing soak not over
    SIGN_OFF = "sign-off"  # soak over, policy wants a person's sign-off
    PROMOTE = "promote"  # → production at the first stage
    REVIEW = "review"  # waiting for Play's review
    PUBLISH = "publish"  # approved, not published (managed publishing): a person must publish
    REJECTED = "rejected"
    STAGE = "stage"  # live at a stage, its soak not over
    ADVANCE = "advance"  # → the next stage (gates first: freeze, health)
    HALTED = "halted"
    WATCH = "watch"  # live to 100 %, vitals still watched for the policy's window
    DONE = "done"


@dataclass(frozen=True)
class Decision:
    step: Step
    reason: str
    due: datetime | None = None  # when to look again (SOAK, REVIEW, STAGE)
    target: float | None = None  # ADVANCE / PROMOTE: the fraction to set
    overdue: bool = False  # REVIEW: longer than the policy's review_alert_after (alert a person)


@dataclass(frozen=True)
class Resume:
    """An operator's run resuming a halted rollout (at the same fraction): who, and why."""

    reason: str
    operator: str


def resume_from(reason: str | None, operator: str | None) -> Resume | None:
    """The one rule for resuming: none asked without a reason; a reason needs the operator who
    resumes (ValueError naming the field otherwise)."""
    if not reason:
        return None
    if not operator:
        raise ValueError("resume_reason needs operator: who resumes the rollout")
    return Resume(reason, operator)


class Gate(StrEnum):
    """What a due step may do to production once health and the freeze are known."""

    HALT = "halt"  # health failed: stop the rollout (a safety action: never frozen)
    FROZEN = "frozen"  # a production change inside a freeze, not an emergency: wait it out
    NO_DATA = "no data"  # an advance without enough users to judge: look again later
    CHANGE = "change"  # promote / advance now
    NOT_A_CHANGE = "not a change"  # the step changes nothing in production


PRODUCTION_CHANGES = frozenset({Step.PROMOTE, Step.ADVANCE})


def production_gate(step: Step, health: Verdict | None, *, frozen: bool, emergency: bool) -> Gate:
    """The order of the gates before a production change (DESIGN 10, 12): a failing health
    verdict halts whatever the step and whatever the freeze; a promotion or an advance inside a
    freeze waits unless it is an emergency; an advance needs a passing health verdict on this
    stage's users (a promotion is judged later, on its own first stage)."""
    if health is Verdict.FAIL:
        return Gate.HALT
    if step not in PRODUCTION_CHANGES:
        return Gate.NOT_A_CHANGE
    if frozen and not emergency:
        return Gate.FROZEN
    if step is Step.ADVANCE and health is not Verdict.PASS:
        return Gate.NO_DATA
    return Gate.CHANGE


def next_stage(app: AndroidApp, fraction: float) -> float | None:
    """The first stage above `fraction`: never lower, never skip."""
    return next((s for s in app.stages if s > fraction + 1e-9), None)


def decide(
    view: PlayView,
    timeline: Timeline,
    app: AndroidApp,
    *,
    significant: bool,
    now: datetime,
    has_bundle: bool,
) -> Decision:
    status = view.production_status
    if status == "completed":
        since = timeline.since(1.0) or now
        until = since + app.vitals.watch_after_complete
        if now < until:
            return Decision(
                Step.WATCH,
                f"live to 100 % of users; vitals watched until {until:%H:%M:%S}",
                due=until,
            )
        return Decision(Step.DONE, "live to 100 % of users")
    if status == "halted":
        return Decision(
            Step.HALTED, f"halted at {view.fraction:.0%}; resumes only by an operator's run"
        )
    if status in ("inProgress", "draft"):
        return _after_promotion(view, timeline, app, now)
    # not on production yet
    if not view.on_internal:
        if has_bundle:
            return Decision(Step.UPLOAD, "upload the bundle to the internal testing track")
        return Decision(Step.MISSING, "the version code is not on the internal testing track")
    started = timeline.internal_since or now
    soak = app.internal_soak(significant)
    if now < started + soak:
        kind = "significant" if significant else "standard"
        return Decision(
            Step.SOAK,
            f"internal testing ({kind}: {soak}) until {started + soak:%Y-%m-%d %H:%M:%S %Z}",
            due=started + soak,
        )
    if app.internal_sign_off and not timeline.signed_off_by:
        return Decision(Step.SIGN_OFF, "internal testing sign-off needed")
    return Decision(Step.PROMOTE, "promote to production", target=app.stages[0])


def _after_promotion(
    view: PlayView, timeline: Timeline, app: AndroidApp, now: datetime
) -> Decision:
    if view.lifecycle == REJECTED:
        return Decision(Step.REJECTED, "Google Play did not approve the release (NOT_APPROVED)")
    if view.lifecycle == APPROVED_NOT_PUBLISHED:
        return Decision(
            Step.PUBLISH,
            "approved by Google Play but not published (managed publishing): "
            "a person must publish it in the Play Console; the stage clock starts then",
            due=now + app.review_check_interval,
        )
    if view.lifecycle not in APPROVED:
        promoted = timeline.promoted_at or now
        waited = now - promoted
        overdue = waited >= app.review_alert_after
        note = f"in review for {format_duration(waited, coarse=True)}"
        if overdue:
            note += (
                f" — longer than the {format_duration(app.review_alert_after)} the policy expects"
            )
        return Decision(Step.REVIEW, note, due=now + app.review_check_interval, overdue=overdue)
    fraction = view.fraction
    since = timeline.since(fraction) or now
    due = since + app.stage_soak
    if now < due:
        return Decision(
            Step.STAGE,
            f"at {fraction:.0%} since {since:%H:%M:%S}; next step after {format_duration(app.stage_soak)}",
            due=due,
        )
    target = next_stage(app, fraction)
    if target is None:  # at the last stage but not "completed": finish it
        target = 1.0
    return Decision(Step.ADVANCE, f"{fraction:.0%} → {target:.0%}", target=target)


def reconcile(
    timeline: Timeline, view: PlayView, now: datetime, *, significant: bool = False
) -> Timeline:
    """Fill in what Play shows has happened but the timeline has not recorded (as of now). A
    stage's clock starts when the release reaches users: published, not merely approved. Once a
    run said significant, the rollout stays significant: no later run shortens the soak."""
    stages = dict(timeline.stage_since)
    if view.production_status in ("inProgress", "completed") and view.lifecycle == PUBLISHED:
        stages.setdefault(stage_key(view.fraction), now)
    return replace(
        timeline,
        internal_since=timeline.internal_since or (now if view.on_internal else None),
        promoted_at=timeline.promoted_at or (now if view.production_status else None),
        stage_since=stages,
        significant=timeline.significant or significant,
    )


def vitals_due(
    view: PlayView, timeline: Timeline, app: AndroidApp, now: datetime
) -> datetime | None:
    """When the next health check of a live version is due (now or later); None when it is not
    watched: not live yet, halted, or past the watch window after 100 %."""
    live = (view.production_status == "inProgress" and view.lifecycle == PUBLISHED) or (
        view.production_status == "completed"
        and now < (timeline.since(1.0) or now) + app.vitals.watch_after_complete
    )
    if not live:
        return None
    last = timeline.vitals_checked_at
    return now if last is None else max(now, last + app.vitals.check_interval)


@dataclass(frozen=True)
class VitalsSample:
    user_perceived_crash_rate: float | None
    user_perceived_anr_rate: float | None
    distinct_users: int | None


def vitals_verdict(
    current: VitalsSample, previous: VitalsSample | None, app: AndroidApp
) -> tuple[Verdict, str]:
    """(verdict, why) for the crash and ANR rates of the version; no data is never a pass."""
    rules = app.vitals
    users = current.distinct_users or 0
    if users < rules.min_distinct_users or current.user_perceived_crash_rate is None:
        return Verdict.NO_DATA, f"{users} users, fewer than the {rules.min_distinct_users} needed"
    if current.user_perceived_anr_rate is None:  # never a pass on crash data alone
        return Verdict.NO_DATA, "no ANR data for the version yet"
    # As for the Workers baseline: the previous release is compared against only with enough users.
    if previous is not None and (previous.distinct_users or 0) < rules.min_distinct_users:
        previous = None
    problems = []
    checks = (
        (
            "crash",
            current.user_perceived_crash_rate,
            previous.user_perceived_crash_rate if previous else None,
            rules.max_user_perceived_crash_rate,
        ),
        (
            "ANR",
            current.user_perceived_anr_rate,
            previous.user_perceived_anr_rate if previous else None,
            rules.max_user_perceived_anr_rate,
        ),
    )
    shown = []
    for name, rate, before, ceiling in checks:
        if rate is None:
            continue
        limit = regression_limit(
            ceiling,
            before,
            factor=rules.max_regression_factor,
            min_delta=rules.regression_min_delta,
        )
        shown.append(f"{name} {rate:.2%} (limit {limit:.2%})")
        if rate > limit:
            problems.append(
                f"user-perceived {name} rate {rate:.2%} exceeds {limit:.2%}"
                + (f" (previous release {before:.2%})" if before is not None else "")
            )
    if problems:
        return Verdict.FAIL, "; ".join(problems)
    return Verdict.PASS, f"{', '.join(shown)} over {users} users"


def quiet_until(timeline: Timeline, app: AndroidApp) -> datetime | None:
    """From the stored timeline alone: the earliest instant a rollout live at a stage below 100 %
    could need anything (its stage's soak ends, or its next health check) — before then a look at
    the store would find nothing due. None when the timeline cannot say (not live at a stage yet,
    at 100 %, or never health-checked): read the store then. Never later than `decide` and
    `vitals_due` would say for the same timeline, so skipping a read until then skips no step."""
    if not timeline.stage_since or timeline.vitals_checked_at is None:
        return None
    current = max(timeline.stage_since, key=float)
    if float(current) >= 1.0 - 1e-9:
        return None  # the post-100 % watch and its end are the store's to tell
    stage_due = timeline.stage_since[current] + app.stage_soak
    return min(stage_due, timeline.vitals_checked_at + app.vitals.check_interval)
