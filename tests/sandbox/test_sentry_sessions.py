"""Sentry's release-health sessions endpoint in the sandbox: bearer auth, fields, release query,
groupBy, intervals rounded out, sessions accumulating with the sandbox clock, null rates."""

# Fixtures come from asc_helpers by import; test parameters named after them are those fixtures.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sandbox.clock import ManualClock, iso_seconds
from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox
from tests.sandbox.asc_helpers import SENTRY_TOKEN, _control, clock, sandbox  # noqa: F401

ORG = "acme"
PROJECT = "42"
RELEASE = "com.acme.verifier@1.2.0+45"
OLD = "com.acme.verifier@1.1.0+40"
PATH = f"/api/0/organizations/{ORG}/sessions/"
FIELDS = [
    "sum(session)",
    "crash_free_rate(session)",
    "crash_free_rate(user)",
    "count_unique(user)",
]


@pytest.fixture(scope="module")
def _sentry(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {SENTRY_TOKEN}"}
    with httpx.Client(base_url=f"{sandbox.url}/sentry", headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def sentry(_sentry: httpx.Client, _control: SandboxControl, clock: ManualClock) -> httpx.Client:
    _control.reset()
    # Start on an hour boundary so interval arithmetic is exact.
    now = clock()
    clock.set(now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
    return _sentry


def query(client: httpx.Client, **params: Any) -> httpx.Response:
    base: dict[str, Any] = {"field": FIELDS, "project": PROJECT, "interval": "1h"}
    return client.get(PATH, params={**base, **params})


def test_auth(sentry: httpx.Client) -> None:
    refused = sentry.get(
        PATH, params={"field": "sum(session)"}, headers={"Authorization": "Bearer x"}
    )
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Invalid token"}


def test_sessions_accumulate_with_the_clock(
    sentry: httpx.Client, _control: SandboxControl, clock: ManualClock
) -> None:
    _control.sentry_health(
        PROJECT, RELEASE, crash_free_sessions=0.99, crash_free_users=0.995, sessions_per_hour=100
    )
    start = clock()
    clock.advance(3 * 3600)
    answer = query(
        sentry,
        query=f'release:"{RELEASE}"',
        groupBy="release",
        start=iso_seconds(start),
        end=iso_seconds(clock()),
    )
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["start"] == iso_seconds(start)
    assert len(doc["intervals"]) == 3
    (group,) = doc["groups"]
    assert group["by"] == {"release": RELEASE}
    assert group["totals"] == {
        "sum(session)": 300,
        "crash_free_rate(session)": 0.99,
        "crash_free_rate(user)": 0.995,
        "count_unique(user)": 150,
    }
    assert group["series"]["sum(session)"] == [100, 100, 100]


def test_no_sessions_means_null_rates(sentry: httpx.Client, _control: SandboxControl) -> None:
    _control.sentry_health(PROJECT, RELEASE, crash_free_sessions=0.99, sessions_per_hour=100)
    doc = query(sentry, query=f'release:"{RELEASE}"', statsPeriod="24h").json()
    (group,) = doc["groups"]
    assert group["by"] == {}
    assert group["totals"]["sum(session)"] == 0
    assert group["totals"]["crash_free_rate(session)"] is None
    assert len(doc["intervals"]) == 24


def test_group_by_release_and_weighted_totals(
    sentry: httpx.Client, _control: SandboxControl, clock: ManualClock
) -> None:
    _control.sentry_health(PROJECT, RELEASE, crash_free_sessions=0.9, sessions_per_hour=100)
    _control.sentry_health(PROJECT, OLD, crash_free_sessions=1.0, sessions_per_hour=300)
    _control.sentry_health("7", "other@1.0+1", crash_free_sessions=0.5, sessions_per_hour=999)
    clock.advance(3600)
    grouped = query(sentry, groupBy="release", statsPeriod="1h").json()
    by = {g["by"]["release"]: g["totals"]["crash_free_rate(session)"] for g in grouped["groups"]}
    assert by == {RELEASE: 0.9, OLD: 1.0}
    overall = query(sentry, statsPeriod="1h").json()["groups"][0]["totals"]
    assert overall["sum(session)"] == 400
    assert overall["crash_free_rate(session)"] == pytest.approx(0.975)


def test_bad_requests(sentry: httpx.Client) -> None:
    assert sentry.get(PATH).status_code == 400  # no field
    bad_field = sentry.get(PATH, params={"field": "sum(nope)"})
    assert bad_field.status_code == 400 and "Invalid field" in bad_field.json()["detail"]
    assert query(sentry, interval="7m").status_code == 400
