"""Google Play state: service accounts and access tokens; apps with their tracks, bundles, edits,
review submissions and vitals. Plain data plus the review clock; the Play rules for track updates
and commits live in sandbox/googleplay/publishing.py."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

TRACKS = ("production", "beta", "alpha", "internal")
# Only production changes go through Google's review here; testing tracks publish at once.
REVIEWED_TRACKS = frozenset({"production"})
INTERNAL_TRACK = "internal"
RELEASE_STATUSES = ("statusUnspecified", "draft", "inProgress", "halted", "completed")
LIFECYCLE_STATES = (
    "DRAFT",
    "NOT_SENT_FOR_REVIEW",
    "IN_REVIEW",
    "APPROVED_NOT_PUBLISHED",
    "NOT_APPROVED",
    "PUBLISHED",
)
LIFECYCLE_PREFIX = "RELEASE_LIFECYCLE_STATE_"
REVIEW_OUTCOMES = ("approve", "reject")
TOKEN_LIFETIME_S = 3599
DEFAULT_EDIT_TTL_S = 3600.0
DEFAULT_REVIEW_S = 2.0
DEFAULT_REJECTION = "Policy violation: the sandbox reviewer rejected this release."
MAX_VERSION_CODE = 2_100_000_000


@dataclass
class ServiceAccount:
    client_email: str
    public_keys: list[str] = field(default_factory=list)  # PEM; any of them may sign


@dataclass
class AccessToken:
    token: str
    client_email: str
    scopes: frozenset[str]
    issued_at: datetime
    expires_at: datetime


@dataclass
class Bundle:
    version_code: int
    version_name: str
    sha1: str
    sha256: str
    size: int
    uploaded_at: datetime


@dataclass
class Release:
    id: int  # per app, in creation order: "newest first" sorts on it
    name: str
    version_codes: list[int]
    status: str
    user_fraction: float | None = None
    release_notes: list[dict[str, str]] = field(default_factory=list)
    country_targeting: dict[str, Any] | None = None
    in_app_update_priority: int | None = None
    lifecycle: str = "DRAFT"
    # Halted after being fully rolled out: the previous completed release serves again.
    halted_from_full: bool = False

    def config(self) -> tuple[Any, ...]:
        """What a commit compares to tell a changed release from an untouched one."""
        return (
            self.name,
            tuple(self.version_codes),
            self.status,
            self.user_fraction,
            repr(self.release_notes),
            repr(self.country_targeting),
            self.in_app_update_priority,
        )


@dataclass
class Track:
    name: str
    releases: list[Release] = field(default_factory=list)  # the active releases, newest first
    obsolete: list[Release] = field(default_factory=list)  # superseded completed ones, oldest first
    has_completed: bool = False  # a release was completed here once: no longer a "first release"

    def completed(self) -> Release | None:
        return next((r for r in self.releases if r.status == "completed"), None)

    def find(self, version_codes: list[int]) -> Release | None:
        wanted = set(version_codes)
        return next((r for r in self.releases if set(r.version_codes) == wanted), None)


@dataclass
class Edit:
    id: str
    client_email: str
    created_at: datetime
    expires_at: datetime
    base_revision: int
    tracks: dict[str, Track]  # working copies of the app's tracks
    bundles: dict[int, Bundle] = field(default_factory=dict)  # uploaded in this edit
    touched: set[str] = field(default_factory=set)  # tracks updated in this edit
    state: str = "open"  # open | deleted | committed


@dataclass
class Review:
    """One submission to Google's review: the releases sent, and how it ended."""

    id: int
    release_ids: list[int]
    summary: list[dict[str, Any]]
    submitted_at: datetime
    due_at: datetime
    outcome: str  # what the reviewer will decide: approve | reject
    reason: str | None
    result: str = "in_review"  # in_review | approved | rejected | cancelled
    finished_at: datetime | None = None
    cancelled_by_edit: str | None = None
    resubmitted_from: int | None = None
    decided_by: str | None = None  # "clock" or "admin" once approved/rejected


@dataclass
class Vitals:
    crash_rate: float
    user_perceived_crash_rate: float
    anr_rate: float
    user_perceived_anr_rate: float
    distinct_users: int


