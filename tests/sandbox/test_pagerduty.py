"""The fake PagerDuty over real HTTP: List Incidents' query semantics (the 30-day default window
included), Get Incident, API-key auth, faults, and answers that fit PagerDuty's description."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from clients import PagerDutyClient, ProviderError, RetryPolicy
from sandbox.control import SandboxAdminError, SandboxControl
from sandbox.server import RunningSandbox, start_sandbox
from tests.clients._spec import PAGERDUTY_REST, validate_component, validate_exchange
from tests.sandbox.helpers import CF_TOKEN, GH_TOKEN

PD_TOKEN = "pd-test-token-0123456789"
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)
ACTIVE = {"statuses[]": ["triggered", "acknowledged"]}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    tokens = {"github": GH_TOKEN, "cloudflare": CF_TOKEN, "pagerduty": PD_TOKEN}
    with start_sandbox(tokens=tokens) as running:
        yield running


@pytest.fixture(scope="module")
def _pd(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    headers = {
        "Authorization": f"Token token={PD_TOKEN}",
        "Accept": "application/vnd.pagerduty+json;version=2",
        "Content-Type": "application/json",
    }
    with httpx.Client(base_url=f"{sandbox.url}/pagerduty", headers=headers) as client:
        yield client


@pytest.fixture
def pd(_pd: httpx.Client, control: SandboxControl) -> httpx.Client:
    return _pd


def ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["incidents"]]


def vendor_request(answer: httpx.Response) -> httpx.Request:
    """The sandbox request as it would have gone to api.pagerduty.com."""
    sent = answer.request
    path = sent.url.raw_path.decode().removeprefix("/pagerduty")
    return httpx.Request(sent.method, "https://api.pagerduty.com" + path, headers=sent.headers)


def active_incidents(sandbox_url: str, **filters: list[str]) -> list:
    async def run() -> list:
        async with PagerDutyClient(f"{sandbox_url}/pagerduty", PD_TOKEN, retry=FAST) as client:
            return await client.active_incidents(**filters)

    return asyncio.run(run())


# -- List Incidents ------------------------------------------------------------------------------


def test_the_default_window_hides_old_incidents_unless_date_range_is_all(
    control: SandboxControl, pd: httpx.Client
) -> None:
    now = datetime.now(UTC)
    old = control.pd_open_incident(
        "DB failover", status="acknowledged", created_at=now - timedelta(days=40)
    )
    new = control.pd_open_incident("Edge 5xx", priority="P2")
    assert ids(pd.get("/incidents", params=ACTIVE)) == [new]  # the real pitfall
    assert ids(pd.get("/incidents", params={**ACTIVE, "date_range": "all"})) == [old, new]
    since = (now - timedelta(days=60)).isoformat()
    assert ids(pd.get("/incidents", params={**ACTIVE, "since": since})) == [old, new]
    until = (now - timedelta(days=35)).isoformat()
    assert ids(pd.get("/incidents", params={"since": since, "until": until})) == [old]


def test_status_urgency_service_and_team_filters(control: SandboxControl, pd: httpx.Client) -> None:
    triggered = control.pd_open_incident("a", team_ids=["PTEAM01"])
    acked = control.pd_open_incident(
        "b", status="acknowledged", urgency="low", service_id="PSVC002"
    )
    resolved = control.pd_open_incident("c", status="resolved")
    everything = {"date_range": "all"}
    assert ids(pd.get("/incidents", params=everything)) == [triggered, acked, resolved]
    assert ids(pd.get("/incidents", params={**everything, **ACTIVE})) == [triggered, acked]
    assert ids(pd.get("/incidents", params={**everything, "urgencies[]": "low"})) == [acked]
    assert ids(pd.get("/incidents", params={**everything, "service_ids[]": "PSVC002"})) == [acked]
    assert ids(pd.get("/incidents", params={**everything, "team_ids[]": "PTEAM01"})) == [triggered]


def test_offset_pagination_more_and_total(control: SandboxControl, pd: httpx.Client) -> None:
    opened = [control.pd_open_incident(f"incident {n}") for n in range(7)]
    first = pd.get("/incidents", params={"limit": 3}).json()
    assert [i["id"] for i in first["incidents"]] == opened[:3]
    assert (first["limit"], first["offset"], first["more"], first["total"]) == (3, 0, True, None)
    last = pd.get("/incidents", params={"limit": 3, "offset": 6, "total": "true"}).json()
    assert [i["id"] for i in last["incidents"]] == opened[6:]
    assert (last["more"], last["total"]) == (False, 7)
    assert pd.get("/incidents").json()["limit"] == 25  # PagerDuty's default page
    assert pd.get("/incidents", params={"limit": 500}).json()["limit"] == 100  # and its maximum


@pytest.mark.parametrize(
    "params",
    [
        {"offset": 9950, "limit": 100},
        {"date_range": "recent"},
        {"statuses[]": "open"},
        {"since": "2026-01-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"},
        {"limit": "many"},
    ],
    ids=["past-10000", "date-range", "status", "over-6-months", "limit"],
)
def test_invalid_queries_get_pagerdutys_400(
    control: SandboxControl, pd: httpx.Client, params: dict
) -> None:
    answer = pd.get("/incidents", params=params)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == 2001 and error["message"] == "Invalid Input Provided"
    assert error["errors"]


def test_get_incident_and_its_shape(control: SandboxControl, pd: httpx.Client) -> None:
    with_priority = control.pd_open_incident("Edge 5xx", priority="P1", incident_id="PABC123")
    without = control.pd_open_incident("Slow builds", priority=None)
    one = pd.get(f"/incidents/{with_priority}").json()["incident"]
    assert with_priority == "PABC123"
    assert one["priority"]["summary"] == "P1" and one["priority"]["type"] == "priority_reference"
    assert one["service"]["type"] == "service_reference"
    assert one["summary"] == f"[#{one['incident_number']}] Edge 5xx"
    assert pd.get(f"/incidents/{without}").json()["incident"]["priority"] is None
    missing = pd.get("/incidents/PNOPE00")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"message": "Not Found", "code": 2100}}


def test_acknowledge_resolve_and_reset(control: SandboxControl, pd: httpx.Client) -> None:
    incident = control.pd_open_incident("Edge 5xx")
    acked = control.pd_set_incident_status(incident, "acknowledged")
    assert acked["status"] == "acknowledged" and acked["acknowledgements"]
    assert ids(pd.get("/incidents", params=ACTIVE)) == [incident]
    resolved = control.pd_set_incident_status(incident, "resolved")
    assert resolved["status"] == "resolved" and "resolved_at" in resolved
    assert ids(pd.get("/incidents", params=ACTIVE)) == []
    assert [i["id"] for i in control.pd_incidents()] == [incident]
    control.reset()
    assert control.pd_incidents() == []


def test_admin_refuses_bad_incidents(control: SandboxControl) -> None:
    with pytest.raises(SandboxAdminError, match="priority"):
        control.pd_open_incident("x", priority="SEV1")
    with pytest.raises(SandboxAdminError, match="status"):
        control.pd_open_incident("x", status="open")
    control.pd_open_incident("x", incident_id="PDUP001")
    with pytest.raises(SandboxAdminError, match="409"):
        control.pd_open_incident("y", incident_id="PDUP001")
    with pytest.raises(SandboxAdminError, match="404"):
        control.pd_set_incident_status("PNOPE00", "resolved")


# -- auth, faults, log --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", [None, f"Bearer {PD_TOKEN}", "Token token=wrong", f"Token {PD_TOKEN}"]
)
def test_only_the_api_key_header_passes(
    sandbox_url: str, control: SandboxControl, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    answer = httpx.get(f"{sandbox_url}/pagerduty/incidents", headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"error": {"message": "Authentication failed", "code": 2006}}
    assert PD_TOKEN not in answer.text


def test_faults_target_pagerduty_and_the_log_hides_the_key(
    control: SandboxControl, pd: httpx.Client
) -> None:
    control.add_fault("pagerduty", "status", status=503, count=1)
    control.add_fault("pagerduty", "rate_limit", retry_after=2, count=1)
    failed = pd.get("/incidents")
    assert failed.status_code == 503 and "sandbox fault" in failed.json()["error"]["message"]
    limited = pd.get("/incidents")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert limited.json()["error"]["code"] == 2020
    assert pd.get("/incidents").status_code == 200
    logged = control.requests("pagerduty")
    assert [(e["path"], e["status"]) for e in logged] == [
        ("/incidents", s) for s in (503, 429, 200)
    ]
    assert all(e["headers"]["authorization"] == "[redacted]" for e in logged)
    assert PD_TOKEN not in str(logged)


def test_the_client_finds_old_acknowledged_incidents_and_rides_out_faults(
    sandbox_url: str, control: SandboxControl
) -> None:
    now = datetime.now(UTC)
    old = control.pd_open_incident(
        "Old P1", status="acknowledged", created_at=now - timedelta(days=45)
    )
    unprioritised = control.pd_open_incident("No priority", priority=None)
    control.pd_set_incident_status(control.pd_open_incident("Done"), "resolved")
    control.add_fault("pagerduty", "status", status=502, count=2)
    found = active_incidents(sandbox_url)
    assert [(i.id, i.priority, i.status) for i in found] == [
        (old, "P1", "acknowledged"),
        (unprioritised, None, "triggered"),
    ]
    sent = control.requests("pagerduty")[-1]["query"]
    assert sent["date_range"] == "all" and sent["statuses[]"] == ["triggered", "acknowledged"]
    control.add_fault("pagerduty", "status", status=503)
    with pytest.raises(ProviderError) as caught:
        active_incidents(sandbox_url)
    assert caught.value.status == 503


def test_the_client_pages_through_more_than_one_page(
    sandbox_url: str, control: SandboxControl
) -> None:
    opened = [control.pd_open_incident(f"incident {n}", priority="P3") for n in range(103)]
    found = active_incidents(sandbox_url, service_ids=["PSBXSV1"])
    assert [i.id for i in found] == opened
    offsets = [e["query"]["offset"] for e in control.requests("pagerduty")]
    assert offsets == ["0", "100"]


# -- conformance ---------------------------------------------------------------------------------


def test_answers_fit_pagerdutys_description(control: SandboxControl, pd: httpx.Client) -> None:
    control.pd_open_incident("P1 open", team_ids=["PTEAM01"])
    control.pd_open_incident("No priority", priority=None, status="acknowledged")
    control.pd_set_incident_status(control.pd_open_incident("Done", priority="P2"), "resolved")
    answers = [
        pd.get("/incidents", params={"date_range": "all", "total": "true"}),
        pd.get("/incidents", params={**ACTIVE, "date_range": "all", "limit": 1, "offset": 1}),
        pd.get("/incidents", params={"team_ids[]": "PTEAM01", "service_ids[]": "PSBXSV1"}),
        pd.get("/incidents", params={"offset": 10_000}),  # 400
        pd.get("/incidents", headers={"Authorization": "Token token=wrong"}),  # 401
    ]
    for answer in answers:
        validate_exchange(PAGERDUTY_REST, vendor_request(answer), answer)
    listed = answers[0].json()["incidents"]
    assert len(listed) == 3
    for incident in listed:
        one = pd.get(f"/incidents/{incident['id']}").json()["incident"]
        assert one == incident
        validate_component(PAGERDUTY_REST, "Incident", one)


def test_account_priority_names_and_urgency_reach_the_client(
    control: SandboxControl, sandbox: RunningSandbox
) -> None:
    # Priorities are per account: this one calls them "SEV1 - Critical", ...
    control.pd_set_priorities(["SEV1 - Critical", "SEV2 - Major", "SEV3 - Minor"])
    sev1 = control.pd_open_incident("Edge 5xx", priority="SEV1 - Critical")
    untriaged = control.pd_open_incident("Pager storm", priority=None, urgency="high")
    quiet = control.pd_open_incident("Slow builds", priority=None, urgency="low")
    with pytest.raises(SandboxAdminError, match="SEV1 - Critical"):
        control.pd_open_incident("typo", priority="P1")
    found = {i.id: i for i in active_incidents(sandbox.url)}
    assert (found[sev1].priority, found[sev1].urgency) == ("SEV1 - Critical", "high")
    assert (found[untriaged].priority, found[untriaged].urgency) == (None, "high")
    assert (found[quiet].priority, found[quiet].urgency) == (None, "low")
