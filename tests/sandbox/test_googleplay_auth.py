"""The Google OAuth token endpoint (JWT-bearer grant for service accounts) and the access-token
checks of androidpublisher and the Reporting API, over real HTTP."""

# Fixtures come from play_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from sandbox.clock import ManualClock
from sandbox.googleplay.keys import new_service_account
from tests.sandbox._discovery import OAUTH_ERROR, OAUTH_TOKEN, schema_errors
from tests.sandbox.play_helpers import (  # noqa: F401  (fixtures)
    PKG,
    PUBLISHER,
    REPORTING,
    Play,
    _google,
    clock,
    error,
    keys,
    play,
    sandbox,
)

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def assertion(account: dict[str, Any], *, key: str | None = None, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": account["client_email"],
        "scope": f"{PUBLISHER} {REPORTING}",
        "aud": account["token_uri"],
        "iat": now,
        "exp": now + 3600,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key or account["private_key"], algorithm="RS256")


def grant(play: Play, token: str, grant_type: str = GRANT) -> httpx.Response:
    return play.http.post(
        "/oauth2/token",
        data={"grant_type": grant_type, "assertion": token},
        headers={"Authorization": ""},
    )


def refused(answer: httpx.Response, code: str, description: str = "") -> None:
    assert answer.status_code == 400, answer.text
    assert not schema_errors(OAUTH_ERROR, answer.json())
    assert answer.json()["error"] == code
    assert description in answer.json()["error_description"]


def test_a_signed_assertion_gets_a_bearer_token_for_its_scopes(play: Play) -> None:
    answer = grant(play, assertion(play.account, scope=PUBLISHER))
    assert answer.status_code == 200
    body = answer.json()
    assert not schema_errors(OAUTH_TOKEN, body)
    assert body["expires_in"] == 3599 and body["token_type"] == "Bearer"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert play.http.post(play.app_path("/edits"), headers=headers).status_code == 200
    # The Google audience is accepted as well as the sandbox's own token URL.
    google_aud = grant(play, assertion(play.account, aud="https://oauth2.googleapis.com/token"))
    assert google_aud.status_code == 200


def test_an_assertion_signed_with_another_key_is_refused(play: Play) -> None:
    other, _ = new_service_account(play.account["token_uri"])
    forged = assertion(play.account, key=other["private_key"])
    refused(grant(play, forged), "invalid_grant", "Invalid JWT Signature.")
    hs256 = jwt.encode(
        {"iss": play.account["client_email"]},
        "a-shared-secret-of-at-least-32-bytes!",
        algorithm="HS256",
    )
    refused(grant(play, hs256), "invalid_grant", "Invalid JWT Signature.")


def test_a_second_registered_key_signs_too(play: Play) -> None:
    rotated, public_pem = new_service_account(
        play.account["token_uri"], client_email=play.account["client_email"]
    )
    refused(grant(play, assertion(rotated)), "invalid_grant", "Invalid JWT Signature.")
    play.ctl.play_register_service_account(rotated["client_email"], public_pem)
    assert grant(play, assertion(rotated)).status_code == 200
    assert grant(play, assertion(play.account)).status_code == 200


@pytest.mark.parametrize(
    ("claims", "code", "description"),
    [
        ({"iss": "stranger@evil.iam.gserviceaccount.com"}, "invalid_grant", "account not found"),
        ({"aud": "https://example.com/token"}, "invalid_grant", "Failed audience check"),
        ({"exp": int(time.time()) + 7200}, "invalid_grant", "short-lived token (60 minutes)"),
        (
            {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
            "invalid_grant",
            "reasonable timeframe",
        ),
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 4000}, "invalid_grant", "iat"),
        ({"iat": None}, "invalid_grant", "Check your iat and exp"),
        ({"scope": None}, "invalid_scope", "Invalid OAuth scope"),
        ({"scope": "https://www.googleapis.com/auth/drive"}, "invalid_scope", "androidpublisher"),
        ({"sub": "someone@acme.com"}, "unauthorized_client", "not authorized"),
    ],
)
def test_google_refuses_assertions_it_cannot_trust(
    play: Play, claims: dict[str, Any], code: str, description: str
) -> None:
    refused(grant(play, assertion(play.account, **claims)), code, description)


