"""SentrySessionsClient: the sessions query it sends, the totals it reads, retries, and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from clients import ProviderError, ReleaseHealth, SentrySessionsClient
from tests.clients._canned_apple import SENTRY_URL, sessions_body
from tests.clients._support import TOKEN, FakeTime, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio

ORG = "acme"
PATH = f"/api/0/organizations/{ORG}/sessions/"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
TOTALS = {
    "sum(session)": 1200,
    "crash_free_rate(session)": 0.9975,
    "crash_free_rate(user)": 0.998,
    "count_unique(user)": 800,
}


@pytest.fixture
async def sentry(
    provider: ScriptedProvider, fake_time: FakeTime
) -> AsyncIterator[SentrySessionsClient]:
    async with SentrySessionsClient(
        SENTRY_URL, TOKEN, transport=provider.transport, retry=fake_time.policy()
    ) as client:
        yield client


async def test_release_health_sends_the_sessions_query(sentry, provider):
    provider.on("GET", PATH, Reply(200, sessions_body(TOTALS)))
    health = await sentry.release_health(ORG, 4505, "ios@2.4.0+42", start=START, end=END)
    assert health == ReleaseHealth(
        crash_free_sessions=0.9975, crash_free_users=0.998, sessions=1200, users=800
    )
    (call,) = provider.exchanges
    request = call.request
    assert request.url.path == PATH  # the trailing slash Sentry's routes want
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.url.params.get_list("field") == [
        "sum(session)",
        "crash_free_rate(session)",
        "crash_free_rate(user)",
        "count_unique(user)",
    ]
    assert {k: v for k, v in request.url.params.items() if k != "field"} == {
        "project": "4505",
        "query": 'release:"ios@2.4.0+42"',
        "start": "2026-03-02T10:00:00Z",
        "end": "2026-03-02T12:00:00Z",
        "interval": "1h",
    }


async def test_times_are_sent_in_utc(sentry, provider):
    provider.on("GET", PATH, Reply(200, sessions_body(TOTALS)))
    plus_two = timezone(timedelta(hours=2))
    await sentry.release_health(
        ORG, "1", "r", start=START.astimezone(plus_two), end=END.astimezone(plus_two)
    )
    assert provider.exchanges[0].request.url.params["start"] == "2026-03-02T10:00:00Z"


async def test_quotes_in_a_release_name_are_escaped(sentry, provider):
    provider.on("GET", PATH, Reply(200, sessions_body(TOTALS)))
    await sentry.release_health(ORG, "1", 'we"ird', start=START, end=END)
    assert provider.exchanges[0].request.url.params["query"] == 'release:"we\\"ird"'


async def test_null_rates_are_none(sentry, provider):
    totals = {**TOTALS, "sum(session)": 0, "crash_free_rate(session)": None}
    totals["crash_free_rate(user)"] = None
    totals["count_unique(user)"] = 0
    provider.on("GET", PATH, Reply(200, sessions_body(totals)))
    health = await sentry.release_health(ORG, "1", "r", start=START, end=END)
    assert health == ReleaseHealth(
        crash_free_sessions=None, crash_free_users=None, sessions=0, users=0
    )


async def test_no_group_is_no_sessions(sentry, provider):
    provider.on("GET", PATH, Reply(200, sessions_body(None)))
    health = await sentry.release_health(ORG, "1", "r", start=START, end=END)
    assert health.sessions == 0 and health.crash_free_sessions is None


async def test_429_and_5xx_are_retried(sentry, provider, fake_time):
    provider.on(
        "GET",
        PATH,
        Reply(429, {"detail": "Too many requests"}, headers={"Retry-After": "2"}),
        Reply(502, text="bad gateway"),
        Reply(200, sessions_body(TOTALS)),
    )
    assert (await sentry.release_health(ORG, "1", "r", start=START, end=END)).sessions == 1200
    assert len(provider.exchanges) == 3 and fake_time.sleeps[0] == 2.0


async def test_errors_carry_sentrys_detail_and_never_the_token(sentry, provider):
    provider.on("GET", PATH, Reply(400, {"detail": f"Invalid field; token {TOKEN}"}))
    with pytest.raises(ProviderError) as caught:
        await sentry.release_health(ORG, "1", "r", start=START, end=END)
    error = caught.value
    assert (error.provider, error.status) == ("sentry", 400)
    assert "Invalid field" in error.detail
    for text in (str(error), repr(error), error.detail):
        assert TOKEN not in text


async def test_an_unexpected_answer_is_a_provider_error(sentry, provider):
    provider.on("GET", PATH, Reply(200, {"start": "x"}))
    with pytest.raises(ProviderError, match="unexpected answer"):
        await sentry.release_health(ORG, "1", "r", start=START, end=END)


@pytest.mark.parametrize(
    ("start", "end"),
    [(END, START), (START.replace(tzinfo=None), END.replace(tzinfo=None))],
    ids=["reversed", "naive"],
)
async def test_a_bad_window_is_refused(sentry, start, end):
    with pytest.raises(ValueError):
        await sentry.release_health(ORG, "1", "r", start=start, end=end)
