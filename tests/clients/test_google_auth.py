"""ServiceAccountCredentials: a really signed RS256 assertion, the JWT-bearer grant, the token
cache and its refresh, token endpoint errors, and a private key that never shows."""

from __future__ import annotations

import asyncio
import pickle
from urllib.parse import parse_qs

import httpx
import jwt
import pytest

from clients import (
    GOOGLE_TOKEN_URI,
    PLAY_PUBLISHER_SCOPE,
    PLAY_REPORTING_SCOPE,
    NotFoundError,
    ProviderError,
    ServiceAccountCredentials,
)
from tests.clients._canned_google import (
    KEY_ID,
    SA_EMAIL,
    TOKEN_URI,
    pem_fragments,
    rsa_key,
    service_account_info,
)
from tests.clients._support import TOKEN, FakeTime, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class WallClock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self, now: float = 1_772_450_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def granted(token: str = TOKEN, expires_in: int | None = 3599) -> Reply:
    body: dict[str, object] = {"access_token": token, "token_type": "Bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return Reply(200, body)


def credentials(
    provider: ScriptedProvider,
    fake_time: FakeTime,
    clock: WallClock | None = None,
    scopes: tuple[str, ...] = (PLAY_PUBLISHER_SCOPE,),
    **info: object,
) -> ServiceAccountCredentials:
    return ServiceAccountCredentials.from_info(
        service_account_info(**info),
        scopes,
        transport=provider.transport,
        retry=fake_time.policy(),
        clock=clock or WallClock(),
    )


def form(exchange) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(exchange.request.content.decode()).items()}


async def test_the_assertion_is_signed_rs256_and_verifies_with_the_public_key(provider, fake_time):
    provider.on("POST", "/token", granted())
    clock = WallClock()
    creds = credentials(
        provider, fake_time, clock, scopes=(PLAY_PUBLISHER_SCOPE, PLAY_REPORTING_SCOPE)
    )
    async with creds:
        assert await creds.token() == TOKEN
    (post,) = provider.exchanges
    assert str(post.request.url) == TOKEN_URI
    assert post.request.headers["content-type"] == "application/x-www-form-urlencoded"
    sent = form(post)
    assert set(sent) == {"grant_type", "assertion"} and sent["grant_type"] == GRANT
    assertion = sent["assertion"]
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == "RS256" and header["kid"] == KEY_ID
    claims = jwt.decode(
        assertion,
        rsa_key().public_key(),
        algorithms=["RS256"],
        audience=TOKEN_URI,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "iss": SA_EMAIL,
        "scope": f"{PLAY_PUBLISHER_SCOPE} {PLAY_REPORTING_SCOPE}",
        "aud": TOKEN_URI,
        "iat": int(clock.now),
        "exp": int(clock.now) + 3600,
    }


async def test_a_signature_by_another_key_does_not_verify(provider, fake_time):
    from cryptography.hazmat.primitives.asymmetric import rsa

    provider.on("POST", "/token", granted())
    async with credentials(provider, fake_time) as creds:
        await creds.token()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            form(provider.exchanges[0])["assertion"],
            other,
            algorithms=["RS256"],
            audience=TOKEN_URI,
            options={"verify_exp": False, "verify_iat": False},
        )


async def test_the_token_is_cached_until_shortly_before_it_expires(provider, fake_time):
    provider.on("POST", "/token", granted("tok-one-1234567890abcdef"), granted("tok-two-1234567"))
    clock = WallClock()
    async with credentials(provider, fake_time, clock) as creds:
        assert await creds.token() == "tok-one-1234567890abcdef"
        clock.now += 3599 - 301  # still more than five minutes left
        assert await creds.token() == "tok-one-1234567890abcdef"
        assert len(provider.exchanges) == 1
        clock.now += 2  # now less than five minutes left: replaced before it runs out
        assert await creds.token() == "tok-two-1234567"
    assert len(provider.exchanges) == 2
    first, second = (form(e)["assertion"] for e in provider.exchanges)
    assert (
        jwt.decode(second, options={"verify_signature": False})["iat"]
        > jwt.decode(first, options={"verify_signature": False})["iat"]
    )


