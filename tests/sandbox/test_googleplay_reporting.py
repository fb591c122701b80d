"""Play Developer Reporting v1beta1 over real HTTP: freshness, crash and ANR rate rows per
aggregation period and version code, "no data", and the queries Play refuses."""

# Fixtures come from play_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from sandbox.clock import ManualClock
from tests.sandbox.play_helpers import (  # noqa: F401  (fixtures)
    PKG,
    Play,
    _google,
    clock,
    error,
    keys,
    play,
    sandbox,
)

CRASH_METRICS = ["crashRate", "userPerceivedCrashRate", "distinctUsers"]
LA = ZoneInfo("America/Los_Angeles")


def hour(instant: datetime) -> dict[str, Any]:
    utc = instant.astimezone(UTC)
    body: dict[str, Any] = {"year": utc.year, "month": utc.month, "day": utc.day}
    if utc.hour:
        body["hours"] = utc.hour
    return body | {"timeZone": {"id": "UTC"}}


def day(instant: datetime) -> dict[str, Any]:
    local = instant.astimezone(LA)
    return {
        "year": local.year,
        "month": local.month,
        "day": local.day,
        "timeZone": {"id": "America/Los_Angeles"},
    }


def latest_hour(clock: ManualClock) -> datetime:
    return clock().astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def query(
    play: Play, body: dict[str, Any], metric_set: str = "crashRateMetricSet"
) -> httpx.Response:
    return play.http.post(play.report_path(f"{metric_set}:query"), json=body)


def hourly(clock: ManualClock, hours: int = 3, **extra: Any) -> dict[str, Any]:
    end = latest_hour(clock)
    return {
        "timelineSpec": {
            "aggregationPeriod": "HOURLY",
            "startTime": hour(end - timedelta(hours=hours)),
            "endTime": hour(end),
        },
        "dimensions": ["versionCode"],
        "metrics": CRASH_METRICS,
        **extra,
    }


def values(row: dict[str, Any]) -> dict[str, str]:
    return {m["metric"]: m["decimalValue"]["value"] for m in row["metrics"]}


def test_freshness_of_both_metric_sets(play: Play, clock: ManualClock) -> None:
    for metric_set in ("crashRateMetricSet", "anrRateMetricSet"):
        answer = play.http.get(play.report_path(metric_set))
        assert answer.status_code == 200
        assert answer.json() == {
            "name": f"apps/{PKG}/{metric_set}",
            "freshnessInfo": {
                "freshnesses": [
                    {"aggregationPeriod": "HOURLY", "latestEndTime": hour(latest_hour(clock))},
                    {"aggregationPeriod": "DAILY", "latestEndTime": day(clock())},
                ]
            },
        }


def test_hourly_crash_rates_per_version(play: Play, clock: ManualClock) -> None:
    play.ctl.play_set_vitals(PKG, 101, user_perceived_crash_rate=0.0042, crash_rate=0.0061)
    play.ctl.play_set_vitals(PKG, 102, user_perceived_crash_rate=0.02, distinct_users=120)
    answer = query(play, hourly(clock, filter="versionCode = 101"))
    assert answer.status_code == 200
    rows = answer.json()["rows"]
    end = latest_hour(clock)
    assert [r["startTime"] for r in rows] == [hour(end - timedelta(hours=h)) for h in (3, 2, 1)]
    assert rows[0]["aggregationPeriod"] == "HOURLY"
    assert rows[0]["dimensions"] == [{"dimension": "versionCode", "int64Value": "101"}]
    assert values(rows[0]) == {
        "crashRate": "0.0061",
        "userPerceivedCrashRate": "0.0042",
        "distinctUsers": "5000",
    }
    both = query(play, hourly(clock, hours=1, filter='versionCode = 101 OR versionCode = "102"'))
    assert [r["dimensions"][0]["int64Value"] for r in both.json()["rows"]] == ["101", "102"]
    assert values(both.json()["rows"][1])["crashRate"] == "0.03"  # 1.5x by default


def test_daily_rows_are_los_angeles_days(play: Play, clock: ManualClock) -> None:
    play.ctl.play_set_vitals(PKG, 101)
    today = datetime.combine(clock().astimezone(LA).date(), datetime.min.time(), LA)
    body = {
        "timelineSpec": {
            "aggregationPeriod": "DAILY",
            "startTime": day(today - timedelta(days=2)),
            "endTime": day(today),
        },
        "dimensions": ["versionCode"],
        "metrics": ["userPerceivedCrashRate", "userPerceivedCrashRate7dUserWeighted"],
    }
    rows = query(play, body).json()["rows"]
    assert [r["startTime"] for r in rows] == [day(today - timedelta(days=d)) for d in (2, 1)]
    assert values(rows[0]) == {
        "userPerceivedCrashRate": "0.002",
        "userPerceivedCrashRate7dUserWeighted": "0.002",
    }


