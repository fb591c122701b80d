"""App Store Connect auth (ES256 JWTs on the sandbox clock), the hourly rate limit, faults, and
the spec check the other App Store tests rely on."""

# Fixtures come from asc_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest
from openapi_core import OpenAPI

from sandbox.appstore.keys import new_api_key
from sandbox.control_appstore import asc_jwt
from tests.sandbox.asc_helpers import (  # noqa: F401  (fixtures)
    APP_ID,
    Asc,
    _control,
    _http,
    asc,
    clock,
    sandbox,
    spec,
    spec_problems,
)


def _refused(asc: Asc, token: str) -> dict[str, Any]:
    response = asc.get("/v1/builds", token=token)
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["code"] == "NOT_AUTHORIZED" and error["status"] == "401"
    assert token not in response.text
    return error


def test_a_good_token_passes(asc: Asc) -> None:
    assert asc.get("/v1/builds", params={"filter[app]": APP_ID}).status_code == 200


def test_no_token(asc: Asc) -> None:
    response = asc.get("/v1/builds", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_bad_signature(asc: Asc) -> None:
    _, _, other_private, _ = new_api_key()
    forged = asc_jwt({**asc.key, "private_key": other_private}, now=asc.clock())
    assert "signature" in _refused(asc, forged)["detail"]


def test_unknown_kid(asc: Asc) -> None:
    token = asc_jwt({**asc.key, "key_id": "NOTMYKEY00"}, now=asc.clock())
    assert "registered" in _refused(asc, token)["detail"]


def test_wrong_audience(asc: Asc) -> None:
    token = asc_jwt(asc.key, now=asc.clock(), aud="apple-developer-enterprise-v1")
    assert "audience" in _refused(asc, token)["detail"]


def test_lifetime_over_twenty_minutes(asc: Asc) -> None:
    token = asc_jwt(asc.key, now=asc.clock(), lifetime_s=20 * 60 + 1)
    assert "20 minutes" in _refused(asc, token)["detail"]
    assert asc.get(
        "/v1/builds", token=asc_jwt(asc.key, now=asc.clock(), lifetime_s=1200)
    ).is_success


def test_expired_and_future_tokens(asc: Asc) -> None:
    now = asc.clock().timestamp()
    assert "expired" in _refused(asc, asc_jwt(asc.key, now=now - 1200))["detail"]
    assert asc.get("/v1/builds", token=asc_jwt(asc.key, now=now + 60)).is_success  # skew
    assert "future" in _refused(asc, asc_jwt(asc.key, now=now + 61))["detail"]


def test_other_algorithms_are_refused(asc: Asc) -> None:
    claims = {"iss": asc.key["issuer_id"], "aud": "appstoreconnect-v1"}
    now = int(asc.clock().timestamp())
    token = jwt.encode(
        {**claims, "iat": now, "exp": now + 600},
        "a-shared-secret-that-is-long-enough-for-hs256",
        algorithm="HS256",
        headers={"kid": asc.key["key_id"]},
    )
    assert "ES256" in _refused(asc, token)["detail"]


def test_rate_limit_header_and_429(asc: Asc) -> None:
    asc.ctl.asc_rate_limit(3)
    first = asc.get("/v1/builds")
    assert first.headers["x-rate-limit"] == "user-hour-lim:3;user-hour-rem:2;"
    asc.get("/v1/builds")
    assert asc.get("/v1/builds").headers["x-rate-limit"] == "user-hour-lim:3;user-hour-rem:0;"
    limited = asc.get("/v1/builds")
    assert limited.status_code == 429
    assert limited.json()["errors"][0]["code"] == "RATE_LIMIT_EXCEEDED"
    asc.clock.advance(3600)  # a new clock hour
    assert asc.get("/v1/builds").headers["x-rate-limit"] == "user-hour-lim:3;user-hour-rem:2;"


def test_faults_answer_in_apples_shape(asc: Asc) -> None:
    asc.ctl.add_fault("app-store-connect", "status", status=503, count=1)
    failed = asc.get("/v1/builds")
    assert failed.status_code == 503
    assert failed.json()["errors"][0]["status"] == "503"
    asc.ctl.add_fault("app-store-connect", "rate_limit", retry_after=7, count=1)
    limited = asc.get("/v1/builds")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    build_id = asc.ctl.asc_upload_build(APP_ID, "1.0.0", "1")
    asc.clock.advance(300)
    asc.ctl.add_fault("app-store-connect", "drop_after_commit", method="PATCH", count=1)
    body = {
        "data": {"type": "builds", "id": build_id, "attributes": {"usesNonExemptEncryption": True}}
    }
    assert asc.patch(f"/v1/builds/{build_id}", body).status_code == 502
    assert asc.state()["builds"][0]["uses_non_exempt_encryption"] is True  # applied anyway
    logged = asc.ctl.requests("app-store-connect")
    assert logged[-1]["path"] == f"/v1/builds/{build_id}"
    assert "eyJ" not in str(logged[-1]["headers"])  # the JWT is redacted in the log


def test_the_spec_check_catches_a_wrong_answer(spec: OpenAPI) -> None:
    request = httpx.Request("GET", "http://sandbox/appstore/v1/builds/1")
    wrong = httpx.Response(
        200, json={"data": {"type": "apps", "id": "1"}, "links": {"self": "x"}}, request=request
    )
    assert spec_problems(spec, wrong)
    right = httpx.Response(
        200, json={"data": {"type": "builds", "id": "1"}, "links": {"self": "x"}}, request=request
    )
    assert spec_problems(spec, right) == []


@pytest.mark.parametrize("path", ["/v1/builds/nope", "/v1/appStoreVersions/nope"])
def test_not_found(asc: Asc, path: str) -> None:
    response = asc.get(path)
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NOT_FOUND"