async def test_a_short_lived_token_is_refreshed_at_half_its_life(provider, fake_time):
    provider.on("POST", "/token", granted("short-lived-token-1", 60), granted("short-lived-2", 60))
    clock = WallClock()
    async with credentials(provider, fake_time, clock) as creds:
        await creds.token()
        clock.now += 29
        assert await creds.token() == "short-lived-token-1"
        clock.now += 2
        assert await creds.token() == "short-lived-2"


async def test_a_token_without_expires_in_is_still_refreshed(provider, fake_time):
    provider.on("POST", "/token", granted("no-expiry-token-1", None), granted("no-expiry-2", None))
    clock = WallClock()
    async with credentials(provider, fake_time, clock) as creds:
        await creds.token()
        clock.now += 301
        assert await creds.token() == "no-expiry-2"


async def test_concurrent_callers_share_one_refresh(provider, fake_time):
    provider.on("POST", "/token", granted())
    async with credentials(provider, fake_time) as creds:
        tokens = await asyncio.gather(*(creds.token() for _ in range(8)))
    assert tokens == [TOKEN] * 8
    assert len(provider.exchanges) == 1


async def test_invalidate_forgets_only_the_token_it_names(provider, fake_time):
    provider.on("POST", "/token", granted("first-token-abcdef"), granted("second-token-abcdef"))
    async with credentials(provider, fake_time) as creds:
        await creds.token()
        creds.invalidate("some-older-token")
        assert await creds.token() == "first-token-abcdef"
        creds.invalidate("first-token-abcdef")
        assert await creds.token() == "second-token-abcdef"


@pytest.mark.parametrize(
    ("info", "explicit", "expected"),
    [
        ({}, None, TOKEN_URI),
        ({"token_uri": "http://127.0.0.1:8700/google/oauth2/token"}, None, "/google/oauth2/token"),
        ({}, "http://127.0.0.1:8700/google/oauth2/token", "/google/oauth2/token"),
        ({"token_uri": None}, None, GOOGLE_TOKEN_URI),
    ],
    ids=["file", "file-sandbox", "argument", "default"],
)
async def test_the_token_uri_is_the_argument_else_the_files_else_googles(
    provider, fake_time, info, explicit, expected
):
    provider.on("POST", r"(/google/oauth2)?/token", granted())
    creds = ServiceAccountCredentials.from_info(
        service_account_info(**info),
        [PLAY_PUBLISHER_SCOPE],
        token_uri=explicit,
        transport=provider.transport,
        retry=fake_time.policy(),
    )
    async with creds:
        await creds.token()
    (post,) = provider.exchanges
    assert str(post.request.url).endswith(expected)
    aud = jwt.decode(form(post)["assertion"], options={"verify_signature": False})["aud"]
    assert aud == str(post.request.url)  # the audience is the endpoint the JWT is sent to


async def test_token_endpoint_errors_are_google_oauth_provider_errors(provider, fake_time):
    provider.on(
        "POST",
        "/token",
        Reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
    )
    async with credentials(provider, fake_time) as creds:
        with pytest.raises(ProviderError) as caught:
            await creds.token()
    error = caught.value
    assert (error.provider, error.operation, error.status, error.code) == (
        "google-oauth",
        "token",
        400,
        "invalid_grant",
    )
    assert error.detail == "Invalid JWT Signature."
    assert len(provider.exchanges) == 1  # a refused grant is final
    assert type(pickle.loads(pickle.dumps(error))) is ProviderError


async def test_token_endpoint_outages_are_retried(provider, fake_time):
    provider.on(
        "POST",
        "/token",
        Reply(503, text="unavailable"),
        Reply(error=httpx.ReadTimeout),
        Reply(429, {"error": "rate_limit_exceeded"}, headers={"Retry-After": "2"}),
        granted(),
    )
    async with credentials(provider, fake_time) as creds:
        assert await creds.token() == TOKEN
    assert len(provider.exchanges) == 4 and 2.0 in fake_time.sleeps


async def test_a_token_endpoint_that_stays_down_ends_in_an_error(provider, fake_time):
    provider.on("POST", "/token", Reply(500, text="oops"))
    async with credentials(provider, fake_time) as creds:
        with pytest.raises(ProviderError) as caught:
            await creds.token()
    assert caught.value.status == 500 and caught.value.provider == "google-oauth"
    assert len(provider.exchanges) == 6


