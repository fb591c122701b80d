"""Workers analytics synthesised from deployment history, traffic and per-version error rates.

This module's sandbox runs on a manual clock, so "minutes" of traffic pass instantly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandbox.clock import ManualClock
from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox, start_sandbox
from tests.sandbox.helpers import ACCOUNT, CF_TOKEN, GH_TOKEN, SCRIPT, deploy

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
QUERY = """query($accountTag: string, $scriptName: string, $start: string, $end: string) {
  viewer { accounts(filter: {accountTag: $accountTag}) {
    workersInvocationsAdaptive(limit: 100, filter: {scriptName: $scriptName,
                               datetime_geq: $start, datetime_leq: $end}) {
      sum { requests errors subrequests } quantiles { cpuTimeP50 cpuTimeP99 }
      dimensions { scriptName status }
} } } }"""

CLOCK = ManualClock(T0)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    tokens = {"github": GH_TOKEN, "cloudflare": CF_TOKEN}
    with start_sandbox(tokens=tokens, clock=CLOCK) as running:
        yield running


@pytest.fixture(autouse=True)
def at_t0() -> None:
    CLOCK.set(T0)


def iso(offset_s: float) -> str:
    return (T0 + timedelta(seconds=offset_s)).isoformat().replace("+00:00", "Z")


def rows(cf: httpx.Client, start: float, end: float, account: str = ACCOUNT) -> dict:
    variables = {"accountTag": account, "scriptName": SCRIPT, "start": iso(start), "end": iso(end)}
    answer = cf.post("/graphql", json={"query": QUERY, "variables": variables})
    assert answer.status_code == 200
    body: dict = answer.json()
    return body


def totals(cf: httpx.Client, start: float, end: float) -> dict[str, tuple[int, int]]:
    body = rows(cf, start, end)
    assert body["errors"] is None
    found = body["data"]["viewer"]["accounts"][0]["workersInvocationsAdaptive"]
    return {r["dimensions"]["status"]: (r["sum"]["requests"], r["sum"]["errors"]) for r in found}


def test_requests_follow_traffic_and_errors_follow_the_live_version(
    control: SandboxControl, cf: httpx.Client
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)  # live from T0, 20 rps by default
    CLOCK.advance(100)
    bad = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    control.worker_behaviour(SCRIPT, bad, error_rate=0.1)
    deploy(cf, {bad: 100})  # live from T0+100
    CLOCK.advance(50)
    assert totals(cf, 0, 150) == {"success": (2900, 0), "scriptThrewException": (100, 100)}
    # Only the first version's window: clean.
    assert totals(cf, 0, 100) == {"success": (2000, 0)}


def test_a_spike_late_in_the_watch_shows_only_when_it_happened(
    control: SandboxControl, cf: httpx.Client
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)  # 20 rps
    new = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    deploy(cf, {new: 100})
    CLOCK.advance(1200)  # 20 minutes clean
    control.worker_behaviour(SCRIPT, new, error_rate=0.25)
    CLOCK.advance(60)
    assert totals(cf, 0, 1200) == {"success": (24000, 0)}
    assert totals(cf, 1200, 1260) == {"success": (900, 0), "scriptThrewException": (300, 300)}
    control.worker_behaviour(SCRIPT, new, error_rate=0.0)  # and it passes again
    CLOCK.advance(60)
    assert totals(cf, 1260, 1320) == {"success": (1200, 0)}


def test_a_gradual_deployment_splits_traffic(control: SandboxControl, cf: httpx.Client) -> None:
    old = control.cf_script(ACCOUNT, SCRIPT)
    canary = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    control.worker_behaviour(SCRIPT, canary, error_rate=0.5)
    deploy(cf, {canary: 10, old: 90})
    CLOCK.advance(100)
    # 2000 requests, 10% to the canary (200), half of which fail.
    assert totals(cf, 0, 100) == {"success": (1900, 0), "scriptThrewException": (100, 100)}


def test_traffic_level_is_admin_settable(control: SandboxControl, cf: httpx.Client) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    control.worker_traffic(SCRIPT, 2.5)
    CLOCK.advance(40)
    assert totals(cf, 0, 40) == {"success": (100, 0)}


def test_no_traffic_before_creation_or_after_now(control: SandboxControl, cf: httpx.Client) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    CLOCK.advance(10)
    assert totals(cf, -3600, 3600) == {"success": (200, 0)}
    assert totals(cf, -3600, -60) == {}


def test_rejected_queries_are_graphql_errors(control: SandboxControl, cf: httpx.Client) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    too_old = rows(cf, -32 * 86400, 0)
    assert too_old["data"] is None
    assert too_old["errors"][0]["message"].startswith("cannot request data older than")
    assert "timestamp" in too_old["errors"][0]["extensions"]
    unknown = rows(cf, -60, 0, account="someone-else")
    assert unknown["data"] is None and "does not have access" in unknown["errors"][0]["message"]
    other = cf.post("/graphql", json={"query": "{ viewer { zones { httpRequests1dGroups } } }"})
    assert other.json()["data"] is None
