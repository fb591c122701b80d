"""SandboxControl's methods for the fake Google Play: service accounts and tokens, apps and their
review behaviour, the reviewer's decisions, vitals, state, and CI's internal-track upload.
HTTP only, like the rest of SandboxControl (signing a JWT is local crypto, no server import)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
import jwt

from sandbox.googleplay.keys import new_service_account
from sandbox.googleplay.wire import ANDROIDPUBLISHER_SCOPE, REPORTING_SCOPE, TOKEN_PATH

API_SCOPES = (ANDROIDPUBLISHER_SCOPE, REPORTING_SCOPE)


class PlayControlError(RuntimeError):
    """A call through the real Google Play API (not the admin API) failed."""


class PlayControl:
    """Mixed into SandboxControl, which supplies `_call`, `_http` and `base_url`."""

    base_url: str
    _http: httpx.Client

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        raise NotImplementedError

    @property
    def play_token_uri(self) -> str:
        """The sandbox's token endpoint (a service account's `token_uri`)."""
        return self.base_url + TOKEN_PATH

    # -- identities ----------------------------------------------------------------------------
    def play_register_service_account(self, client_email: str, public_key_pem: str) -> dict:
        """Accept JWTs signed by this key for `client_email` (several keys may be registered)."""
        result: dict[str, Any] = self._call(
            "POST",
            "/googleplay/service-accounts",
            {"client_email": client_email, "public_key_pem": public_key_pem},
        )
        return result

    def play_service_account(self, *, client_email: str | None = None) -> dict[str, Any]:
        """A new key pair, registered; returns the service-account JSON (token_uri = here)."""
        account, public_pem = new_service_account(self.play_token_uri, client_email=client_email)
        self.play_register_service_account(account["client_email"], public_pem)
        return account

    def play_token(
        self, service_account: Mapping[str, Any], scopes: Iterable[str] = API_SCOPES
    ) -> str:
        """An access token through the real JWT-bearer grant, as google-auth obtains one."""
        now = int(time.time())
        claims = {
            "iss": service_account["client_email"],
            "scope": " ".join(scopes),
            "aud": service_account.get("token_uri") or self.play_token_uri,
            "iat": now,
            "exp": now + 3600,
        }
        assertion = jwt.encode(
            claims,
            service_account["private_key"],
            algorithm="RS256",
            headers={"kid": service_account.get("private_key_id", "")},
        )
        response = self._http.post(
            TOKEN_PATH,
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
            },
        )
        if response.is_error:
            raise PlayControlError(f"token grant failed: {response.status_code} {response.text}")
        return str(response.json()["access_token"])

    def play_issue_token(
        self, *, client_email: str | None = None, scopes: Iterable[str] = API_SCOPES
    ) -> str:
        """An access token minted by the admin API, without a JWT (tests not about auth)."""
        doc: dict[str, Any] = {"scopes": list(scopes)}
        if client_email is not None:
            doc["client_email"] = client_email
        return str(self._call("POST", "/googleplay/tokens", doc)["access_token"])

    # -- apps and review -----------------------------------------------------------------------
    def play_app(
        self,
        package_name: str,
        *,
        managed_publishing: bool = False,
        review_seconds: float = 2.0,
        review_outcome: str = "approve",
        rejection_reason: str | None = None,
        edit_ttl_seconds: float = 3600.0,
        production_version_code: int | None = None,
        production_release_name: str | None = None,
    ) -> dict[str, Any]:
        """Create an app or update its settings; returns its state. Reviews take `review_seconds`
        on the sandbox clock and end with `review_outcome` ("approve" | "reject"). Give
        `production_version_code` for an app already live on production (Play refuses to stage
        a track's first release)."""
        doc: dict[str, Any] = {
            "managed_publishing": managed_publishing,
            "review_seconds": review_seconds,
            "review_outcome": review_outcome,
            "rejection_reason": rejection_reason,
            "edit_ttl_seconds": edit_ttl_seconds,
        }
        if production_version_code is not None:
            doc["production_version_code"] = production_version_code
            doc["production_release_name"] = production_release_name
        result: dict[str, Any] = self._call("PUT", f"/googleplay/apps/{package_name}", doc)
        return result

    def play_review_now(
        self, package_name: str, outcome: str = "approve", reason: str | None = None
    ) -> dict[str, Any]:
        """Decide the submission in review now ("approve" | "reject"); returns the app's state."""
        result: dict[str, Any] = self._call(
            "POST",
            f"/googleplay/apps/{package_name}/review",
            {"outcome": outcome, "reason": reason},
        )
        return result

    def play_publish(self, package_name: str) -> dict[str, Any]:
        """Managed publishing's "Publish": approved changes go live; returns the app's state."""
        result: dict[str, Any] = self._call("POST", f"/googleplay/apps/{package_name}/publish")
        return result

    def play_send_for_review(self, package_name: str) -> dict[str, Any]:
        """The Console's "Send for review" (after commits with changesNotSentForReview)."""
        result: dict[str, Any] = self._call(
            "POST", f"/googleplay/apps/{package_name}/send-for-review"
        )
        return result

    def play_console_change(self, package_name: str, what: str = "Store listing") -> dict[str, Any]:
        """A Console change that goes to Google's review (commits meanwhile get
        CHANGES_ALREADY_IN_REVIEW); it is decided after the app's review_seconds."""
        result: dict[str, Any] = self._call(
            "POST", f"/googleplay/apps/{package_name}/console-change", {"what": what}
        )
        return result

    def play_set_vitals(
        self,
        package_name: str,
        version_code: int,
        *,
        user_perceived_crash_rate: float = 0.002,
        user_perceived_anr_rate: float = 0.001,
        crash_rate: float | None = None,
        anr_rate: float | None = None,
        distinct_users: int = 5000,
    ) -> dict[str, Any]:
        """What the Reporting API reports for this version (rates as fractions; crash_rate and
        anr_rate default to 1.5x the user-perceived ones; distinct_users 0 = no data)."""
        result: dict[str, Any] = self._call(
            "PUT",
            f"/googleplay/apps/{package_name}/vitals/{version_code}",
            {
                "user_perceived_crash_rate": user_perceived_crash_rate,
                "user_perceived_anr_rate": user_perceived_anr_rate,
                "crash_rate": crash_rate,
                "anr_rate": anr_rate,
                "distinct_users": distinct_users,
            },
        )
        return result

    def play_state(self, package_name: str) -> dict[str, Any]:
        """Tracks (releases with status, fraction and releaseLifecycleState; obsolete ones),
        bundles, open edits, the review in progress and the review log (cancelled reviews too)."""
        result: dict[str, Any] = self._call("GET", f"/googleplay/apps/{package_name}")
        return result

    # -- what CI does --------------------------------------------------------------------------
    def play_upload_internal(
        self,
        package_name: str,
        version_code: int,
        *,
        token: str,
        track: str = "internal",
        release_name: str | None = None,
        changes_not_sent_for_review: bool = False,
    ) -> dict[str, Any]:
        """CI's upload through the real API: insert an edit, upload a bundle, put it on `track`
        as `completed`, commit. Returns {"edit_id", "bundle", "track"}."""
        headers = {"Authorization": f"Bearer {token}"}
        api = f"/google/androidpublisher/v3/applications/{package_name}"
        edit = self._play(self._http.post(f"{api}/edits", headers=headers, json={}))
        edit_id = edit["id"]
        bundle = self._play(
            self._http.post(
                f"/google/upload/androidpublisher/v3/applications/{package_name}/edits/"
                f"{edit_id}/bundles",
                params={"uploadType": "media"},
                headers={**headers, "Content-Type": "application/octet-stream"},
                content=json.dumps({"versionCode": version_code}).encode(),
            )
        )
        release: dict[str, Any] = {"versionCodes": [str(version_code)], "status": "completed"}
        if release_name:
            release["name"] = release_name
        updated = self._play(
            self._http.put(
                f"{api}/edits/{edit_id}/tracks/{track}",
                headers=headers,
                json={"track": track, "releases": [release]},
            )
        )
        params = {"changesNotSentForReview": "true"} if changes_not_sent_for_review else {}
        self._play(self._http.post(f"{api}/edits/{edit_id}:commit", headers=headers, params=params))
        return {"edit_id": edit_id, "bundle": bundle, "track": updated}

    @staticmethod
    def _play(response: httpx.Response) -> dict[str, Any]:
        if response.is_error:
            raise PlayControlError(
                f"{response.request.method} {response.request.url.path}: "
                f"{response.status_code} {response.text}"
            )
        body: dict[str, Any] = response.json()
        return body
