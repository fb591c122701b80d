"""The one request path: a process-wide Google token cache that credentials built again in every
task reuse, the RSA key parsed once, and exactly one retry layer per request (Play included)."""

from __future__ import annotations

import json

import pytest

from clients import (
    PLAY_PUBLISHER_SCOPE,
    PLAY_REPORTING_SCOPE,
    PlayPublisherClient,
    ProviderError,
    Release,
    ServiceAccountCredentials,
    StaleEditError,
    Track,
    _google_auth,
    _keys,
)
from tests.clients._canned_google import (
    APP,
    COMMIT,
    EDIT,
    EDIT_PATH,
    EDITS,
    PKG,
    PLAY_URL,
    TRACK,
    app_edit,
    g_error,
    release,
    service_account_info,
    track,
)
from tests.clients._support import TOKEN, FakeTime, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio

RELEASES = APP + "/tracks/production/releases"
CONFLICT = Reply(
    409,
    g_error(
        409,
        "ABORTED",
        "the app was changed by a concurrent update",
        legacy_reason="concurrentUpdate",
    ),
)


class WallClock:
    def __init__(self, now: float = 1_772_450_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def granted(token: str, expires_in: int = 3599) -> Reply:
    return Reply(200, {"access_token": token, "expires_in": expires_in, "token_type": "Bearer"})


def credentials(
    provider: ScriptedProvider,
    fake_time: FakeTime,
    clock: WallClock | None = None,
    scope: str = PLAY_PUBLISHER_SCOPE,
) -> ServiceAccountCredentials:
    """What a task does on every call: a fresh credentials object from the key file's JSON."""
    return ServiceAccountCredentials.from_info(
        service_account_info(),
        [scope],
        transport=provider.transport,
        retry=fake_time.policy(),
        clock=clock or WallClock(),
    )


def play(provider: ScriptedProvider, fake_time: FakeTime, creds: object) -> PlayPublisherClient:
    return PlayPublisherClient(
        PLAY_URL,
        creds,  # type: ignore[arg-type]
        transport=provider.transport,
        retry=fake_time.policy(),
    )


# -- the token cache -------------------------------------------------------------------------------


async def test_two_credentials_of_one_account_share_one_token_grant(provider, fake_time):
    provider.on("POST", "/token", granted(TOKEN), granted("a-second-grant-1234567"))
    provider.on("GET", RELEASES, Reply(200, {"releases": []}))
    for _ in range(2):  # two task runs, each building its own credentials and client
        async with play(provider, fake_time, credentials(provider, fake_time)) as client:
            await client.list_releases(PKG, "production")
    assert len(provider.calls("POST", "/token")) == 1
    sent = [e.request.headers["authorization"] for e in provider.calls("GET", RELEASES)]
    assert sent == [f"Bearer {TOKEN}"] * 2
    assert TOKEN not in repr(_google_auth.TOKENS) and TOKEN not in repr(vars(_google_auth.TOKENS))


async def test_another_scope_is_another_grant(provider, fake_time):
    provider.on("POST", "/token", granted("publisher-token-12345"), granted("reporting-token-1234"))
    publisher = credentials(provider, fake_time, scope=PLAY_PUBLISHER_SCOPE)
    reporting = credentials(provider, fake_time, scope=PLAY_REPORTING_SCOPE)
    assert await publisher.token() == "publisher-token-12345"
    assert await reporting.token() == "reporting-token-1234"
    assert await credentials(provider, fake_time).token() == "publisher-token-12345"
    assert len(provider.calls("POST", "/token")) == 2


async def test_a_shared_token_near_expiry_is_refreshed_once_for_everyone(provider, fake_time):
    provider.on("POST", "/token", granted("first-token-123456"), granted("second-token-12345"))
    clock = WallClock()
    assert await credentials(provider, fake_time, clock).token() == "first-token-123456"
    clock.now += 3599 - 301  # more than the 5 minute margin left: still good
    assert await credentials(provider, fake_time, clock).token() == "first-token-123456"
    clock.now += 2  # inside the margin: replaced before it runs out
    assert await credentials(provider, fake_time, clock).token() == "second-token-12345"
    assert await credentials(provider, fake_time, clock).token() == "second-token-12345"
    assert len(provider.calls("POST", "/token")) == 2


async def test_a_refused_shared_token_is_replaced_for_the_next_credentials_too(provider, fake_time):
    provider.on("POST", "/token", granted(TOKEN), granted("fresh-token-12345678"))
    unauthenticated = Reply(401, g_error(401, "UNAUTHENTICATED", "invalid credentials"))
    provider.on("GET", RELEASES, unauthenticated, Reply(200, {"releases": []}))
    async with play(provider, fake_time, credentials(provider, fake_time)) as client:
        await client.list_releases(PKG, "production")
    assert await credentials(provider, fake_time).token() == "fresh-token-12345678"
    assert len(provider.calls("POST", "/token")) == 2


async def test_the_key_is_parsed_once_per_process(monkeypatch):
    parsed: list[bytes] = []
    real = _keys.load_pem_private_key

    def counting(data: bytes, password: bytes | None = None) -> object:
        parsed.append(data)
        return real(data, password=password)

    monkeypatch.setattr(_keys, "_KEYS", {})
    monkeypatch.setattr(_keys, "load_pem_private_key", counting)
    for scope in (PLAY_PUBLISHER_SCOPE, PLAY_REPORTING_SCOPE, PLAY_PUBLISHER_SCOPE):
        ServiceAccountCredentials.from_info(service_account_info(), [scope])
    assert len(parsed) == 1


# -- one retry layer ---------------------------------------------------------------------------------


async def test_a_503_then_200_is_exactly_two_requests_and_one_grant(provider, fake_time):
    provider.on("POST", "/token", granted(TOKEN))
    provider.on("GET", RELEASES, Reply(503, text="unavailable"), Reply(200, {"releases": []}))
    async with play(provider, fake_time, credentials(provider, fake_time)) as client:
        assert await client.list_releases(PKG, "production") == []
    assert len(provider.calls("GET", RELEASES)) == 2
    assert len(provider.calls("POST", "/token")) == 1
    assert len(fake_time.sleeps) == 1


async def test_a_429_waits_what_retry_after_asks(provider, fake_time):
    provider.on("POST", "/token", granted(TOKEN))
    limited = Reply(429, g_error(429, "RESOURCE_EXHAUSTED", "Quota"), headers={"Retry-After": "4"})
    provider.on("GET", RELEASES, limited, Reply(200, {"releases": []}))
    async with play(provider, fake_time, credentials(provider, fake_time)) as client:
        await client.list_releases(PKG, "production")
    assert fake_time.sleeps == [4.0]
    assert len(provider.calls("GET", RELEASES)) == 2


async def test_a_play_change_the_provider_keeps_failing_ends_after_the_bounded_attempts(
    provider, fake_time
):
    provider.on("POST", "/token", granted(TOKEN))
    provider.on("POST", EDITS, Reply(200, app_edit()))
    provider.on("GET", EDIT_PATH, Reply(200, app_edit()))  # read-back: the edit is still open
    provider.on("DELETE", EDIT_PATH, Reply(204, text=""))
    provider.on("GET", TRACK, Reply(200, track("production", release(["10202"], "completed"))))
    provider.on("PUT", TRACK, lambda request, _: Reply(200, json.loads(request.content)))
    provider.on("POST", COMMIT, Reply(503, text="backend unavailable"))
    async with play(provider, fake_time, credentials(provider, fake_time)) as client:
        with pytest.raises(ProviderError) as caught:
            await client.apply_track_release(
                PKG, "production", Release(version_codes=("10203",), status="completed")
            )
    error = caught.value
    assert (error.provider, error.operation, error.status) == ("google-play", "commit_edit", 503)
    assert "after 6 attempt(s)" in str(error) and TOKEN not in str(error)
    # the policy's attempts, once: neither a second loop around the request nor a new edit
    assert len(provider.calls("POST", COMMIT)) == 6
    assert len(provider.calls("POST", EDITS)) == 1
    assert len(provider.calls("DELETE", EDIT_PATH)) == 1


async def test_a_conflict_the_request_loop_gave_up_on_is_not_retried_in_a_new_edit(
    provider, fake_time
):
    provider.on("POST", "/token", granted(TOKEN))
    provider.on("POST", EDITS, Reply(200, app_edit()))
    provider.on("DELETE", EDIT_PATH, Reply(204, text=""))
    provider.on("GET", TRACK, Reply(200, track("production")))
    provider.on("PUT", TRACK, CONFLICT)
    async with play(provider, fake_time, credentials(provider, fake_time)) as client:
        with pytest.raises(ProviderError) as caught:
            await client.apply_track_release(
                PKG, "production", Release(version_codes=("10203",), status="completed")
            )
    assert caught.value.code == "concurrentUpdate" and not isinstance(caught.value, StaleEditError)
    assert len(provider.calls("PUT", TRACK)) == 6
    assert len(provider.calls("POST", EDITS)) == 1


async def test_a_stale_edit_commit_is_a_stale_edit_error_sent_once(provider, fake_time):
    provider.on("POST", "/token", granted(TOKEN))
    provider.on("POST", COMMIT, CONFLICT)
    provider.on("PUT", TRACK, Reply(200, track("qa")))
    async with play(provider, fake_time, credentials(provider, fake_time)) as client:
        await client.update_track(PKG, EDIT, Track(track="qa", releases=()))
        with pytest.raises(StaleEditError) as caught:
            await client.commit_edit(PKG, EDIT)
    assert caught.value.status == 409
    assert len(provider.calls("POST", COMMIT)) == 1
