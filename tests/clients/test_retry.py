"""The shared retry loop, driven through real clients over httpx.MockTransport and fake time."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from clients import CloudflareClient, NotFoundError, ProviderError, RetryPolicy
from tests.clients._canned import ACCOUNT, REPO, SCRIPT, cf_deployment, gh_error, gh_pull
from tests.clients._support import TOKEN, FakeTime, Reply, cf_error, cf_ok
from tests.clients.conftest import CLOUDFLARE_URL

pytestmark = pytest.mark.anyio

DEPLOYMENTS = r"/client/v4/accounts/\w+/workers/scripts/[\w-]+/deployments"
PULL = r"/repos/octo-org/edge-api/pulls/42"
LIVE = cf_ok(
    {"deployments": [cf_deployment("d1", [("v1", 100)], created_on="2026-03-02T09:00:00Z")]}
)


async def test_5xx_is_retried_until_an_answer(cloudflare, provider, fake_time):
    provider.on("GET", DEPLOYMENTS, Reply(502, text="bad gateway"), Reply(503, json={}), LIVE)
    deployments = await cloudflare.list_deployments(ACCOUNT, SCRIPT)
    assert [d.id for d in deployments] == ["d1"]
    assert len(provider.exchanges) == 3
    assert len(fake_time.sleeps) == 2
    assert all(0.0 <= s <= 5.0 for s in fake_time.sleeps)


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.ConnectError, httpx.RemoteProtocolError],
)
async def test_timeouts_and_transport_errors_are_retried_for_reads(cloudflare, provider, error):
    provider.on("GET", DEPLOYMENTS, Reply(error=error), LIVE)
    assert (await cloudflare.live_deployment(ACCOUNT, SCRIPT)) is not None
    assert len(provider.exchanges) == 2


async def test_429_waits_exactly_what_retry_after_asks(cloudflare, provider, fake_time):
    provider.on("GET", DEPLOYMENTS, Reply(429, json={}, headers={"Retry-After": "7"}), LIVE)
    await cloudflare.list_deployments(ACCOUNT, SCRIPT)
    # Honoured as asked, even though it is longer than max_delay_s (5 s).
    assert fake_time.sleeps == [7.0]


async def test_retry_after_as_http_date(cloudflare, provider, fake_time):
    when = email.utils.formatdate(time.time() + 4, usegmt=True)
    provider.on("GET", DEPLOYMENTS, Reply(429, json={}, headers={"Retry-After": when}), LIVE)
    await cloudflare.list_deployments(ACCOUNT, SCRIPT)
    assert len(fake_time.sleeps) == 1 and 2.0 <= fake_time.sleeps[0] <= 4.0


async def test_an_unreadable_retry_after_falls_back_to_backoff(cloudflare, provider, fake_time):
    provider.on("GET", DEPLOYMENTS, Reply(429, json={}, headers={"Retry-After": "soon"}), LIVE)
    await cloudflare.list_deployments(ACCOUNT, SCRIPT)
    assert len(fake_time.sleeps) == 1 and 0.0 < fake_time.sleeps[0] <= 0.2


async def test_retry_after_beyond_the_budget_fails_now_and_says_when(
    cloudflare, provider, fake_time
):
    # Cloudflare's global limit blocks for 5 minutes; sleeping out our 30 s budget cannot help.
    provider.on("GET", DEPLOYMENTS, Reply(429, json={}, headers={"Retry-After": "300"}))
    with pytest.raises(ProviderError) as caught:
        await cloudflare.list_deployments(ACCOUNT, SCRIPT)
    assert caught.value.status == 429
    assert caught.value.retry_after == 300
    assert fake_time.sleeps == []
    assert len(provider.exchanges) == 1


async def test_bounded_in_attempts(cloudflare, provider, fake_time):
    provider.on("GET", DEPLOYMENTS, cf_error(503, 10013, "service unavailable"))
    with pytest.raises(ProviderError) as caught:
        await cloudflare.list_deployments(ACCOUNT, SCRIPT)
    assert len(provider.exchanges) == 6  # RetryPolicy().max_attempts
    assert caught.value.status == 503
    assert caught.value.code == 10013
    assert "6 attempt(s)" in caught.value.detail


async def test_bounded_in_total_time_including_slow_attempts(provider, fake_time):
    # Each attempt burns 8 s before failing: the 30 s budget ends the loop, not the attempt count.
    provider.on("GET", DEPLOYMENTS, Reply(error=httpx.ReadTimeout, takes_s=8.0))
    policy = fake_time.policy(max_attempts=100, max_total_s=30.0)
    async with CloudflareClient(
        CLOUDFLARE_URL, TOKEN, transport=provider.transport, retry=policy
    ) as client:
        started = fake_time.now
        with pytest.raises(ProviderError) as caught:
            await client.list_deployments(ACCOUNT, SCRIPT)
    assert fake_time.now - started <= 30.0
    assert 2 <= len(provider.exchanges) <= 4
    assert caught.value.status is None and "ReadTimeout" in caught.value.detail


async def test_request_timeout_never_outlives_the_budget(provider, fake_time):
    provider.on("GET", DEPLOYMENTS, LIVE)
    policy = fake_time.policy(max_total_s=4.0)
    async with CloudflareClient(
        CLOUDFLARE_URL, TOKEN, transport=provider.transport, retry=policy, timeout=10.0
    ) as client:
        await client.list_deployments(ACCOUNT, SCRIPT)
    assert provider.exchanges[0].request.extensions["timeout"]["read"] == pytest.approx(4.0)


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422])
async def test_other_4xx_are_not_retried(github, provider, fake_time, status):
    provider.on("GET", PULL, Reply(status, gh_error("nope")))
    with pytest.raises(ProviderError) as caught:
        await github.get_pull(REPO, 42)
    assert len(provider.exchanges) == 1 and fake_time.sleeps == []
    assert caught.value.status == status and not isinstance(caught.value, NotFoundError)
    assert caught.value.detail == "nope"


async def test_404_is_not_found_and_not_retried(github, provider):
    provider.on("GET", PULL, Reply(404, gh_error("Not Found")))
    with pytest.raises(NotFoundError):
        await github.get_pull(REPO, 42)
    assert len(provider.exchanges) == 1


async def test_github_secondary_rate_limit_403_is_retried_after_the_wait(
    github, provider, fake_time
):
    limited = Reply(403, gh_error("secondary rate limit"), headers={"Retry-After": "2"})
    provider.on("GET", PULL, limited, Reply(200, gh_pull()))
    assert (await github.get_pull(REPO, 42)).number == 42
    assert fake_time.sleeps == [2.0]


async def test_github_spent_primary_limit_reports_the_reset(github, provider, fake_time):
    reset = str(int(time.time()) + 1800)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    provider.on("GET", PULL, Reply(403, gh_error("API rate limit exceeded"), headers=headers))
    with pytest.raises(ProviderError) as caught:
        await github.get_pull(REPO, 42)
    assert caught.value.retry_after is not None and caught.value.retry_after > 1700
    assert fake_time.sleeps == []


async def test_a_read_back_spends_the_writes_budget_not_a_fresh_one(provider, fake_time):
    # Every write answer is lost and every read-back fails: the whole thing still ends on time.
    provider.on("POST", DEPLOYMENTS, Reply(502, text="lost", takes_s=3.0))
    async with CloudflareClient(
        CLOUDFLARE_URL, TOKEN, transport=provider.transport, retry=fake_time.policy(max_total_s=20)
    ) as client:
        started = fake_time.now
        provider.on("GET", DEPLOYMENTS, LIVE, Reply(503, text="down", takes_s=3.0))
        with pytest.raises(ProviderError):
            await client.deploy(ACCOUNT, SCRIPT, "v2", message="deploy v2")
    assert fake_time.now - started <= 20.0
    assert len(provider.calls("POST", DEPLOYMENTS)) == 1


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(max_total_s=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay_s=2.0, max_delay_s=1.0)


def test_policy_equality_ignores_the_time_seams():
    assert RetryPolicy(sleep=FakeTime().sleep) == RetryPolicy()
    assert "sleep" not in repr(RetryPolicy())


async def test_backoff_is_capped_exponential_with_jitter(provider, fake_time):
    # tenacity's wait_exponential_jitter: base/2 * 2**(n-1) plus up to base/2, at most 5 s.
    provider.on("GET", DEPLOYMENTS, Reply(503, text="down"))
    policy = fake_time.policy(max_attempts=12, max_total_s=1000.0)
    async with CloudflareClient(
        CLOUDFLARE_URL, TOKEN, transport=provider.transport, retry=policy
    ) as client:
        with pytest.raises(ProviderError):
            await client.list_deployments(ACCOUNT, SCRIPT)
    assert len(fake_time.sleeps) == 11
    half = policy.base_delay_s / 2
    for n, slept in enumerate(fake_time.sleeps, start=1):
        floor = min(policy.max_delay_s, half * 2 ** (n - 1))
        assert floor <= slept <= min(policy.max_delay_s, floor + half)
    assert fake_time.sleeps[-1] == policy.max_delay_s
