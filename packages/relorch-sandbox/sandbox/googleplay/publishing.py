"""Play's publishing rules: edits that can be used, Track bodies, track updates, commits, review.

Messages are Play's own where known (tramline's error catalog, fastlane/gradle-play-publisher
issues, Google's docs); the rest say plainly what Play refuses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.clock import iso_micro
from sandbox.googleplay.model import (
    INTERNAL_TRACK,
    MAX_VERSION_CODE,
    RELEASE_STATUSES,
    REVIEWED_TRACKS,
    App,
    Edit,
    Release,
    Track,
)
from sandbox.googleplay.wire import GoogleError

CHANGES_IN_REVIEW_BEHAVIOURS = (
    "CHANGES_IN_REVIEW_BEHAVIOR_TYPE_UNSPECIFIED",
    "CANCEL_IN_REVIEW_AND_SUBMIT",
    "ERROR_IF_IN_REVIEW",
)
RELEASE_FIELDS = frozenset(
    {
        "name",
        "versionCodes",
        "releaseNotes",
        "status",
        "userFraction",
        "countryTargeting",
        "inAppUpdatePriority",
    }
)
MAX_NOTES = 500
IN_REVIEW_MESSAGE = (
    "You already have changes in review. Cancel this review or wait for it to complete before "
    "you try again. See https://developers.google.com/android-publisher/api-ref/rest/v3/"
    "applications.tracks.releases"
)
MANUAL_SEND_MESSAGE = (
    "Changes cannot be sent for review automatically. Please set the query parameter "
    "changesNotSentForReview to true. Once committed, the changes in this edit can be sent for "
    "review from the Google Play Console UI."
)
NOT_SENT_MUST_NOT_BE_SET = "The query parameter changesNotSentForReview must not be set."


def invalid(message: str) -> GoogleError:
    return GoogleError(400, message, status="INVALID_ARGUMENT", reason="invalidValue")


def precondition(message: str) -> GoogleError:
    return GoogleError(400, message, status="FAILED_PRECONDITION", reason="failedPrecondition")


def unknown_field(name: str, where: str) -> GoogleError:
    at = f" at '{where}'" if where else ""
    return GoogleError(
        400,
        f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.',
        status="INVALID_ARGUMENT",
        reason="invalid",
    )


def package_not_found(package_name: str) -> GoogleError:
    return GoogleError(404, f"Package not found: {package_name}.", reason="notFound")


# -- edits -------------------------------------------------------------------------------------


def usable_edit(app: App, edit_id: str, now: datetime) -> Edit:
    """The edit, or Play's refusal: unknown, deleted (by a newer edit, a commit or DELETE),
    expired."""
    edit = app.edits.get(edit_id)
    if edit is None:
        raise GoogleError(404, f"No edit with id {edit_id}.", reason="notFound")
    if edit.state != "open":
        raise precondition("This Edit has been deleted.")
    if now >= edit.expires_at:
        raise precondition("This edit has expired, please create a new Edit.")
    return edit


def edit_track(edit: Edit, name: str) -> Track:
    track = edit.tracks.get(name)
    if track is None:
        raise GoogleError(404, f"Track not found: {name}.", reason="notFound")
    return track


# -- Track bodies ------------------------------------------------------------------------------


@dataclass
class ReleaseSpec:
    """One release of a tracks.update/patch body, checked for shape only."""

    index: int
    status: str
    version_codes: list[int]
    name: str | None = None
    user_fraction: float | None = None
    release_notes: list[dict[str, str]] | None = None
    country_targeting: dict[str, Any] | None = None
    in_app_update_priority: int | None = None
    fields: set[str] = field(default_factory=set)


def parse_track_body(body: Any) -> list[ReleaseSpec]:
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received. Expected a Track object.")
    for key in body:
        if key not in ("track", "releases"):
            raise unknown_field(key, "")
    releases = body.get("releases", [])
    if not isinstance(releases, list):
        raise invalid("Invalid value at 'track.releases': expected a list of releases.")
    return [_release_spec(i, item) for i, item in enumerate(releases)]


def _release_spec(index: int, doc: Any) -> ReleaseSpec:
    where = f"track.releases[{index}]"
    if not isinstance(doc, dict):
        raise invalid(f"Invalid value at '{where}': expected a TrackRelease object.")
    for key in doc:
        if key not in RELEASE_FIELDS:
            raise unknown_field(key, where)
    status = doc.get("status", "statusUnspecified")
    if status not in RELEASE_STATUSES:
        raise invalid(
            f"Invalid value at '{where}.status' "
            f'(type.googleapis.com/google.play.publishing.v3.TrackRelease.Status), "{status}"'
        )
    if status == "statusUnspecified":
        raise invalid("Release status must be specified.")
    spec = ReleaseSpec(index=index, status=status, version_codes=[], fields=set(doc))
    codes = doc.get("versionCodes", [])
    if not isinstance(codes, list):
        raise invalid(f"Invalid value at '{where}.version_codes': expected a list.")
    for j, raw in enumerate(codes):
        code = _int64(raw)
        if code is None:
            raise invalid(f"Invalid value at '{where}.version_codes[{j}]' (TYPE_INT64), {raw!r}")
        spec.version_codes.append(code)
    if len(set(spec.version_codes)) != len(spec.version_codes):
        raise invalid("Version codes must not be repeated within a release.")
    name = doc.get("name")
    if name is not None and not isinstance(name, str):
        raise invalid(f"Invalid value at '{where}.name' (TYPE_STRING), {name!r}")
    spec.name = name or None
    fraction = doc.get("userFraction")
    if fraction is not None:
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise invalid(f"Invalid value at '{where}.user_fraction' (TYPE_DOUBLE), {fraction!r}")
        spec.user_fraction = float(fraction)
    spec.release_notes = _notes(doc.get("releaseNotes"), where)
    targeting = doc.get("countryTargeting")
    if targeting is not None:
        if not isinstance(targeting, dict) or not all(
            k in ("countries", "includeRestOfWorld") for k in targeting
        ):
            raise invalid(f"Invalid value at '{where}.country_targeting'.")
        spec.country_targeting = dict(targeting)
    priority = doc.get("inAppUpdatePriority")
    if priority is not None:
        if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 5:
            raise invalid("In-app update priority must be between 0 and 5.")
        spec.in_app_update_priority = priority
    return spec


def _int64(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw)
    return None


def _notes(raw: Any, where: str) -> list[dict[str, str]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise invalid(f"Invalid value at '{where}.release_notes': expected a list.")
    notes = []
    for j, item in enumerate(raw):
        if not isinstance(item, dict) or not all(k in ("language", "text") for k in item):
            raise invalid(f"Invalid value at '{where}.release_notes[{j}]'.")
        language, text = item.get("language"), item.get("text", "")
        if not isinstance(language, str) or not language or not isinstance(text, str):
            raise invalid(f"Release notes at '{where}.release_notes[{j}]' need a language.")
        if len(text) > MAX_NOTES:
            raise invalid(
                f"The release created has notes in language {language} with length {len(text)}, "
                f"which is too long (max: {MAX_NOTES})."
            )
        notes.append({"language": language, "text": text})
    return notes


# -- tracks.update / tracks.patch ---------------------------------------------------------------


def update_track(app: App, edit: Edit, track_name: str, specs: list[ReleaseSpec]) -> Track:
    """Apply a Track body to the edit's working copy, the way Play reads "desired changes".

    The releases sent replace the track's releases, except that the release serving everyone
    (`completed`) stays until a newer release is completed: a staged rollout runs next to it.
    A `halted` release without a fraction is the halt of a fully rolled-out release; the previous
    completed release then serves again. Fraction changes, halts and resumes keep the release
    (matched by its version codes) and its review state.
    """
    track = edit_track(edit, track_name)
    known = set(app.bundles) | set(edit.bundles)
    missing = sorted({c for s in specs for c in s.version_codes if c not in known})
    if missing:
        raise GoogleError(
            404,
            "The following APK version codes could not be found: "
            f"[{', '.join(str(c) for c in missing)}].",
            reason="notFound",
        )
    if sum(s.status == "completed" for s in specs) > 1:
        raise invalid("A track can have only one completed release.")
    if sum(s.status in ("inProgress", "halted") for s in specs) > 1:
        raise invalid("A track can have only one release in progress or halted.")

    current = track.completed()
    releases: list[Release] = []
    restore: Release | None = None
    retire_current = False
    for spec in specs:
        prior = track.find(spec.version_codes) if spec.version_codes else None
        halts_full = _check_release(track, spec, prior, current)
        if halts_full and not (prior is not None and prior.halted_from_full):
            restore = track.obsolete[-1]
        release = _release_from(app, edit, spec, prior, halts_full)
        if spec.status == "completed" and current is not None and current.id != release.id:
            retire_current = True
        releases.append(release)

    if current is not None and all(r.id != current.id for r in releases):
        if retire_current:
            track.obsolete.append(current)
        else:
            releases.append(current)  # keeps serving everyone the staged release does not reach
    if restore is not None:
        track.obsolete.remove(restore)
        releases.append(restore)
    track.releases = sorted(releases, key=lambda r: r.id, reverse=True)
    if any(r.status == "completed" for r in track.releases):
        track.has_completed = True
    edit.touched.add(track_name)
    return track


def _check_release(
    track: Track, spec: ReleaseSpec, prior: Release | None, current: Release | None
) -> bool:
    """Play's refusals for one release; returns whether it halts a fully rolled-out release."""
    status, fraction = spec.status, spec.user_fraction
    if status != "draft" and not spec.version_codes:
        raise invalid("A release must contain at least one version code, unless it is a draft.")
    if fraction is not None:
        if status not in ("inProgress", "halted"):
            raise invalid(
                "A user fraction can only be set on releases with status inProgress or halted."
            )
        if not 0.0 < fraction < 1.0 or math.isnan(fraction):
            raise invalid("Rollout fraction must be greater than 0 and less than 1")
    if status == "inProgress" and fraction is None:
        raise invalid("IN_PROGRESS release must have fraction")
    if spec.country_targeting is not None and status != "inProgress":
        raise invalid("Country targeting is only supported for staged releases.")
    is_current = current is not None and prior is not None and prior.id == current.id
    halts_full = status == "halted" and fraction is None
    if halts_full:
        already = prior is not None and prior.halted_from_full and prior.status == "halted"
        if not (is_current or already):
            raise invalid("HALTED release must have fraction")
        if track.name.endswith(INTERNAL_TRACK):
            raise invalid(
                "A fully rolled-out release on the internal testing track cannot be halted."
            )
        if not already and not track.obsolete:
            raise invalid("The first release on a track cannot be halted.")
    staged = status == "inProgress" or (status == "halted" and fraction is not None)
    if staged:
        if not track.has_completed:
            raise invalid("The first release on a track cannot be staged.")
        if is_current:
            raise invalid("Fully released can not be staged.")
    if (
        prior is None
        and status != "draft"
        and current is not None
        and max(spec.version_codes) <= max(current.version_codes)
    ):
        raise GoogleError(
            403,
            "You cannot rollout this release because it does not allow any existing users to "
            "upgrade to the newly added APKs.",
            reason="forbidden",
        )
    if (
        prior is not None
        and prior.status != "draft"
        and spec.in_app_update_priority is not None
        and prior.in_app_update_priority is not None
        and spec.in_app_update_priority != prior.in_app_update_priority
    ):
        raise invalid("in_app_update_priority can not be updated once the release is rolled out.")
    return halts_full