@dataclass
class App:
    package_name: str
    managed_publishing: bool = False
    review_seconds: float = DEFAULT_REVIEW_S
    review_outcome: str = "approve"
    rejection_reason: str | None = None
    edit_ttl_seconds: float = DEFAULT_EDIT_TTL_S
    tracks: dict[str, Track] = field(default_factory=lambda: {n: Track(n) for n in TRACKS})
    bundles: dict[int, Bundle] = field(default_factory=dict)
    edits: dict[str, Edit] = field(default_factory=dict)
    approved_codes: set[int] = field(default_factory=set)  # passed review on production
    reviews: list[Review] = field(default_factory=list)  # oldest first
    # After a rejection Play sends nothing for review by itself: every commit must say
    # changesNotSentForReview=true until someone sends the changes from the Console.
    needs_manual_send: bool = False
    revision: int = 0  # bumped by every commit
    # Every commit's touched tracks as they became, oldest first: what an API client really did.
    commits: list[dict[str, Any]] = field(default_factory=list)
    next_release_id: int = 1
    vitals: dict[int, Vitals] = field(default_factory=dict)

    def new_release_id(self) -> int:
        ident = self.next_release_id
        self.next_release_id += 1
        return ident

    def active_review(self) -> Review | None:
        return next((r for r in reversed(self.reviews) if r.result == "in_review"), None)

    def releases(self) -> list[Release]:
        return [r for track in self.tracks.values() for r in track.releases]

    def working_copy(self) -> dict[str, Track]:
        return copy.deepcopy(self.tracks)

    def submit_for_review(
        self, releases: list[Release], now: datetime, *, resubmitted_from: int | None = None
    ) -> Review:
        track_of = {r.id: t.name for t in self.tracks.values() for r in t.releases}
        review = Review(
            id=len(self.reviews) + 1,
            release_ids=[r.id for r in releases],
            summary=[
                {"track": track_of.get(r.id), "name": r.name, "versionCodes": r.version_codes}
                for r in releases
            ],
            submitted_at=now,
            due_at=now + timedelta(seconds=self.review_seconds),
            outcome=self.review_outcome,
            reason=(self.rejection_reason or DEFAULT_REJECTION)
            if self.review_outcome == "reject"
            else None,
            resubmitted_from=resubmitted_from,
        )
        for release in releases:
            release.lifecycle = "IN_REVIEW"
        self.reviews.append(review)
        return review

    def finish_review(
        self, review: Review, outcome: str, reason: str | None, at: datetime, *, by: str
    ) -> None:
        review.result = "approved" if outcome == "approve" else "rejected"
        review.reason = None if outcome == "approve" else reason or DEFAULT_REJECTION
        review.finished_at = at
        review.decided_by = by
        ids = set(review.release_ids)
        for release in self.releases():
            if release.id not in ids or release.lifecycle != "IN_REVIEW":
                continue
            if outcome == "approve":
                release.lifecycle = (
                    "APPROVED_NOT_PUBLISHED" if self.managed_publishing else "PUBLISHED"
                )
                self.approved_codes.update(release.version_codes)
            else:
                release.lifecycle = "NOT_APPROVED"
        if outcome == "reject":
            self.needs_manual_send = True

    def advance(self, now: datetime) -> None:
        """Let the reviewer finish a submission whose review time has passed."""
        review = self.active_review()
        if review is not None and now >= review.due_at:
            self.finish_review(review, review.outcome, review.reason, review.due_at, by="clock")

    def open_edits(self, now: datetime) -> list[Edit]:
        return [e for e in self.edits.values() if e.state == "open" and now < e.expires_at]


def edit_id(number: int) -> str:
    """A Play-looking edit id (20 digits), distinct per number."""
    return f"{(number * 7_919_111_003 + 1_203_631_387_240_767_073) % 10**20:020d}"


@dataclass
class GooglePlayStore:
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)
    next_edit: int = 1

    def app(self, package_name: str, now: datetime) -> App | None:
        """The app, with any review that is due by `now` finished."""
        app = self.apps.get(package_name)
        if app is not None:
            app.advance(now)
        return app

    def register(self, client_email: str, public_key_pem: str) -> ServiceAccount:
        account = self.service_accounts.setdefault(client_email, ServiceAccount(client_email))
        if public_key_pem not in account.public_keys:
            account.public_keys.append(public_key_pem)
        return account

    def issue_token(self, client_email: str, scopes: frozenset[str], now: datetime) -> AccessToken:
        token = AccessToken(
            token="ya29.sandbox-" + secrets.token_urlsafe(32),
            client_email=client_email,
            scopes=scopes,
            issued_at=now,
            expires_at=now + timedelta(seconds=TOKEN_LIFETIME_S),
        )
        self.tokens[token.token] = token
        return token

    def new_edit(self, app: App, client_email: str, now: datetime) -> Edit:
        """Open an edit; every other open edit of the app is deleted (Play's rule)."""
        for other in app.edits.values():
            if other.state == "open":
                other.state = "deleted"
        edit = Edit(
            id=edit_id(self.next_edit),
            client_email=client_email,
            created_at=now,
            expires_at=now + timedelta(seconds=app.edit_ttl_seconds),
            base_revision=app.revision,
            tracks=app.working_copy(),
        )
        self.next_edit += 1
        app.edits[edit.id] = edit
        return edit
