"""App Store Connect and Sentry shaped answers, a throwaway P-256 API key, and a checker that holds
every exchange to Apple's OpenAPI description (tests/specs/app-store-connect.json)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.clients._spec import (
    declared_query_parameters,
    operation_for,
    validate_component,
    validate_exchange,
)
from tests.clients._support import Exchange, Reply

ASC_URL = "https://api.appstoreconnect.apple.com"
SENTRY_URL = "https://sentry.io"
APP_STORE_CONNECT = "app-store-connect.json"
APP = "1234567890"
KEY_ID = "2X9R4HXF34"
ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
RATE = "user-hour-lim:3600;user-hour-rem:{};"


@cache
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_pem(key: ec.EllipticCurvePrivateKey | None = None) -> str:
    return (
        (key or ec_key())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def public_pem() -> str:
    return (
        ec_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


# -- JSON:API documents --------------------------------------------------------------------------


def links(path: str, next_path: str | None = None) -> dict[str, str]:
    found = {"self": ASC_URL + path}
    if next_path is not None:
        found["next"] = ASC_URL + next_path
    return found


def doc(data: Any, path: str, *, included: list[Any] | None = None, **extra: Any) -> Reply:
    body: dict[str, Any] = {"data": data, "links": links(path), **extra}
    if included is not None:
        body["included"] = included
    return Reply(200, body, headers={"X-Rate-Limit": RATE.format(3500)})


def created(data: Any, path: str) -> Reply:
    reply = doc(data, path)
    reply.status = 201
    return reply


def no_content() -> Reply:
    return Reply(204, text="")


def asc_error(status: int, code: str, detail: str, title: str = "The request failed.") -> Reply:
    return Reply(
        status,
        {"errors": [{"status": str(status), "code": code, "title": title, "detail": detail}]},
        headers={"X-Rate-Limit": RATE.format(0 if status == 429 else 3400)},
    )


def build(
    build_id: str = "b-1",
    number: str = "42",
    *,
    state: str = "VALID",
    encryption: bool | None = None,
    expired: bool = False,
    uploaded: str = "2026-03-01T10:00:00-08:00",
    groups: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "version": number,
        "uploadedDate": uploaded,
        "expired": expired,
        "processingState": state,
    }
    if encryption is not None:
        attributes["usesNonExemptEncryption"] = encryption
    item: dict[str, Any] = {"type": "builds", "id": build_id, "attributes": attributes}
    if groups is not None:
        item["relationships"] = {
            "betaGroups": {"data": [{"type": "betaGroups", "id": g} for g in groups]}
        }
    return item


def beta_group(group_id: str, name: str, internal: bool) -> dict[str, Any]:
    return {
        "type": "betaGroups",
        "id": group_id,
        "attributes": {"name": name, "isInternalGroup": internal},
    }


def version(
    version_id: str = "v-1",
    version_string: str = "2.4.0",
    *,
    state: str | None = "PREPARE_FOR_SUBMISSION",
    store_state: str | None = None,
    release_type: str = "MANUAL",
    created_at: str = "2026-03-01T12:00:00Z",
    build_id: str | None = None,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "platform": "IOS",
        "versionString": version_string,
        "releaseType": release_type,
        "createdDate": created_at,
    }
    if state is not None:
        attributes["appVersionState"] = state
    if store_state is not None:
        attributes["appStoreState"] = store_state
    item: dict[str, Any] = {"type": "appStoreVersions", "id": version_id, "attributes": attributes}
    if build_id is not None:
        item["relationships"] = {"build": {"data": {"type": "builds", "id": build_id}}}
    return item


def phased(
    phased_id: str = "p-1",
    state: str = "INACTIVE",
    day: int | None = None,
    pause: int = 0,
    start: str | None = None,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {"phasedReleaseState": state, "totalPauseDuration": pause}
    if day is not None:
        attributes["currentDayNumber"] = day
    if start is not None:
        attributes["startDate"] = start
    return {"type": "appStoreVersionPhasedReleases", "id": phased_id, "attributes": attributes}


def submission(
    submission_id: str = "s-1",
    state: str = "READY_FOR_REVIEW",
    items: tuple[str, ...] = (),
    submitted: str | None = None,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {"platform": "IOS", "state": state}
    if submitted is not None:
        attributes["submittedDate"] = submitted
    return {
        "type": "reviewSubmissions",
        "id": submission_id,
        "attributes": attributes,
        "relationships": {
            "items": {"data": [{"type": "reviewSubmissionItems", "id": i} for i in items]}
        },
    }


def submission_item(item_id: str, version_id: str, state: str = "READY_FOR_REVIEW") -> Any:
    return {
        "type": "reviewSubmissionItems",
        "id": item_id,
        "attributes": {"state": state},
        "relationships": {
            "appStoreVersion": {"data": {"type": "appStoreVersions", "id": version_id}}
        },
    }


def localization(loc_id: str, locale: str, whats_new: str | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"locale": locale}
    if whats_new is not None:
        attributes["whatsNew"] = whats_new
    return {"type": "appStoreVersionLocalizations", "id": loc_id, "attributes": attributes}


def territory(territory_id: str, available: bool) -> dict[str, Any]:
    return {
        "type": "territoryAvailabilities",
        "id": territory_id,
        "attributes": {"available": available, "contentStatuses": ["AVAILABLE"]},
    }


# -- Sentry --------------------------------------------------------------------------------------


def sessions_body(totals: dict[str, Any] | None) -> dict[str, Any]:
    """The sessions endpoint's answer (docs.sentry.io), one group or none."""
    intervals = ["2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"]
    groups = []
    if totals is not None:
        groups.append(
            {
                "by": {},
                "totals": totals,
                "series": {name: [value, value] for name, value in totals.items()},
            }
        )
    return {
        "start": "2026-03-02T10:00:00Z",
        "end": "2026-03-02T12:00:00Z",
        "intervals": intervals,
        "groups": groups,
        "query": "",
    }


