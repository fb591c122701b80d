"""What the App Store Connect and Sentry clients return, parsed from the JSON:API documents
(`data.attributes` / `data.relationships`) and Sentry's sessions totals."""

from __future__ import annotations

from datetime import datetime

from clients._models import Frozen

__all__ = [
    "AscBetaGroup",
    "AscBuild",
    "AscPhasedRelease",
    "AscReviewSubmission",
    "AscVersion",
    "ReleaseHealth",
]


class AscBuild(Frozen):
    """A `builds` resource. `version` is the build number (CFBundleVersion), not the marketing
    version; `uses_non_exempt_encryption` is None until export compliance is answered."""

    id: str
    version: str
    processing_state: str  # PROCESSING | FAILED | INVALID | VALID
    uses_non_exempt_encryption: bool | None
    uploaded: datetime | None
    expired: bool


class AscBetaGroup(Frozen):
    id: str
    name: str
    is_internal: bool


class AscVersion(Frozen):
    """An `appStoreVersions` resource. `state` is `appVersionState`, or the deprecated
    `appStoreState` when the answer carries only that."""

    id: str
    version_string: str
    state: str
    release_type: str | None  # MANUAL | AFTER_APPROVAL | SCHEDULED
    created: datetime | None


class AscPhasedRelease(Frozen):
    """An `appStoreVersionPhasedReleases` resource: Apple's fixed 7-day schedule; day 0 before it
    starts. `paused_days` is `totalPauseDuration`: whole phased-release days paused so far, the
    pause in progress included (the spec gives an integer and no unit; App Store Connect counts
    the 30-day pause budget in days)."""

    id: str
    state: str  # INACTIVE | ACTIVE | PAUSED | COMPLETE
    current_day: int
    paused_days: int
    start: datetime | None


class AscReviewSubmission(Frozen):
    id: str
    state: str  # READY_FOR_REVIEW | WAITING_FOR_REVIEW | IN_REVIEW | UNRESOLVED_ISSUES | ...
    submitted: datetime | None


class ReleaseHealth(Frozen):
    """Sentry release health over a window: rates are fractions (0.995), None when Sentry has no
    sessions to rate."""

    crash_free_sessions: float | None
    crash_free_users: float | None
    sessions: int
    users: int | None