def _release_from(
    app: App, edit: Edit, spec: ReleaseSpec, prior: Release | None, halts_full: bool
) -> Release:
    if prior is not None:
        name = spec.name or prior.name
        notes = spec.release_notes if spec.release_notes is not None else prior.release_notes
        priority = (
            spec.in_app_update_priority
            if spec.in_app_update_priority is not None
            else prior.in_app_update_priority
        )
        ident, lifecycle = prior.id, prior.lifecycle
    else:
        name = spec.name or _default_name(app, edit, spec.version_codes)
        notes = spec.release_notes or []
        priority = spec.in_app_update_priority
        ident, lifecycle = app.new_release_id(), "DRAFT"
    return Release(
        id=ident,
        name=name,
        version_codes=list(spec.version_codes),
        status=spec.status,
        user_fraction=spec.user_fraction,
        release_notes=notes,
        country_targeting=spec.country_targeting,
        in_app_update_priority=priority,
        lifecycle=lifecycle,
        halted_from_full=halts_full
        or (prior is not None and prior.halted_from_full and spec.status == "halted"),
    )


def _default_name(app: App, edit: Edit, codes: list[int]) -> str:
    """Play: "If not set, the name is generated from the APK's version_name"."""
    if not codes:
        return "Draft"
    bundle = edit.bundles.get(codes[0]) or app.bundles.get(codes[0])
    return bundle.version_name if bundle is not None else str(codes[0])


