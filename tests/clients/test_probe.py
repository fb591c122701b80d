"""WorkerProbe: failures come back as results, never as exceptions."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest

from clients import WorkerProbe
from tests.clients._support import FakeTime, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio

HEALTH = "https://edge.example.com/healthz"
CHALLENGE = "https://edge.example.com/v1/keys/challenge"
PROOF = "https://edge.example.com/v1/keys/proof"
VERIFY = "https://edge.example.com/v1/keys/verification"


@pytest.fixture
async def probe(provider: ScriptedProvider, fake_time: FakeTime) -> AsyncIterator[WorkerProbe]:
    policy = fake_time.policy(max_attempts=2, max_total_s=10)
    async with WorkerProbe(transport=provider.transport, retry=policy) as probe:
        yield probe


async def test_healthy(probe, provider):
    provider.on("GET", "/healthz", Reply(200, {"status": "ok", "version_id": "v-9"}))
    result = await probe.health(HEALTH)
    assert result.ok and result.status_code == 200 and result.version_id == "v-9"
    assert result.latency_ms >= 0
    assert "authorization" not in provider.exchanges[0].request.headers


async def test_version_from_the_version_metadata_binding_shape(probe, provider):
    provider.on("GET", "/healthz", Reply(200, {"status": "ok", "version": {"id": "v-7"}}))
    assert (await probe.health(HEALTH)).version_id == "v-7"


async def test_health_can_pin_a_version_for_a_smoke_test(probe, provider):
    provider.on("GET", "/healthz", Reply(200, {"status": "ok"}))
    override = {"Cloudflare-Workers-Version-Overrides": 'edge-api="v-9"'}
    await probe.health(HEALTH, headers=override)
    sent = provider.exchanges[0].request.headers
    assert sent["cloudflare-workers-version-overrides"] == 'edge-api="v-9"'


@pytest.mark.parametrize(
    ("reply", "status", "detail"),
    [
        (Reply(200, {"status": "degraded"}), 200, "status is 'degraded'"),
        (Reply(200, text="OK"), 200, "not a JSON object"),
        (Reply(404, {"status": "ok"}), 404, "HTTP 404"),
        (Reply(503, {"status": "down"}), 503, "retry budget"),
        (Reply(error=httpx.ConnectError), None, "ConnectError"),
        (Reply(error=httpx.ReadTimeout), None, "ReadTimeout"),
    ],
    ids=["degraded", "not-json", "404", "503", "connect-error", "timeout"],
)
async def test_unhealthy_never_raises(probe, provider, reply, status, detail):
    provider.on("GET", "/healthz", reply)
    result = await probe.health(HEALTH)
    assert not result.ok
    assert result.status_code == status
    assert detail in result.detail


async def test_health_retries_once_by_default(probe, provider):
    provider.on("GET", "/healthz", Reply(502, text="bad gateway"), Reply(200, {"status": "ok"}))
    assert (await probe.health(HEALTH)).ok
    assert len(provider.exchanges) == 2


def _key_flow(provider, *, proof=None, verification=None):
    provider.on("POST", "/v1/keys/challenge", Reply(200, {"challenge_id": "c-1", "nonce": "n0nce"}))
    provider.on("POST", "/v1/keys/proof", proof or Reply(200, {"proof_token": "pt-1"}))
    provider.on(
        "POST",
        "/v1/keys/verification",
        verification or Reply(200, {"verified": True, "version_id": "v-9"}),
    )


async def test_key_flow_end_to_end(probe, provider):
    _key_flow(provider)
    result = await probe.key_flow(CHALLENGE, PROOF, VERIFY)
    assert result.ok and result.failed_step is None and result.version_id == "v-9"
    challenge, proof, verification = provider.exchanges
    assert challenge.body == {}
    assert proof.body == {"challenge_id": "c-1", "proof": hashlib.sha256(b"n0nce").hexdigest()}
    assert verification.body == {"proof_token": "pt-1"}


async def test_key_flow_not_verified(probe, provider):
    _key_flow(provider, verification=Reply(200, {"verified": False}))
    result = await probe.key_flow(CHALLENGE, PROOF, VERIFY)
    assert not result.ok and result.failed_step == "verification"
    assert "False" in result.detail


async def test_key_flow_lost_proof_answer_is_not_resent(probe, provider):
    # A proof may consume the challenge: repeating it would report a false failure or worse.
    _key_flow(provider, proof=Reply(502, text="bad gateway"))
    result = await probe.key_flow(CHALLENGE, PROOF, VERIFY)
    assert not result.ok and result.failed_step == "proof"
    assert len(provider.calls("POST", "/v1/keys/proof")) == 1
    assert provider.calls("POST", "/v1/keys/verification") == []


async def test_key_flow_challenge_is_retried(probe, provider):
    _key_flow(provider)
    provider.on(
        "POST",
        "/v1/keys/challenge",
        Reply(503, text="busy"),
        Reply(200, {"challenge_id": "c-2", "nonce": "x"}),
    )
    assert (await probe.key_flow(CHALLENGE, PROOF, VERIFY)).ok


@pytest.mark.parametrize(
    ("step", "reply"),
    [
        ("challenge", Reply(200, {"nonce": "n"})),
        ("proof", Reply(401, {"error": "bad proof"})),
        ("proof", Reply(200, text="not json")),
        ("verification", Reply(error=httpx.ConnectError)),
    ],
    ids=["challenge-shape", "proof-refused", "proof-not-json", "verification-unreachable"],
)
async def test_key_flow_names_the_failing_step(probe, provider, step, reply):
    _key_flow(provider)
    provider.on("POST", f"/v1/keys/{step}", reply)
    result = await probe.key_flow(CHALLENGE, PROOF, VERIFY)
    assert not result.ok and result.failed_step == step and result.detail


async def test_a_borrowed_http_client_is_left_open(provider):
    async with httpx.AsyncClient(transport=provider.transport) as http:
        provider.on("GET", "/healthz", Reply(200, {"status": "ok"}))
        async with WorkerProbe(http=http) as probe:
            assert (await probe.health(HEALTH)).ok
        assert not http.is_closed