def test_malformed_grant_requests(play: Play) -> None:
    refused(grant(play, assertion(play.account), "client_credentials"), "unsupported_grant_type")
    refused(grant(play, "not.a.jwt"), "invalid_grant", "Invalid JWT")
    missing = play.http.post("/oauth2/token", data={"grant_type": GRANT})
    refused(missing, "invalid_request", "assertion")


def test_assertion_times_are_checked_against_the_sandbox_clock_too(
    play: Play, clock: ManualClock
) -> None:
    """A client signs with real time; a test's ManualClock may be a day ahead (a soak)."""
    clock.advance(86_400)
    assert grant(play, assertion(play.account)).status_code == 200  # wall clock: fine
    sandbox_now = int(clock().timestamp())
    on_sandbox_time = assertion(play.account, iat=sandbox_now, exp=sandbox_now + 3600)
    assert grant(play, on_sandbox_time).status_code == 200  # sandbox clock: fine too


def test_tokens_carry_their_scopes(play: Play) -> None:
    reporting_only = play.ctl.play_token(play.account, scopes=[REPORTING])
    headers = {"Authorization": f"Bearer {reporting_only}"}
    denied = play.http.post(play.app_path("/edits"), headers=headers)
    assert denied.status_code == 403
    body = error(denied)
    assert body["status"] == "PERMISSION_DENIED"
    assert body["message"] == "Request had insufficient authentication scopes."
    assert body["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert 'error="insufficient_scope"' in denied.headers["WWW-Authenticate"]
    freshness = play.http.get(play.report_path("crashRateMetricSet"), headers=headers)
    assert freshness.status_code == 200

    publisher_only = play.ctl.play_token(play.account, scopes=[PUBLISHER])
    headers = {"Authorization": f"Bearer {publisher_only}"}
    assert play.http.get(play.report_path("crashRateMetricSet"), headers=headers).status_code == 403
    assert play.http.post(play.app_path("/edits"), headers=headers).status_code == 200


@pytest.mark.parametrize("authorization", ["", "Bearer ya29.unknown", "Basic dXNlcjpwYXNz"])
def test_requests_without_a_valid_token_are_401(play: Play, authorization: str) -> None:
    answer = play.http.get(
        play.app_path("/tracks/production/releases"), headers={"Authorization": authorization}
    )
    assert answer.status_code == 401
    body = error(answer)
    assert body["status"] == "UNAUTHENTICATED" and body["code"] == 401
    assert body["errors"][0]["location"] == "Authorization"
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="https://accounts.google')


def test_access_tokens_expire_after_an_hour_of_sandbox_time(play: Play, clock: ManualClock) -> None:
    assert play.http.get(play.app_path("/tracks/production/releases")).status_code == 200
    clock.advance(3598)
    assert play.http.get(play.app_path("/tracks/production/releases")).status_code == 200
    clock.advance(2)
    expired = play.http.get(play.app_path("/tracks/production/releases"))
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    fresh = play.ctl.play_token(play.account)  # what a client does on a 401: a new grant
    headers = {"Authorization": f"Bearer {fresh}"}
    assert play.http.get(play.app_path("/tracks/production/releases"), headers=headers).is_success


def test_admin_minted_tokens_skip_the_grant(play: Play) -> None:
    token = play.ctl.play_issue_token(scopes=[PUBLISHER])
    answer = play.http.post(play.app_path("/edits"), headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_credentials_never_reach_the_request_log(play: Play) -> None:
    play.ctl.clear_requests()
    grant(play, assertion(play.account))
    play.http.get(play.app_path("/tracks/production/releases"))
    (token_call,) = play.ctl.requests("google-oauth")
    assert token_call["path"] == "/token"
    assert token_call["body"] == {"grant_type": GRANT, "assertion": "[redacted]"}
    (api_call,) = play.ctl.requests("googleplay")
    assert api_call["path"] == f"/androidpublisher/v3/applications/{PKG}/tracks/production/releases"
    assert api_call["headers"]["authorization"] == "[redacted]"
    assert play.token not in str(play.ctl.requests())


def test_reset_forgets_service_accounts_and_tokens(play: Play) -> None:
    play.ctl.reset()
    assert play.http.get(play.app_path("/tracks/production/releases")).status_code == 401
    refused(grant(play, assertion(play.account)), "invalid_grant", "account not found")