def test_anr_rates(play: Play, clock: ManualClock) -> None:
    play.ctl.play_set_vitals(PKG, 101, user_perceived_anr_rate=0.0031, anr_rate=0.004)
    body = hourly(clock, hours=1, metrics=["anrRate", "userPerceivedAnrRate", "distinctUsers"])
    (row,) = query(play, body, "anrRateMetricSet").json()["rows"]
    assert values(row) == {
        "anrRate": "0.004",
        "userPerceivedAnrRate": "0.0031",
        "distinctUsers": "5000",
    }
    crash_metric_on_anr = query(play, hourly(clock), "anrRateMetricSet")
    assert crash_metric_on_anr.status_code == 400


def test_no_users_means_no_data(play: Play, clock: ManualClock) -> None:
    assert query(play, hourly(clock)).json() == {}  # nothing set at all
    play.ctl.play_set_vitals(PKG, 101, distinct_users=0)
    assert query(play, hourly(clock)).json() == {}
    play.ctl.play_set_vitals(PKG, 102)
    assert query(play, hourly(clock, filter="versionCode = 101")).json() == {}


def test_without_dimensions_versions_are_combined(play: Play, clock: ManualClock) -> None:
    play.ctl.play_set_vitals(PKG, 101, user_perceived_crash_rate=0.01, distinct_users=1000)
    play.ctl.play_set_vitals(PKG, 102, user_perceived_crash_rate=0.02, distinct_users=3000)
    body = hourly(
        clock, hours=1, dimensions=[], metrics=["userPerceivedCrashRate", "distinctUsers"]
    )
    (row,) = query(play, body).json()["rows"]
    assert "dimensions" not in row
    assert values(row) == {"userPerceivedCrashRate": "0.0175", "distinctUsers": "4000"}


def test_rows_are_paged(play: Play, clock: ManualClock) -> None:
    play.ctl.play_set_vitals(PKG, 101)
    first = query(play, hourly(clock, hours=5, pageSize=2)).json()
    assert len(first["rows"]) == 2 and first["nextPageToken"]
    rest: list[dict[str, Any]] = []
    token = first["nextPageToken"]
    while token:
        page = query(play, hourly(clock, hours=5, pageSize=2, pageToken=token)).json()
        rest += page["rows"]
        token = page.get("nextPageToken")
    assert len(first["rows"] + rest) == 5


def shift(body: dict[str, Any], field: str, **changes: Any) -> dict[str, Any]:
    spec = dict(body["timelineSpec"])
    spec[field] = {**spec[field], **changes}
    return {**body, "timelineSpec": spec}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b, c: shift(b, "endTime", **hour(latest_hour(c) + timedelta(hours=1))), "later"),
        (lambda b, c: shift(b, "startTime", minutes=30), "aligned"),
        (lambda b, c: shift(b, "startTime", timeZone={"id": "Europe/Berlin"}), "time zone"),
        (lambda b, c: shift(b, "startTime", **hour(latest_hour(c))), "after"),
        (lambda b, c: {**b, "metrics": ["crashRate7dUserWeighted"]}, "HOURLY"),
        (lambda b, c: {**b, "metrics": ["crashes"]}, "not supported"),
        (lambda b, c: {**b, "metrics": []}, "At least one metric"),
        (lambda b, c: {**b, "dimensions": ["deviceModel"]}, "versionCode only"),
        (lambda b, c: {**b, "filter": "versionCode > 100"}, "Invalid filter"),
        (
            lambda b, c: {
                **b,
                "timelineSpec": {**b["timelineSpec"], "aggregationPeriod": "FULL_RANGE"},
            },
            "HOURLY or DAILY",
        ),
        (lambda b, c: {**b, "groupBy": ["versionCode"]}, 'Unknown name "groupBy"'),
    ],
)
def test_queries_play_refuses(play: Play, clock: ManualClock, change: Any, message: str) -> None:
    answer = query(play, change(hourly(clock), clock))
    assert answer.status_code == 400, answer.text
    body = error(answer)
    assert body["status"] == "INVALID_ARGUMENT" and message in body["message"]
    assert "errors" not in body  # the newer APIs send code, message, status only


def test_an_app_outside_the_account_is_403(play: Play, clock: ManualClock) -> None:
    answer = play.http.get(play.report_path("crashRateMetricSet", package="com.other.app"))
    assert answer.status_code == 403
    assert error(answer)["status"] == "PERMISSION_DENIED"
