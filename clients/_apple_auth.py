"""App Store Connect API keys: a short-lived ES256 JWT signed locally, no token exchange.

Apple's rules (developer.apple.com, "Generating tokens for API requests"): header `alg: ES256`,
`kid: <key id>`, `typ: JWT`; claims `iss` (issuer id), `iat`, `exp`, `aud: "appstoreconnect-v1"`;
a token living more than 20 minutes (`exp - iat > 1200 s`) is refused. `iat` is back-dated by
`skew` because a server clock slightly behind ours answers 401 to a token "from the future".

The token is cached and signed again when less than two minutes are left; the .p8 key (PKCS#8 EC
P-256) is parsed once per process. The key is held only as a key object: never logged, never put
in an error or a repr.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePrivateKey
from pydantic import SecretStr

from clients._keys import private_key

__all__ = ["APP_STORE_AUDIENCE", "MAX_TOKEN_LIFETIME", "AppStoreKey"]

APP_STORE_AUDIENCE = "appstoreconnect-v1"
MAX_TOKEN_LIFETIME = timedelta(minutes=20)  # Apple's limit on exp - iat
_RENEW_WHEN_LEFT = timedelta(minutes=2)


def _private_key(pem: str) -> EllipticCurvePrivateKey:
    loaded = private_key(pem, "the App Store Connect private key")
    if not isinstance(loaded, EllipticCurvePrivateKey) or not isinstance(loaded.curve, SECP256R1):
        raise ValueError("an App Store Connect key must be an EC P-256 private key (.p8)")
    return loaded


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AppStoreKey:
    """An `AccessTokenSource` (for `SourcedAuth`) handing out App Store Connect JWTs.

    `iat = now - skew`, `exp = now + lifetime`, but never more than 20 minutes after `iat`.
    `clock` (aware datetimes) is the seam tests use to move time.
    """

    def __init__(
        self,
        key_id: str,
        issuer_id: str,
        private_key_pem: str | SecretStr,
        *,
        lifetime: timedelta = MAX_TOKEN_LIFETIME,
        skew: timedelta = timedelta(seconds=60),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not key_id or not issuer_id:
            raise ValueError("key_id and issuer_id are required")
        if skew < timedelta(0):
            raise ValueError("skew must not be negative")
        if lifetime <= _RENEW_WHEN_LEFT:
            raise ValueError("lifetime must be longer than two minutes")
        pem = (
            private_key_pem.get_secret_value()
            if isinstance(private_key_pem, SecretStr)
            else private_key_pem
        )
        self.key_id = key_id
        self.issuer_id = issuer_id
        self._key = _private_key(pem)
        self._lifetime = lifetime
        self._skew = skew
        self._clock = clock or _utc_now
        self._token: SecretStr | None = None
        self._expires: datetime | None = None
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"AppStoreKey(key_id={self.key_id!r}, issuer_id={self.issuer_id!r})"

    async def token(self) -> str:
        """A signed JWT, the cached one while more than two minutes of it are left."""
        now = self._clock()
        with self._guard:
            if (
                self._token is not None
                and self._expires is not None
                and self._expires - now > _RENEW_WHEN_LEFT
            ):
                return self._token.get_secret_value()
            issued = now - self._skew
            expires = min(now + self._lifetime, issued + MAX_TOKEN_LIFETIME)
            token = jwt.encode(
                {
                    "iss": self.issuer_id,
                    "iat": int(issued.timestamp()),
                    "exp": int(expires.timestamp()),
                    "aud": APP_STORE_AUDIENCE,
                },
                self._key,
                algorithm="ES256",
                headers={"kid": self.key_id, "typ": "JWT"},
            )
            self._token, self._expires = SecretStr(token), expires
            return token

    def invalidate(self, token: str) -> None:
        """Drop `token` (Apple refused it); the next `token()` signs a new one."""
        with self._guard:
            if self._token is not None and self._token.get_secret_value() == token:
                self._token = self._expires = None