async def test_a_wrong_token_uri_is_not_found(provider, fake_time):
    provider.on("POST", "/token", Reply(404, text="Not Found"))
    async with credentials(provider, fake_time) as creds:
        with pytest.raises(NotFoundError):
            await creds.token()


async def test_an_answer_without_a_token_is_an_error(provider, fake_time):
    provider.on("POST", "/token", Reply(200, {"token_type": "Bearer"}))
    async with credentials(provider, fake_time) as creds:
        with pytest.raises(ProviderError, match="no access_token"):
            await creds.token()


async def test_the_key_the_assertion_and_the_token_never_show(provider, fake_time):
    echoed: list[str] = []

    def echo(request: httpx.Request, _match) -> Reply:
        assertion = parse_qs(request.content.decode())["assertion"][0]
        echoed.append(assertion)
        return Reply(401, {"error": "invalid_client", "error_description": f"bad {assertion}"})

    provider.on("POST", "/token", echo)
    creds = credentials(provider, fake_time)
    async with creds:
        with pytest.raises(ProviderError) as caught:
            await creds.token()
    texts = [str(caught.value), repr(caught.value), caught.value.detail, repr(creds), str(creds)]
    texts.append(repr(vars(creds)))
    for text in texts:
        assert echoed[0] not in text
        for fragment in pem_fragments():
            assert fragment not in text
    assert "[REDACTED]" in caught.value.detail
    assert SA_EMAIL in repr(creds)


async def test_a_cached_token_echoed_back_is_redacted(provider, fake_time):
    provider.on("POST", "/token", granted(), Reply(500, text=f"upstream saw {TOKEN}"))
    clock = WallClock()
    async with credentials(provider, fake_time, clock) as creds:
        await creds.token()
        clock.now += 3600
        with pytest.raises(ProviderError) as caught:
            await creds.token()
    assert TOKEN not in str(caught.value) and TOKEN not in repr(vars(creds))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {
                "private_key": "-----BEGIN PRIVATE KEY-----\nnot-a-key-at-all\n-----END PRIVATE KEY-----"
            },
            "PEM",
        ),
        ({"private_key": ""}, "private_key"),
        ({"client_email": None}, "client_email"),
    ],
    ids=["garbage-key", "no-key", "no-email"],
)
def test_bad_service_account_info_is_refused_without_echoing_it(overrides, message):
    with pytest.raises(ValueError, match=message) as caught:
        ServiceAccountCredentials.from_info(
            service_account_info(**overrides), [PLAY_PUBLISHER_SCOPE]
        )
    assert "not-a-key-at-all" not in str(caught.value)
    # The loader's own exception (which might quote the input) is not chained on.
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_scopes_are_required_and_a_lone_string_is_one_scope():
    with pytest.raises(ValueError, match="scope"):
        ServiceAccountCredentials.from_info(service_account_info(), [])
    creds = ServiceAccountCredentials.from_info(service_account_info(), PLAY_REPORTING_SCOPE)
    assert creds.scopes == (PLAY_REPORTING_SCOPE,)


async def test_after_aclose_the_next_refresh_opens_new_connections(provider, fake_time):
    provider.on("POST", "/token", granted("token-before-close"), granted("token-after-close"))
    clock = WallClock()
    creds = credentials(provider, fake_time, clock)
    assert await creds.token() == "token-before-close"
    await creds.aclose()
    await creds.aclose()  # twice is fine
    clock.now += 3600
    assert await creds.token() == "token-after-close"
    await creds.aclose()


async def test_a_borrowed_http_client_is_used_and_left_open(provider, fake_time):
    provider.on("POST", "/token", granted())
    async with httpx.AsyncClient(transport=provider.transport) as http:
        creds = ServiceAccountCredentials.from_info(
            service_account_info(), [PLAY_PUBLISHER_SCOPE], http=http, retry=fake_time.policy()
        )
        async with creds:
            await creds.token()
        assert not http.is_closed
    with pytest.raises(ValueError):
        ServiceAccountCredentials.from_info(
            service_account_info(),
            [PLAY_PUBLISHER_SCOPE],
            http=http,
            transport=provider.transport,
        )
