"""App Store Connect state: API keys and their hourly usage; apps with beta groups, builds,
versions, phased releases and review submissions. Time moves lazily: `AppStoreStore.advance(now)`
(called before every read or write) finishes build processing, moves reviews along and counts
phased-release days, each at the instant it was due (not at the instant somebody looked)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "PHASE_PERCENTAGES",
    "ApiKey",
    "App",
    "AppStoreStore",
    "BetaGroup",
    "Localization",
    "Build",
    "PhasedRelease",
    "Rejection",
    "ReviewSubmission",
    "SubmissionItem",
    "Version",
]

DEFAULT_PROCESSING_S = 60.0
DEFAULT_REVIEW_S = 120.0
DEFAULT_DAY_S = 86400.0
DEFAULT_RATE_LIMIT = 3600
DEFAULT_REJECTION = "Guideline 2.1 - Performance - App Completeness (sandbox reviewer)."
# Apple's fixed schedule: share of automatic updates on days 1..7 (the API exposes only the day).
PHASE_PERCENTAGES = (1, 2, 5, 10, 20, 50, 100)
PHASE_DAYS = len(PHASE_PERCENTAGES)
PAUSE_BUDGET_DAYS = 30
BUILD_STATES = ("PROCESSING", "FAILED", "INVALID", "VALID")
# appVersionState -> the deprecated appStoreState clients still read.
STORE_STATES = {"READY_FOR_DISTRIBUTION": "READY_FOR_SALE"}
# A version in one of these states blocks creating another one (Apple: one version in flight).
IN_FLIGHT = frozenset(
    {
        "PREPARE_FOR_SUBMISSION",
        "WAITING_FOR_REVIEW",
        "IN_REVIEW",
        "PENDING_DEVELOPER_RELEASE",
        "REJECTED",
    }
)
EDITABLE = frozenset({"PREPARE_FOR_SUBMISSION", "REJECTED"})


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class ApiKey:
    key_id: str
    issuer_id: str
    public_pem: str


@dataclass
class BetaGroup:
    id: str
    app_id: str
    name: str
    internal: bool
    created_at: datetime
    build_ids: list[str] = field(default_factory=list)


@dataclass
class Build:
    id: str
    app_id: str
    version: str  # the build number (CFBundleVersion)
    short_version: str  # CFBundleShortVersionString, the preReleaseVersion
    uploaded_at: datetime
    due_at: datetime  # processing ends
    state: str = "PROCESSING"
    uses_non_exempt_encryption: bool | None = None
    failure: str | None = None  # INVALID | FAILED: what processing ends in

    @property
    def pre_release_id(self) -> str:
        return f"{self.app_id}-{self.short_version}"


@dataclass
class PhasedRelease:
    """Days count only while ACTIVE; pauses draw on a 30-day budget (in app days)."""

    id: str
    version_id: str
    state: str = "INACTIVE"
    start_date: datetime | None = None
    active_before_s: float = 0.0  # active time before `resumed_at`
    resumed_at: datetime | None = None
    paused_before_s: float = 0.0  # paused time before `paused_at`
    paused_at: datetime | None = None
    frozen: bool = False  # the app was removed from sale: nothing moves any more

    def active_s(self, now: datetime) -> float:
        if self.state != "ACTIVE" or self.resumed_at is None:
            return self.active_before_s
        return self.active_before_s + max(0.0, (now - self.resumed_at).total_seconds())

    def paused_s(self, now: datetime) -> float:
        if self.state == "PAUSED" and self.paused_at is not None and not self.frozen:
            return self.paused_before_s + max(0.0, (now - self.paused_at).total_seconds())
        return self.paused_before_s

    def day(self, now: datetime, day_s: float) -> int:
        if self.start_date is None:
            return 0
        if self.state == "COMPLETE":
            return PHASE_DAYS
        return min(PHASE_DAYS, 1 + int(self.active_s(now) // day_s))

    def start(self, at: datetime) -> None:
        self.state, self.start_date, self.resumed_at = "ACTIVE", at, at

    def pause(self, at: datetime) -> None:
        self.active_before_s = self.active_s(at)
        self.state, self.paused_at = "PAUSED", at

    def resume(self, at: datetime) -> None:
        self.paused_before_s = self.paused_s(at)
        self.state, self.resumed_at, self.paused_at = "ACTIVE", at, None

    def complete(self, at: datetime) -> None:
        if self.state == "ACTIVE":
            self.active_before_s = self.active_s(at)
        elif self.state == "PAUSED":
            self.paused_before_s = self.paused_s(at)
        self.state, self.paused_at = "COMPLETE", None

    def advance(self, now: datetime, day_s: float) -> None:
        if self.frozen:
            return
        budget = PAUSE_BUDGET_DAYS * day_s
        if self.state == "PAUSED" and self.paused_at and self.paused_s(now) >= budget:
            # Apple resumes a phased release paused for 30 days in total by itself.
            self.resume(self.paused_at + timedelta(seconds=budget - self.paused_before_s))
        if self.state == "ACTIVE" and self.resumed_at and self.active_s(now) >= PHASE_DAYS * day_s:
            rest = PHASE_DAYS * day_s - self.active_before_s
            self.complete(self.resumed_at + timedelta(seconds=rest))


@dataclass
class Version:
    id: str
    app_id: str
    version_string: str
    platform: str
    release_type: str
    created_at: datetime
    state: str = "PREPARE_FOR_SUBMISSION"
    build_id: str | None = None
    phased_id: str | None = None
    released_at: datetime | None = None
    removed_from_sale: bool = False

    @property
    def store_state(self) -> str:
        if self.removed_from_sale:
            return "DEVELOPER_REMOVED_FROM_SALE"
        return STORE_STATES.get(self.state, self.state)


@dataclass
class Localization:
    id: str
    version_id: str
    locale: str
    whats_new: str | None = None


@dataclass
class SubmissionItem:
    id: str
    submission_id: str
    version_id: str
    state: str = "READY_FOR_REVIEW"


@dataclass
class ReviewSubmission:
    id: str
    app_id: str
    platform: str
    created_at: datetime
    state: str = "READY_FOR_REVIEW"
    item_ids: list[str] = field(default_factory=list)
    submitted_at: datetime | None = None
    in_review_at: datetime | None = None
    due_at: datetime | None = None
    hold: bool = False  # the reviewer sits on it: the clock does not finish it


@dataclass
class Rejection:
    submission_id: str
    version_id: str
    reason: str
    at: datetime
    by: str  # "clock" | "admin"


@dataclass
class App:
    id: str
    bundle_id: str
    name: str
    sku: str
    processing_seconds: float = DEFAULT_PROCESSING_S
    review_seconds: float = DEFAULT_REVIEW_S
    day_seconds: float = DEFAULT_DAY_S
    review_outcome: str = "approve"  # what the clock decides
    rejection_reason: str | None = None
    on_sale: bool = True
    # territory code → available (App Store Connect 4.x: territoryAvailabilities)
    territories: dict[str, bool] = field(
        default_factory=lambda: dict.fromkeys(("AUS", "NZL", "USA", "GBR", "CAN"), True)
    )
    primary_locale: str = "en-US"
    rejections: list[Rejection] = field(default_factory=list)


@dataclass
class AppStoreStore:
    keys: dict[tuple[str, str], ApiKey] = field(default_factory=dict)  # (issuer, kid)
    usage: dict[tuple[str, str, int], int] = field(default_factory=dict)  # + hour number
    rate_limit: int = DEFAULT_RATE_LIMIT
    apps: dict[str, App] = field(default_factory=dict)
    groups: dict[str, BetaGroup] = field(default_factory=dict)
    builds: dict[str, Build] = field(default_factory=dict)
    versions: dict[str, Version] = field(default_factory=dict)
    phased: dict[str, PhasedRelease] = field(default_factory=dict)
    submissions: dict[str, ReviewSubmission] = field(default_factory=dict)
    items: dict[str, SubmissionItem] = field(default_factory=dict)
    localizations: dict[str, Localization] = field(default_factory=dict)

    # -- rate limit ----------------------------------------------------------------------------
    def spend(self, issuer: str, kid: str, now: datetime) -> int:
        """Count one request against the key's current clock hour; returns what remains."""
        hour = int(now.timestamp() // 3600)
        bucket = (issuer, kid, hour)
        used = self.usage.get(bucket, 0) + 1
        self.usage[bucket] = used
        return self.rate_limit - used

    # -- time ------------------------------------------------------------------------------
    def advance(self, now: datetime) -> None:
        for build in self.builds.values():
            if build.state == "PROCESSING" and now >= build.due_at:
                build.state = build.failure or "VALID"
        for submission in sorted(self.submissions.values(), key=lambda s: s.created_at):
            self._advance_review(submission, now)
        for phased in self.phased.values():
            version = self.versions[phased.version_id]
            phased.advance(now, self.apps[version.app_id].day_seconds)

    def _advance_review(self, submission: ReviewSubmission, now: datetime) -> None:
        waiting = submission.state == "WAITING_FOR_REVIEW"
        if waiting and submission.in_review_at and now >= submission.in_review_at:
            self.start_review(submission)
        due = submission.due_at
        if submission.state == "IN_REVIEW" and due and not submission.hold and now >= due:
            app = self.apps[submission.app_id]
            reason = app.rejection_reason or DEFAULT_REJECTION
            self.finish_review(submission, app.review_outcome, reason, due, by="clock")

    # -- review ----------------------------------------------------------------------------
    def submission_versions(self, submission: ReviewSubmission) -> list[Version]:
        return [self.versions[self.items[i].version_id] for i in submission.item_ids]

    def submit(self, submission: ReviewSubmission, now: datetime) -> None:
        app = self.apps[submission.app_id]
        half = timedelta(seconds=app.review_seconds / 2)
        submission.state, submission.submitted_at = "WAITING_FOR_REVIEW", now
        submission.in_review_at, submission.due_at = now + half, now + 2 * half
        submission.hold = False
        for item_id in submission.item_ids:
            self.items[item_id].state = "READY_FOR_REVIEW"
        for version in self.submission_versions(submission):
            version.state = "WAITING_FOR_REVIEW"

    def start_review(self, submission: ReviewSubmission) -> None:
        submission.state = "IN_REVIEW"
        for version in self.submission_versions(submission):
            version.state = "IN_REVIEW"

    def finish_review(
        self, submission: ReviewSubmission, outcome: str, reason: str, at: datetime, *, by: str
    ) -> None:
        approved = outcome == "approve"
        submission.state = "COMPLETE" if approved else "UNRESOLVED_ISSUES"
        submission.hold = False
        for item_id in submission.item_ids:
            self.items[item_id].state = "APPROVED" if approved else "REJECTED"
        for version in self.submission_versions(submission):
            if not approved:
                version.state = "REJECTED"
                self.apps[version.app_id].rejections.append(
                    Rejection(submission.id, version.id, reason, at, by)
                )
            elif version.release_type == "MANUAL":
                version.state = "PENDING_DEVELOPER_RELEASE"
            else:  # AFTER_APPROVAL (SCHEDULED is treated alike: the sandbox has no calendar)
                self.go_live(version, at)

    # -- release ---------------------------------------------------------------------------
    def go_live(self, version: Version, at: datetime) -> None:
        """The version is on the store; the one it replaces is done, phased release included."""
        for other in self.versions.values():
            if other.app_id == version.app_id and other.state == "READY_FOR_DISTRIBUTION":
                other.state = "REPLACED_WITH_NEW_VERSION"
                old = self.phased.get(other.phased_id or "")
                if old is not None and old.state in ("ACTIVE", "PAUSED"):
                    old.complete(at)
        version.state, version.released_at = "READY_FOR_DISTRIBUTION", at
        phased = self.phased.get(version.phased_id or "")
        if phased is not None and phased.state == "INACTIVE":
            phased.start(at)

    def rollout_percent(self, version: Version, now: datetime) -> int:
        """Share of automatic updates getting a live version (100 without phased release)."""
        if version.state != "READY_FOR_DISTRIBUTION":
            return 0
        phased = self.phased.get(version.phased_id or "")
        if phased is None or phased.state == "COMPLETE":
            return 100
        day = phased.day(now, self.apps[version.app_id].day_seconds)
        return PHASE_PERCENTAGES[day - 1] if day else 0