# -- edits.commit ------------------------------------------------------------------------------


def check_commit(app: App, edit: Edit, *, behaviour: str, not_sent: bool, now: datetime) -> None:
    """Everything that refuses a commit before it changes anything (the edit stays open)."""
    if edit.base_revision != app.revision:
        raise GoogleError(
            409,
            "The edit could not be committed: the app was changed by a concurrent update. "
            "Retry with a new edit.",
            status="ABORTED",
            reason="concurrentUpdate",
        )
    if app.needs_manual_send and not not_sent:
        raise precondition(MANUAL_SEND_MESSAGE)
    if not app.needs_manual_send and not_sent:
        raise precondition(NOT_SENT_MUST_NOT_BE_SET)
    if app.active_review() is not None and behaviour == "ERROR_IF_IN_REVIEW":
        raise GoogleError(
            400,
            IN_REVIEW_MESSAGE,
            status="FAILED_PRECONDITION",
            legacy=False,
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "CHANGES_ALREADY_IN_REVIEW",
                    "domain": "googleapis.com",
                    "metadata": {
                        "service": "androidpublisher.googleapis.com",
                        "method": "google.play.publishing.v3.EditsService.Commit",
                    },
                }
            ],
        )


def commit(app: App, edit: Edit, *, behaviour: str, not_sent: bool, now: datetime) -> None:
    """Apply the edit. Production releases with version codes Google has not approved yet go to
    review (or wait, NOT_SENT_FOR_REVIEW, with changesNotSentForReview); everything else takes
    effect at once. A review in progress is cancelled and everything resubmitted
    (CANCEL_IN_REVIEW_AND_SUBMIT, the default)."""
    check_commit(app, edit, behaviour=behaviour, not_sent=not_sent, now=now)
    before = {r.id: r for t in app.tracks.values() for r in (*t.releases, *t.obsolete)}
    new_for_review = False
    for name in sorted(edit.touched):
        track = edit.tracks[name]
        for release in track.releases:
            prior = before.get(release.id)
            if prior is not None and prior.config() == release.config():
                release.lifecycle = prior.lifecycle
                continue
            release.lifecycle = _lifecycle(app, release, prior, name, not_sent)
            new_for_review = new_for_review or release.lifecycle == "IN_REVIEW"
        app.tracks[name] = track
    app.bundles.update(edit.bundles)
    app.revision += 1
    app.commits.append(
        {
            "revision": app.revision,
            "edit": edit.id,
            "time": iso_micro(now),
            "tracks": {
                name: [
                    {
                        "versionCodes": [str(code) for code in r.version_codes],
                        "status": r.status,
                        "userFraction": r.user_fraction,
                    }
                    for r in edit.tracks[name].releases
                ]
                for name in sorted(edit.touched)
            },
        }
    )
    edit.state = "committed"
    for other in app.edits.values():
        if other.state == "open":
            other.state = "deleted"  # the first commit invalidates every other edit

    active = app.active_review()
    cancelled: int | None = None
    if active is not None and not not_sent:
        active.result = "cancelled"
        active.finished_at = now
        active.cancelled_by_edit = edit.id
        cancelled = active.id
    waiting = [r for r in app.releases() if r.lifecycle == "IN_REVIEW"]
    if waiting and (new_for_review or cancelled is not None):
        app.submit_for_review(waiting, now, resubmitted_from=cancelled)


