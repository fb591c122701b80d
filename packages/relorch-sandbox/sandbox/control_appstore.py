"""SandboxControl's methods for the fake App Store Connect and Sentry: API keys and JWTs, apps
and their pacing, build uploads, processing failures, the reviewer's decisions, an app's full
state, and Sentry release health. HTTP only (signing a JWT is local crypto, no server import)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import jwt

from sandbox.appstore.keys import new_api_key
from sandbox.appstore.wire import AUDIENCE

__all__ = ["AppStoreControl", "asc_jwt"]

DEFAULT_LIFETIME_S = 600


def asc_jwt(
    key: dict[str, str],
    *,
    now: datetime | float | None = None,
    lifetime_s: int = DEFAULT_LIFETIME_S,
    **claims: Any,
) -> str:
    """An App Store Connect bearer JWT for `key` ({key_id, issuer_id, private_key}); `now` is the
    issue time (pass the sandbox clock when it is not the wall clock); claims override."""
    if isinstance(now, datetime):
        issued = int(now.timestamp())
    else:
        issued = int(now if now is not None else time.time())
    body = {"iss": key["issuer_id"], "aud": AUDIENCE, "iat": issued, "exp": issued + lifetime_s}
    body.update(claims)
    headers = {"kid": key["key_id"], "typ": "JWT"}
    return jwt.encode(body, key["private_key"], algorithm="ES256", headers=headers)


class AppStoreControl:
    """Mixed into SandboxControl, which supplies `_call`."""

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        raise NotImplementedError

    # -- identities ------------------------------------------------------------------------
    def asc_register_key(self, key_id: str, issuer_id: str, public_key_pem: str) -> dict:
        result: dict[str, Any] = self._call(
            "POST",
            "/appstore/keys",
            {"key_id": key_id, "issuer_id": issuer_id, "public_key_pem": public_key_pem},
        )
        return result

    def asc_api_key(self) -> dict[str, str]:
        """A new P-256 key, registered: {key_id, issuer_id, private_key} (sign with asc_jwt)."""
        key_id, issuer_id, private_pem, public_pem = new_api_key()
        self.asc_register_key(key_id, issuer_id, public_pem)
        return {"key_id": key_id, "issuer_id": issuer_id, "private_key": private_pem}

    def asc_rate_limit(self, limit: int) -> None:
        """Requests per key per sandbox-clock hour (Apple: 3600)."""
        self._call("PUT", "/appstore/rate-limit", {"limit": limit})

    # -- apps and builds -------------------------------------------------------------------
    def asc_app(self, app_id: str, bundle_id: str, **settings: Any) -> dict[str, Any]:
        """Create or update an app: name, beta_groups ([name | {name, internal}]),
        processing_seconds, review_seconds, day_seconds, review_outcome, rejection_reason."""
        result: dict[str, Any] = self._call(
            "PUT", f"/appstore/apps/{app_id}", {"bundle_id": bundle_id, **settings}
        )
        return result

    def asc_app_state(self, app_id: str) -> dict[str, Any]:
        """Versions (state, phased release day/state/pause), builds, groups, submissions,
        rejections (with reasons) and the on-sale flag."""
        result: dict[str, Any] = self._call("GET", f"/appstore/apps/{app_id}")
        return result

    def asc_upload_build(
        self,
        app_id: str,
        version: str,
        build_number: str,
        *,
        uses_non_exempt_encryption: bool | None = None,
    ) -> str:
        """What CI's altool/Transporter upload does; returns the build id (PROCESSING)."""
        doc = {
            "version": version,
            "build_number": build_number,
            "uses_non_exempt_encryption": uses_non_exempt_encryption,
        }
        result = self._call("POST", f"/appstore/apps/{app_id}/builds", doc)
        return str(result["id"])

    def asc_live_version(self, app_id: str, version: str, build_number: str) -> str:
        """A version already live at 100 % (the previous release); returns its id."""
        result = self._call(
            "POST",
            f"/appstore/apps/{app_id}/live-version",
            {"version": version, "build_number": build_number},
        )
        return str(result["id"])

    def asc_set_pause_used(self, version_id: str, days: float) -> dict[str, Any]:
        """The version's phased release has already been paused `days` (app) days."""
        result: dict[str, Any] = self._call(
            "POST", f"/appstore/versions/{version_id}/pause-used", {"days": days}
        )
        return result

    def asc_fail_processing(self, build_id: str, state: str = "INVALID") -> None:
        self._call("POST", f"/appstore/builds/{build_id}/processing-failure", {"state": state})

    # -- the reviewer ----------------------------------------------------------------------
    def asc_review(self, app_id: str, action: str, reason: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", f"/appstore/apps/{app_id}/review", {"action": action, "reason": reason}
        )
        return result

    def asc_approve(self, app_id: str) -> dict[str, Any]:
        return self.asc_review(app_id, "approve")

    def asc_reject(self, app_id: str, reason: str) -> dict[str, Any]:
        return self.asc_review(app_id, "reject", reason)

    def asc_hold(self, app_id: str) -> dict[str, Any]:
        """Keep the submission in review until approved or rejected by hand."""
        return self.asc_review(app_id, "hold")

    # -- Sentry ----------------------------------------------------------------------------
    def sentry_health(
        self,
        project: str,
        release: str,
        *,
        crash_free_sessions: float,
        sessions_per_hour: float,
        crash_free_users: float | None = None,
        users_per_hour: float | None = None,
        since: str | None = None,
    ) -> dict[str, Any]:
        """Release health from now (or `since`) on; Sentry's iOS release is bundle@version+build."""
        doc: dict[str, Any] = {
            "project": project,
            "release": release,
            "crash_free_sessions": crash_free_sessions,
            "sessions_per_hour": sessions_per_hour,
        }
        for key, value in (
            ("crash_free_users", crash_free_users),
            ("users_per_hour", users_per_hour),
            ("since", since),
        ):
            if value is not None:
                doc[key] = value
        result: dict[str, Any] = self._call("PUT", "/sentry/health", doc)
        return result
