"""Google Play objects as the APIs answer them (proto3 JSON: int64 as strings, empty lists and
unset fields left out), and the admin view of an app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.clock import iso_micro
from sandbox.googleplay.model import LIFECYCLE_PREFIX, App, Bundle, Edit, Release, Review, Track

MAX_RELEASE_SUMMARIES = 20


def app_edit(edit: Edit) -> dict[str, Any]:
    return {"id": edit.id, "expiryTimeSeconds": str(int(edit.expires_at.timestamp()))}


def bundle(item: Bundle) -> dict[str, Any]:
    return {"versionCode": item.version_code, "sha1": item.sha1, "sha256": item.sha256}


def track_release(release: Release) -> dict[str, Any]:
    body: dict[str, Any] = {"name": release.name}
    if release.version_codes:
        body["versionCodes"] = [str(code) for code in release.version_codes]
    if release.release_notes:
        body["releaseNotes"] = [dict(note) for note in release.release_notes]
    body["status"] = release.status
    if release.user_fraction is not None:
        body["userFraction"] = release.user_fraction
    if release.country_targeting is not None:
        body["countryTargeting"] = dict(release.country_targeting)
    if release.in_app_update_priority is not None:
        body["inAppUpdatePriority"] = release.in_app_update_priority
    return body


def track(item: Track) -> dict[str, Any]:
    body: dict[str, Any] = {"track": item.name}
    if item.releases:
        body["releases"] = [track_release(r) for r in item.releases]
    return body


def release_summaries(item: Track) -> dict[str, Any]:
    """applications.tracks.releases.list: the track's releases, newest first, at most 20."""
    releases = sorted(item.releases, key=lambda r: r.id, reverse=True)[:MAX_RELEASE_SUMMARIES]
    if not releases:
        return {}
    return {
        "releases": [
            {
                "releaseName": r.name,
                "track": item.name,
                "activeArtifacts": [{"versionCode": code} for code in r.version_codes],
                "releaseLifecycleState": LIFECYCLE_PREFIX + r.lifecycle,
            }
            for r in releases
        ]
    }


# -- admin view --------------------------------------------------------------------------------


def _time(instant: datetime | None) -> str | None:
    return iso_micro(instant) if instant is not None else None


def release_state(release: Release) -> dict[str, Any]:
    return {
        "id": release.id,
        "name": release.name,
        "versionCodes": list(release.version_codes),
        "status": release.status,
        "userFraction": release.user_fraction,
        "releaseLifecycleState": LIFECYCLE_PREFIX + release.lifecycle,
        "halted_from_full": release.halted_from_full,
        "releaseNotes": [dict(n) for n in release.release_notes],
        "inAppUpdatePriority": release.in_app_update_priority,
    }


def review_state(review: Review) -> dict[str, Any]:
    return {
        "id": review.id,
        "releases": [dict(item) for item in review.summary],
        "submitted_at": _time(review.submitted_at),
        "due_at": _time(review.due_at),
        "planned_outcome": review.outcome,
        "result": review.result,
        "reason": review.reason if review.result == "rejected" else None,
        "finished_at": _time(review.finished_at),
        "decided_by": review.decided_by,
        "cancelled_by_edit": review.cancelled_by_edit,
        "resubmitted_from": review.resubmitted_from,
    }


def app_state(app: App, now: datetime) -> dict[str, Any]:
    active = app.active_review()
    return {
        "package_name": app.package_name,
        "managed_publishing": app.managed_publishing,
        "review_seconds": app.review_seconds,
        "review_outcome": app.review_outcome,
        "rejection_reason": app.rejection_reason,
        "edit_ttl_seconds": app.edit_ttl_seconds,
        "changes_not_sent_for_review_required": app.needs_manual_send,
        "revision": app.revision,
        "tracks": {
            name: {
                "releases": [release_state(r) for r in t.releases],
                "obsolete": [release_state(r) for r in t.obsolete],
            }
            for name, t in app.tracks.items()
        },
        "bundles": [
            {**bundle(b), "versionName": b.version_name, "uploaded_at": _time(b.uploaded_at)}
            for b in sorted(app.bundles.values(), key=lambda b: b.version_code)
        ],
        "approved_version_codes": sorted(app.approved_codes),
        "open_edits": [
            {
                "id": e.id,
                "client_email": e.client_email,
                "created_at": _time(e.created_at),
                "expires_at": _time(e.expires_at),
                "base_revision": e.base_revision,
                "touched_tracks": sorted(e.touched),
                "bundles": sorted(e.bundles),
            }
            for e in app.open_edits(now)
        ],
        "in_review": review_state(active) if active is not None else None,
        "review_log": [review_state(r) for r in app.reviews],
        "commits": [dict(c) for c in app.commits],
        "vitals": {
            str(code): {
                "crash_rate": v.crash_rate,
                "user_perceived_crash_rate": v.user_perceived_crash_rate,
                "anr_rate": v.anr_rate,
                "user_perceived_anr_rate": v.user_perceived_anr_rate,
                "distinct_users": v.distinct_users,
            }
            for code, v in sorted(app.vitals.items())
        },
    }