# -- conformance ---------------------------------------------------------------------------------

# Used by the client but cut from the trimmed description: (method, path regex) → the component
# each answer's `data` item must match (None: no component carried for it).
UNDESCRIBED: dict[tuple[str, str], str | None] = {
    ("GET", r"/v1/apps/[^/]+/betaGroups"): "BetaGroup",
    ("PATCH", r"/v1/builds/[^/]+"): "Build",
    ("GET", r"/v1/appStoreVersions/[^/]+/appStoreVersionLocalizations"): (
        "AppStoreVersionLocalization"
    ),
    ("PATCH", r"/v1/appStoreVersionLocalizations/[^/]+"): "AppStoreVersionLocalization",
    ("POST", r"/v1/appStoreVersionLocalizations"): "AppStoreVersionLocalization",
    ("GET", r"/v1/apps/[^/]+/appAvailabilityV2"): None,
    ("GET", r"/v2/appAvailabilities/[^/]+/territoryAvailabilities"): None,
    ("PATCH", r"/v1/territoryAvailabilities/[^/]+"): None,
}


def check_exchange(exchange: Exchange) -> bool:
    """Hold one exchange to the description: the request always, the answer when the operation
    documents its status. Returns whether the path is in the description at all."""

    request, response = exchange.request, exchange.response
    found = operation_for(APP_STORE_CONNECT, request.method, request.url.path)
    if found is None:
        for (method, pattern), component in UNDESCRIBED.items():
            if method == request.method and re.fullmatch(pattern, request.url.path):
                if component is not None and response is not None and response.is_success:
                    data = response.json().get("data")
                    for item in data if isinstance(data, list) else [data]:
                        validate_component(APP_STORE_CONNECT, component, item)
                return False
        raise AssertionError(f"{request.method} {request.url.path}: not a known operation")
    documented = response is not None and str(response.status_code) in found[1]["responses"]
    validate_exchange(APP_STORE_CONNECT, request, response if documented else None)
    sent = set(request.url.params.keys()) - {"cursor"}  # opaque, from Apple's own links.next
    declared = declared_query_parameters(APP_STORE_CONNECT, request.method, request.url.path)
    assert sent <= declared, f"{request.method} {request.url.path}: undeclared {sent - declared}"
    return True
