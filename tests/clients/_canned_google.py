"""Google-shaped answers for the Play clients, a throwaway service account key, and a token source.
The bodies follow the discovery schemas and are checked against them (test_google_conformance)."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.clients._support import TOKEN

PLAY_URL = "https://androidpublisher.googleapis.com/androidpublisher/v3"
UPLOAD_URL = "https://androidpublisher.googleapis.com/upload/androidpublisher/v3"
REPORTING_URL = "https://playdeveloperreporting.googleapis.com/v1beta1"
TOKEN_URI = "https://oauth2.googleapis.com/token"
PKG = "com.example.wallet"
EDIT = "edit-4f9c"
SA_EMAIL = "release-bot@example-project.iam.gserviceaccount.com"
KEY_ID = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"

APP = f"/androidpublisher/v3/applications/{PKG}"
EDITS = APP + "/edits"
EDIT_PATH = EDITS + r"/[\w-]+"
COMMIT = EDIT_PATH + ":commit"
TRACK = EDIT_PATH + r"/tracks/\w+"
BUNDLES = EDIT_PATH + "/bundles"
UPLOAD = f"/upload/androidpublisher/v3/applications/{PKG}/edits/" + r"[\w-]+/bundles"


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    """One 2048-bit key per test run (generation is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem() -> str:
    return (
        rsa_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def service_account_info(**overrides: Any) -> dict[str, Any]:
    """A key file's JSON, as the Cloud console hands it out."""
    info = {
        "type": "service_account",
        "project_id": "example-project",
        "private_key_id": KEY_ID,
        "private_key": private_pem(),
        "client_email": SA_EMAIL,
        "client_id": "109876543210987654321",
        "token_uri": TOKEN_URI,
    }
    info.update(overrides)
    return info


def pem_fragments() -> list[str]:
    """The key's body lines: none of them may show up anywhere."""
    return [line for line in private_pem().splitlines() if len(line) > 16]


class FakeTokens:
    """An AccessTokenSource handing out TOKEN, then TOKEN-2, ... after each invalidate()."""

    def __init__(self) -> None:
        self.generation = 1
        self.invalidated: list[str] = []
        self.closed = 0

    def current(self) -> str:
        return TOKEN if self.generation == 1 else f"{TOKEN}-{self.generation}"

    async def token(self) -> str:
        return self.current()

    def invalidate(self, token: str) -> None:
        self.invalidated.append(token)
        if token == self.current():
            self.generation += 1

    async def aclose(self) -> None:
        self.closed += 1


# -- androidpublisher ----------------------------------------------------------------------------


def app_edit(edit_id: str = EDIT, expiry: str = "1772496000") -> dict[str, Any]:
    return {"id": edit_id, "expiryTimeSeconds": expiry}


def release(
    codes: list[str],
    status: str,
    *,
    name: str | None = None,
    fraction: float | None = None,
    notes: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"versionCodes": codes, "status": status}
    if name is not None:
        body["name"] = name
    if fraction is not None:
        body["userFraction"] = fraction
    if notes:
        body["releaseNotes"] = [{"language": lang, "text": text} for lang, text in notes]
    return body


def track(name: str, *releases: dict[str, Any]) -> dict[str, Any]:
    return {"track": name, "releases": list(releases)}


def bundle(version_code: int, data: bytes) -> dict[str, Any]:
    return {
        "versionCode": version_code,
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def release_summary(name: str, track_name: str, codes: list[int], state: str) -> dict[str, Any]:
    """applications.tracks.releases: not in the 2024 discovery document (reference §2.5)."""
    return {
        "releaseName": name,
        "track": track_name,
        "activeArtifacts": [{"versionCode": code} for code in codes],
        "releaseLifecycleState": f"RELEASE_LIFECYCLE_STATE_{state}",
    }


def g_error(
    code: int,
    status: str,
    message: str,
    *,
    reason: str | None = None,
    legacy_reason: str | None = None,
) -> dict[str, Any]:
    """Google's JSON error: ErrorInfo `details[].reason` and/or legacy `errors[].reason`."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if legacy_reason is not None:
        error["errors"] = [{"domain": "global", "reason": legacy_reason, "message": message}]
    if reason is not None:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
            }
        ]
    return {"error": error}


IN_REVIEW = g_error(
    400,
    "FAILED_PRECONDITION",
    "You already have changes in review. Cancel this review or wait for it to complete before "
    "you try again.",
    reason="CHANGES_ALREADY_IN_REVIEW",
)


# -- reporting -----------------------------------------------------------------------------------


def metrics_row(hour: int, version_code: int, **metrics: str) -> dict[str, Any]:
    """One HOURLY row of 2026-03-02 (UTC) with decimal metric values given as strings."""
    return {
        "aggregationPeriod": "HOURLY",
        "startTime": {
            "year": 2026,
            "month": 3,
            "day": 2,
            "hours": hour,
            "timeZone": {"id": "UTC"},
        },
        "dimensions": [{"dimension": "versionCode", "int64Value": str(version_code)}],
        "metrics": [
            {"metric": name, "decimalValue": {"value": value}} for name, value in metrics.items()
        ],
    }


def query_answer(*rows: dict[str, Any], next_page: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"rows": list(rows)}
    if next_page is not None:
        body["nextPageToken"] = next_page
    return body
