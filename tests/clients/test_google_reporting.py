"""PlayReportingClient: the crash and ANR queries for one version code (HOURLY in UTC, DAILY in
America/Los_Angeles), decimal strings, every page, and no rows meaning no data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from clients import PlayReportingClient, ProviderError, VitalsSample
from tests.clients._canned_google import (
    PKG,
    REPORTING_URL,
    FakeTokens,
    g_error,
    metrics_row,
    query_answer,
)
from tests.clients._support import TOKEN, FakeTime, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio

CRASH = f"/v1beta1/apps/{PKG}/crashRateMetricSet:query"
ANR = f"/v1beta1/apps/{PKG}/anrRateMetricSet:query"
START = datetime(2026, 3, 2, 9, 17, tzinfo=UTC)
END = datetime(2026, 3, 2, 12, 5, tzinfo=UTC)


@pytest.fixture
async def reporting(
    provider: ScriptedProvider, fake_time: FakeTime
) -> AsyncIterator[PlayReportingClient]:
    async with PlayReportingClient(
        REPORTING_URL, FakeTokens(), transport=provider.transport, retry=fake_time.policy()
    ) as client:
        yield client


def crash_row(hour: int, rate: str, perceived: str, users: str) -> dict:
    return metrics_row(
        hour, 10203, crashRate=rate, userPerceivedCrashRate=perceived, distinctUsers=users
    )


def anr_row(hour: int, rate: str, perceived: str, users: str) -> dict:
    return metrics_row(
        hour, 10203, anrRate=rate, userPerceivedAnrRate=perceived, distinctUsers=users
    )


async def test_vitals_asks_both_metric_sets_for_whole_utc_hours(reporting, provider):
    provider.on("POST", CRASH, Reply(200, query_answer(crash_row(9, "0.01", "0.004", "1000"))))
    provider.on("POST", ANR, Reply(200, query_answer(anr_row(9, "0.002", "0.001", "990"))))
    sample = await reporting.vitals(PKG, 10203, start=START, end=END)
    assert sample == VitalsSample(
        crash_rate=0.01,
        user_perceived_crash_rate=0.004,
        anr_rate=0.002,
        user_perceived_anr_rate=0.001,
        distinct_users=1000,
    )
    (crash,) = provider.calls("POST", CRASH)
    (anr,) = provider.calls("POST", ANR)
    timeline = {
        "aggregationPeriod": "HOURLY",
        "startTime": {"year": 2026, "month": 3, "day": 2, "hours": 9, "timeZone": {"id": "UTC"}},
        "endTime": {"year": 2026, "month": 3, "day": 2, "hours": 12, "timeZone": {"id": "UTC"}},
    }
    assert crash.body == {
        "timelineSpec": timeline,
        "dimensions": ["versionCode"],
        "metrics": ["crashRate", "userPerceivedCrashRate", "distinctUsers"],
        "filter": "versionCode = 10203",
        "pageSize": 1000,
    }
    assert anr.body == {
        **crash.body,
        "metrics": ["anrRate", "userPerceivedAnrRate", "distinctUsers"],
    }
    assert crash.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert str(crash.request.url) == f"{REPORTING_URL}/apps/{PKG}/crashRateMetricSet:query"


async def test_a_window_in_another_zone_is_asked_in_utc(reporting, provider):
    provider.on("POST", CRASH, Reply(200, {}))
    provider.on("POST", ANR, Reply(200, {}))
    sydney = timezone(timedelta(hours=11))
    await reporting.vitals(PKG, 10203, start=START.astimezone(sydney), end=END.astimezone(sydney))
    spec = provider.calls("POST", CRASH)[0].body["timelineSpec"]
    assert (spec["startTime"]["hours"], spec["endTime"]["hours"]) == (9, 12)


async def test_hours_are_weighted_by_their_users_and_users_are_never_added_up(reporting, provider):
    provider.on(
        "POST",
        CRASH,
        Reply(
            200,
            query_answer(
                crash_row(9, "0.02", "0.01", "1000"), crash_row(10, "0.005", "0.0025", "3000")
            ),
        ),
    )
    provider.on(
        "POST",
        ANR,
        Reply(
            200, query_answer(anr_row(9, "0.004", "", "1000"), anr_row(10, "0", "0.001", "3000"))
        ),
    )
    sample = await reporting.vitals(PKG, 10203, start=START, end=END)
    assert sample.crash_rate == pytest.approx((0.02 * 1000 + 0.005 * 3000) / 4000)
    assert sample.user_perceived_crash_rate == pytest.approx((0.01 * 1000 + 0.0025 * 3000) / 4000)
    assert sample.anr_rate == pytest.approx(0.001)
    assert sample.user_perceived_anr_rate == pytest.approx(0.00075)  # "" is 0 (google.type.Decimal)
    assert sample.distinct_users == 3000  # the largest hour, not 4000


async def test_every_page_is_read(reporting, provider):
    provider.on(
        "POST",
        CRASH,
        Reply(200, query_answer(crash_row(9, "0.01", "0.01", "100"), next_page="page-2")),
        Reply(200, query_answer(crash_row(10, "0.03", "0.03", "100"))),
    )
    provider.on("POST", ANR, Reply(200, query_answer()))
    sample = await reporting.vitals(PKG, 10203, start=START, end=END)
    first, second = provider.calls("POST", CRASH)
    assert "pageToken" not in first.body
    assert second.body == {**first.body, "pageToken": "page-2"}
    assert sample.crash_rate == pytest.approx(0.02)
    assert sample.anr_rate is None and sample.distinct_users == 100


async def test_no_rows_is_no_data(reporting, provider):
    provider.on("POST", CRASH, Reply(200, {}))
    provider.on("POST", ANR, Reply(200, {"rows": []}))
    sample = await reporting.vitals(PKG, 10203, start=START, end=END)
    assert sample == VitalsSample(
        crash_rate=None,
        user_perceived_crash_rate=None,
        anr_rate=None,
        user_perceived_anr_rate=None,
        distinct_users=None,
    )
    assert not sample.has_data


async def test_rows_of_another_version_are_left_out(reporting, provider):
    provider.on(
        "POST",
        CRASH,
        Reply(200, query_answer(metrics_row(9, 10202, crashRate="0.5", distinctUsers="10"))),
    )
    provider.on("POST", ANR, Reply(200, {}))
    assert not (await reporting.vitals(PKG, 10203, start=START, end=END)).has_data


async def test_a_window_shorter_than_a_whole_hour_asks_nothing(reporting, provider):
    sample = await reporting.vitals(PKG, 10203, start=START, end=START.replace(minute=59))
    assert not sample.has_data and provider.exchanges == []


async def test_daily_windows_are_los_angeles_dates_without_hours(reporting, provider):
    provider.on("POST", CRASH, Reply(200, {}))
    provider.on("POST", ANR, Reply(200, {}))
    # 2026-03-02 03:00 UTC is still 1 March in Los Angeles.
    await reporting.vitals(
        PKG,
        10203,
        start=datetime(2026, 3, 2, 3, tzinfo=UTC),
        end=datetime(2026, 3, 5, 9, tzinfo=UTC),
        aggregation="DAILY",
    )
    spec = provider.calls("POST", CRASH)[0].body["timelineSpec"]
    la = {"id": "America/Los_Angeles"}
    assert spec == {
        "aggregationPeriod": "DAILY",
        "startTime": {"year": 2026, "month": 3, "day": 1, "timeZone": la},
        "endTime": {"year": 2026, "month": 3, "day": 5, "timeZone": la},
    }


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (START.replace(tzinfo=None), END, "timezone-aware"),
        (END, START, "end after it starts"),
    ],
)
async def test_bad_windows_are_refused(reporting, start, end, message):
    with pytest.raises(ValueError, match=message):
        await reporting.vitals(PKG, 10203, start=start, end=end)


async def test_reporting_errors_are_provider_errors(reporting, provider):
    denied = g_error(
        403,
        "PERMISSION_DENIED",
        "The caller does not have permission",
    )
    provider.on("POST", CRASH, Reply(403, denied))
    provider.on("POST", ANR, Reply(200, {}))
    with pytest.raises(ProviderError) as caught:
        await reporting.vitals(PKG, 10203, start=START, end=END)
    assert caught.value.provider == "google-play-reporting"
    assert (caught.value.status, caught.value.code) == (403, "PERMISSION_DENIED")


async def test_queries_are_retried_like_reads(reporting, provider, fake_time):
    provider.on(
        "POST",
        CRASH,
        Reply(503, text="unavailable"),
        Reply(200, query_answer(crash_row(9, "0.01", "0.01", "100"))),
    )
    provider.on("POST", ANR, Reply(200, {}))
    assert (await reporting.vitals(PKG, 10203, start=START, end=END)).crash_rate == 0.01
    assert len(provider.calls("POST", CRASH)) == 2
