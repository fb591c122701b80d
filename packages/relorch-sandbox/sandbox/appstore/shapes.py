"""JSON:API documents for the App Store Connect resources, shaped by the spec's schemas
(tests/specs/app-store-connect.json). Attributes the spec does not mark nullable are left out
when unknown (e.g. a build's usesNonExemptEncryption before export compliance is answered)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.appstore.model import (
    PHASE_DAYS,
    App,
    AppStoreStore,
    BetaGroup,
    Build,
    Localization,
    PhasedRelease,
    ReviewSubmission,
    SubmissionItem,
    Version,
)

__all__ = [
    "app",
    "build",
    "document",
    "group",
    "iso",
    "item",
    "localization",
    "phased",
    "pre_release",
    "submission",
    "version",
]

BUILD_LIFETIME = timedelta(days=90)


def iso(instant: datetime) -> str:
    """Apple's timestamp style: milliseconds and an explicit offset."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{instant.microsecond // 1000:03d}+00:00"
    )


def _ref(kind: str, ident: str) -> dict[str, Any]:
    return {"data": {"type": kind, "id": ident}}


def document(
    data: Any, self_url: str, *, included: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A top-level document; a list gets paging meta (everything fits on one page here)."""
    doc: dict[str, Any] = {"data": data, "links": {"self": self_url}}
    if included:
        doc["included"] = included
    if isinstance(data, list):
        doc["meta"] = {"paging": {"total": len(data), "limit": max(len(data), 50)}}
    return doc


def app(a: App, base: str) -> dict[str, Any]:
    return {
        "type": "apps",
        "id": a.id,
        "attributes": {
            "name": a.name,
            "bundleId": a.bundle_id,
            "sku": a.sku,
            "primaryLocale": a.primary_locale,
        },
        "links": {"self": f"{base}/apps/{a.id}"},
    }


def build(b: Build, base: str, now: datetime) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "version": b.version,
        "uploadedDate": iso(b.uploaded_at),
        "expirationDate": iso(b.uploaded_at + BUILD_LIFETIME),
        "expired": now >= b.uploaded_at + BUILD_LIFETIME,
        "minOsVersion": "16.0",
        "processingState": b.state,
        "buildAudienceType": "APP_STORE_ELIGIBLE",
    }
    if b.uses_non_exempt_encryption is not None:
        attributes["usesNonExemptEncryption"] = b.uses_non_exempt_encryption
    return {
        "type": "builds",
        "id": b.id,
        "attributes": attributes,
        "relationships": {
            "app": _ref("apps", b.app_id),
            "preReleaseVersion": _ref("preReleaseVersions", b.pre_release_id),
        },
        "links": {"self": f"{base}/builds/{b.id}"},
    }


def pre_release(b: Build, base: str) -> dict[str, Any]:
    return {
        "type": "preReleaseVersions",
        "id": b.pre_release_id,
        "attributes": {"version": b.short_version, "platform": "IOS"},
        "links": {"self": f"{base}/preReleaseVersions/{b.pre_release_id}"},
    }


def group(g: BetaGroup, base: str) -> dict[str, Any]:
    return {
        "type": "betaGroups",
        "id": g.id,
        "attributes": {
            "name": g.name,
            "createdDate": iso(g.created_at),
            "isInternalGroup": g.internal,
            "hasAccessToAllBuilds": False,
            "publicLinkEnabled": False,
            "publicLinkLimitEnabled": False,
            "feedbackEnabled": True,
        },
        "relationships": {"app": _ref("apps", g.app_id)},
        "links": {"self": f"{base}/betaGroups/{g.id}"},
    }


def version(v: Version, base: str) -> dict[str, Any]:
    relationships: dict[str, Any] = {
        "app": _ref("apps", v.app_id),
        "build": {"links": {"related": f"{base}/appStoreVersions/{v.id}/build"}},
        "appStoreVersionPhasedRelease": {
            "links": {"related": f"{base}/appStoreVersions/{v.id}/appStoreVersionPhasedRelease"}
        },
    }
    if v.build_id is not None:
        relationships["build"]["data"] = {"type": "builds", "id": v.build_id}
    if v.phased_id is not None:
        relationships["appStoreVersionPhasedRelease"]["data"] = {
            "type": "appStoreVersionPhasedReleases",
            "id": v.phased_id,
        }
    return {
        "type": "appStoreVersions",
        "id": v.id,
        "attributes": {
            "platform": v.platform,
            "versionString": v.version_string,
            "appStoreState": v.store_state,
            "appVersionState": v.state,
            "reviewType": "APP_STORE",
            "releaseType": v.release_type,
            "downloadable": True,
            "createdDate": iso(v.created_at),
        },
        "relationships": relationships,
        "links": {"self": f"{base}/appStoreVersions/{v.id}"},
    }


def phased(p: PhasedRelease, store: AppStoreStore, base: str, now: datetime) -> dict[str, Any]:
    day_s = store.apps[store.versions[p.version_id].app_id].day_seconds
    attributes: dict[str, Any] = {
        "phasedReleaseState": p.state,
        # Whole (app) days, as Apple counts the 30-day pause budget.
        "totalPauseDuration": int(p.paused_s(now) // day_s),
        "currentDayNumber": min(PHASE_DAYS, p.day(now, day_s)),
    }
    if p.start_date is not None:
        attributes["startDate"] = iso(p.start_date)
    return {
        "type": "appStoreVersionPhasedReleases",
        "id": p.id,
        "attributes": attributes,
        "links": {"self": f"{base}/appStoreVersionPhasedReleases/{p.id}"},
    }


def submission(s: ReviewSubmission, store: AppStoreStore, base: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {"platform": s.platform, "state": s.state}
    if s.submitted_at is not None:
        attributes["submittedDate"] = iso(s.submitted_at)
    relationships: dict[str, Any] = {
        "app": _ref("apps", s.app_id),
        "items": {
            "links": {"related": f"{base}/reviewSubmissions/{s.id}/items"},
            "data": [{"type": "reviewSubmissionItems", "id": i} for i in s.item_ids],
        },
    }
    versions = store.submission_versions(s)
    if versions:
        relationships["appStoreVersionForReview"] = _ref("appStoreVersions", versions[0].id)
    return {
        "type": "reviewSubmissions",
        "id": s.id,
        "attributes": attributes,
        "relationships": relationships,
        "links": {"self": f"{base}/reviewSubmissions/{s.id}"},
    }


def localization(loc: Localization, base: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {"locale": loc.locale}
    if loc.whats_new is not None:
        attributes["whatsNew"] = loc.whats_new
    return {
        "type": "appStoreVersionLocalizations",
        "id": loc.id,
        "attributes": attributes,
        "relationships": {"appStoreVersion": _ref("appStoreVersions", loc.version_id)},
        "links": {"self": f"{base}/appStoreVersionLocalizations/{loc.id}"},
    }


def item(i: SubmissionItem, base: str) -> dict[str, Any]:
    return {
        "type": "reviewSubmissionItems",
        "id": i.id,
        "attributes": {"state": i.state},
        "relationships": {"appStoreVersion": _ref("appStoreVersions", i.version_id)},
        "links": {"self": f"{base}/reviewSubmissionItems/{i.id}"},
    }