def _lifecycle(
    app: App, release: Release, prior: Release | None, track: str, not_sent: bool
) -> str:
    if release.status == "draft":
        return "DRAFT"
    if track not in REVIEWED_TRACKS:
        return "PUBLISHED"
    if set(release.version_codes) <= app.approved_codes:
        if prior is not None and prior.lifecycle in ("PUBLISHED", "APPROVED_NOT_PUBLISHED"):
            return prior.lifecycle
        return "PUBLISHED"
    return "NOT_SENT_FOR_REVIEW" if not_sent else "IN_REVIEW"


def send_for_review(app: App, now: datetime) -> bool:
    """The Console's "Send for review": changes held back (NOT_SENT_FOR_REVIEW) go to review."""
    waiting = [r for r in app.releases() if r.lifecycle == "NOT_SENT_FOR_REVIEW"]
    app.needs_manual_send = False
    if not waiting:
        return False
    active = app.active_review()
    cancelled = None
    if active is not None:
        active.result = "cancelled"
        active.finished_at = now
        cancelled = active.id
        waiting += [r for r in app.releases() if r.lifecycle == "IN_REVIEW"]
    app.submit_for_review(waiting, now, resubmitted_from=cancelled)
    return True


def publish(app: App) -> int:
    """Managed publishing's "Publish": every approved change goes live at once."""
    count = 0
    for release in app.releases():
        if release.lifecycle == "APPROVED_NOT_PUBLISHED":
            release.lifecycle = "PUBLISHED"
            count += 1
    return count


def version_code_in_range(code: int) -> bool:
    return 1 <= code <= MAX_VERSION_CODE
