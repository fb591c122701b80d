"""AppStoreKey: a really signed ES256 JWT with Apple's header and claims, a lifetime within Apple's
20 minutes, caching and renewal on an injected clock, and a private key that never shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from clients import AppStoreKey
from clients._apple_auth import MAX_TOKEN_LIFETIME
from tests.clients._canned_apple import ISSUER, KEY_ID, private_pem, public_pem

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def decode(token: str) -> dict[str, object]:
    return jwt.decode(
        token,
        public_pem(),
        algorithms=["ES256"],
        audience="appstoreconnect-v1",
        options={"verify_exp": False, "verify_iat": False},
    )


async def test_the_token_is_es256_with_apples_header_and_claims():
    key = AppStoreKey(KEY_ID, ISSUER, private_pem(), clock=Clock())
    token = await key.token()
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": KEY_ID, "typ": "JWT"}
    claims = decode(token)  # the signature verifies with the public key
    assert claims == {
        "iss": ISSUER,
        "aud": "appstoreconnect-v1",
        "iat": int((T0 - timedelta(seconds=60)).timestamp()),
        "exp": int((T0 - timedelta(seconds=60)).timestamp()) + 1200,
    }


async def test_a_token_signed_by_another_key_does_not_verify():
    other = ec.generate_private_key(ec.SECP256R1())
    token = await AppStoreKey(KEY_ID, ISSUER, private_pem(other), clock=Clock()).token()
    with pytest.raises(jwt.InvalidSignatureError):
        decode(token)


@pytest.mark.parametrize(
    ("lifetime", "skew"),
    [
        (timedelta(minutes=20), timedelta(seconds=60)),
        (timedelta(minutes=30), timedelta(0)),
        (timedelta(minutes=10), timedelta(seconds=30)),
        (timedelta(minutes=19, seconds=30), timedelta(minutes=5)),
    ],
)
async def test_the_lifetime_never_exceeds_twenty_minutes_from_iat(lifetime, skew):
    key = AppStoreKey(KEY_ID, ISSUER, private_pem(), lifetime=lifetime, skew=skew, clock=Clock())
    claims = decode(await key.token())
    assert isinstance(claims["exp"], int) and isinstance(claims["iat"], int)
    assert claims["exp"] - claims["iat"] <= MAX_TOKEN_LIFETIME.total_seconds()
    assert claims["iat"] == int((T0 - skew).timestamp())
    assert claims["exp"] <= int((T0 + lifetime).timestamp())


async def test_the_token_is_cached_and_signed_again_when_under_two_minutes_are_left():
    clock = Clock()
    key = AppStoreKey(KEY_ID, ISSUER, private_pem(), clock=clock)
    first = await key.token()
    clock.now = T0 + timedelta(minutes=16, seconds=59)  # exp is at T0 + 19 min: 2:01 left
    assert await key.token() == first
    clock.now = T0 + timedelta(minutes=17, seconds=1)
    second = await key.token()
    assert second != first
    assert decode(second)["iat"] == int((clock.now - timedelta(seconds=60)).timestamp())


async def test_invalidate_drops_the_refused_token_only():
    clock = Clock()
    key = AppStoreKey(KEY_ID, ISSUER, private_pem(), clock=clock)
    first = await key.token()
    key.invalidate("some-other-token")
    assert await key.token() == first
    clock.now += timedelta(seconds=1)  # a new iat, so the new token differs
    key.invalidate(first)
    assert await key.token() != first


async def test_the_key_can_be_a_secret_str():
    key = AppStoreKey(KEY_ID, ISSUER, SecretStr(private_pem()), clock=Clock())
    assert decode(await key.token())["iss"] == ISSUER


def test_the_key_is_parsed_once_per_process():
    first = AppStoreKey(KEY_ID, ISSUER, private_pem())
    second = AppStoreKey("OTHERKEYID", ISSUER, private_pem())
    assert first._key is second._key


def test_the_private_key_never_shows():
    pem = private_pem()
    key = AppStoreKey(KEY_ID, ISSUER, pem)
    body = pem.splitlines()[1]
    for text in (repr(key), str(key), repr(vars(key))):
        assert body not in text


@pytest.mark.parametrize("kind", ["garbage", "rsa", "p384"])
def test_a_bad_key_is_refused_without_echoing_it(kind):
    if kind == "garbage":
        pem = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n"
    else:
        other = (
            rsa.generate_private_key(public_exponent=65537, key_size=1024)
            if kind == "rsa"
            else ec.generate_private_key(ec.SECP384R1())
        )
        pem = other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    with pytest.raises(ValueError) as caught:
        AppStoreKey(KEY_ID, ISSUER, pem)
    assert pem.splitlines()[1] not in str(caught.value)


@pytest.mark.parametrize(
    "kwargs",
    [{"lifetime": timedelta(minutes=1)}, {"skew": timedelta(seconds=-1)}],
)
def test_unusable_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        AppStoreKey(KEY_ID, ISSUER, private_pem(), **kwargs)
