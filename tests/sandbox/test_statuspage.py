"""The fake status pages over real HTTP: two separate pages (Cloudflare, GitHub), the default seed,
maintenance lifecycles (auto-transitions, the `verifying` overrun), components, incidents, faults,
and answers that fit the transcribed Statuspage description."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from clients import ProviderError, RetryPolicy, SpMaintenance, StatuspageClient
from sandbox.clock import ManualClock
from sandbox.control import SandboxAdminError, SandboxControl
from sandbox.server import RunningSandbox, start_sandbox
from tests.clients._spec import STATUSPAGE, validate_component, validate_exchange

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SYD = "Sydney, Australia - (SYD)"
MEL = "Melbourne, Australia - (MEL)"
LHR = "London, United Kingdom - (LHR)"


@pytest.fixture(scope="module")
def _status(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.url}/statuspage") as client:
        yield client


@pytest.fixture
def status(_status: httpx.Client, control: SandboxControl) -> httpx.Client:
    return _status


def get(client: httpx.Client, page: str, path: str) -> dict[str, Any]:
    answer = client.get(f"/{page}/api/v2/{path}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


def maintenances(client: httpx.Client, page: str, which: str) -> list[str]:
    return names(
        get(client, page, f"scheduled-maintenances/{which}.json")["scheduled_maintenances"]
    )


def client_maintenances(sandbox_url: str, page: str) -> list[SpMaintenance]:
    async def run() -> list[SpMaintenance]:
        async with StatuspageClient(f"{sandbox_url}/statuspage/{page}", retry=FAST) as client:
            return await client.scheduled_maintenances()

    return asyncio.run(run())


def vendor_request(answer: httpx.Response) -> httpx.Request:
    """The sandbox request as it would have gone to the page's statuspage.io host."""
    _, page, rest = answer.request.url.path.removeprefix("/statuspage").split("/", 2)
    return httpx.Request("GET", f"https://{page}.statuspage.io/{rest}")


# -- the default seed ----------------------------------------------------------------------------


def test_two_separate_pages_with_their_default_components(
    status: httpx.Client, control: SandboxControl
) -> None:
    cloudflare = get(status, "cloudflare", "components.json")
    assert cloudflare["page"]["id"] == "yh6f0r4529hb"
    by_id = {c["id"]: c for c in cloudflare["components"]}
    groups = {c["name"]: c for c in cloudflare["components"] if c["group"]}
    members = {
        name: [by_id[child]["name"] for child in group["components"]]
        for name, group in groups.items()
    }
    assert members == {
        "Cloudflare Sites and Services": ["Workers", "API", "Dashboard", "CDN/Cache"],
        "Oceania": [SYD, MEL],
        "Europe": [LHR],
    }
    for name, group in groups.items():
        assert all(by_id[child]["group_id"] == group["id"] for child in group["components"]), name
    github = get(status, "github", "components.json")
    assert github["page"]["name"] == "GitHub"
    assert names(github["components"]) == [
        "Git Operations",
        "API Requests",
        "Actions",
        "Pull Requests",
    ]
    assert {c["status"] for c in github["components"]} == {"operational"}
    assert all(c["group_id"] is None and not c["group"] for c in github["components"])
    for page in ("cloudflare", "github"):
        assert get(status, page, "status.json")["status"] == {
            "indicator": "none",
            "description": "All Systems Operational",
        }
        summary = get(status, page, "summary.json")
        assert summary["incidents"] == [] and summary["scheduled_maintenances"] == []
    assert status.get("/nowhere/api/v2/summary.json").status_code == 404


def test_reset_restores_the_default_seed(status: httpx.Client, control: SandboxControl) -> None:
    control.status_set_component("cloudflare", "Workers", "major_outage")
    control.status_post_maintenance(
        "cloudflare",
        "x",
        scheduled_for=T0 + timedelta(days=900),
        scheduled_until=T0 + timedelta(days=901),
    )
    control.reset()
    cloudflare = get(status, "cloudflare", "summary.json")
    assert {c["status"] for c in cloudflare["components"]} == {"operational"}
    assert cloudflare["scheduled_maintenances"] == []
    assert control.status_maintenances("cloudflare") == []


# -- maintenances --------------------------------------------------------------------------------


def test_a_maintenance_moves_between_the_lists_as_its_status_changes(
    status: httpx.Client, control: SandboxControl
) -> None:
    now = datetime.now(UTC)
    window = control.status_post_maintenance(
        "cloudflare",
        "SYD (Sydney) on 2026-03-03",
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=6),
        components=[SYD],
    )
    assert maintenances(status, "cloudflare", "upcoming") == ["SYD (Sydney) on 2026-03-03"]
    assert maintenances(status, "cloudflare", "active") == []
    assert maintenances(status, "github", "upcoming") == []  # the pages are separate
    expected = {"in_progress": "active", "verifying": "active", "completed": None}
    for new_status, listed_in in expected.items():
        control.status_set_maintenance("cloudflare", window, new_status)
        for which in ("upcoming", "active"):
            found = maintenances(status, "cloudflare", which)
            assert found == (["SYD (Sydney) on 2026-03-03"] if which == listed_in else []), which
    every = get(status, "cloudflare", "scheduled-maintenances.json")["scheduled_maintenances"]
    (item,) = every
    assert item["status"] == "completed" and item["resolved_at"] is not None
    assert [u["status"] for u in item["incident_updates"]] == [
        "completed",
        "verifying",
        "in_progress",
        "scheduled",
    ]
    assert names(item["components"]) == [SYD]


def test_a_group_name_stands_for_its_members_and_unknown_names_are_refused(
    status: httpx.Client, control: SandboxControl
) -> None:
    later = datetime.now(UTC) + timedelta(days=2)
    control.status_post_maintenance(
        "cloudflare",
        "Oceania backbone",
        scheduled_for=later,
        scheduled_until=later + timedelta(hours=4),
        components=["Oceania"],
    )
    (item,) = get(status, "cloudflare", "scheduled-maintenances/upcoming.json")[
        "scheduled_maintenances"
    ]
    assert names(item["components"]) == [SYD, MEL]
    with pytest.raises(SandboxAdminError, match="no component"):
        control.status_post_maintenance(
            "github", "x", scheduled_for=later, scheduled_until=later, components=["Workers"]
        )
    with pytest.raises(SandboxAdminError, match="after"):
        control.status_post_maintenance(
            "cloudflare", "x", scheduled_for=later, scheduled_until=later
        )
    with pytest.raises(SandboxAdminError, match="404"):
        control.status_post_maintenance(
            "aws", "x", scheduled_for=later, scheduled_until=later + timedelta(hours=1)
        )


def test_auto_transitions_follow_the_clock_and_verifying_overruns() -> None:
    clock = ManualClock(T0)
    with (
        start_sandbox(clock=clock) as running,
        SandboxControl(running.url) as ctl,
        httpx.Client(base_url=f"{running.url}/statuspage") as client,
    ):
        auto = ctl.status_post_maintenance(
            "cloudflare",
            "Workers platform",
            scheduled_for=T0 + timedelta(minutes=10),
            scheduled_until=T0 + timedelta(minutes=70),
            components=["Workers"],
        )
        overrun = ctl.status_post_maintenance(
            "cloudflare",
            "LHR (London)",
            scheduled_for=T0 + timedelta(minutes=10),
            scheduled_until=T0 + timedelta(minutes=40),
            components=[LHR],
        )
        manual = ctl.status_post_maintenance(
            "cloudflare",
            "Dashboard",
            scheduled_for=T0,
            scheduled_until=T0 + timedelta(minutes=5),
            components=["Dashboard"],
            auto_transition=False,
        )
        assert sorted(maintenances(client, "cloudflare", "upcoming")) == [
            "Dashboard",
            "LHR (London)",
            "Workers platform",
        ]
        clock.advance(15 * 60)
        assert maintenances(client, "cloudflare", "upcoming") == ["Dashboard"]
        assert sorted(maintenances(client, "cloudflare", "active")) == [
            "LHR (London)",
            "Workers platform",
        ]
        ctl.status_set_maintenance("cloudflare", overrun, "verifying")
        clock.advance(60 * 60)  # past both windows
        # Auto-completed at its end; the verifying one overruns; the manual one never moved.
        assert maintenances(client, "cloudflare", "active") == ["LHR (London)"]
        assert maintenances(client, "cloudflare", "upcoming") == ["Dashboard"]
        done = {m["id"]: m for m in ctl.status_maintenances("cloudflare")}
        assert done[auto]["status"] == "completed"
        assert done[auto]["resolved_at"] == "2026-03-02T10:10:00.000+00:00"
        assert done[manual]["status"] == "scheduled"
        # The client sees the same: what the freeze policy must treat as still active.
        (still,) = [m for m in client_maintenances(running.url, "cloudflare") if m.id == overrun]
        assert still.status == "verifying" and still.scheduled_until < clock()


def test_timestamps_carry_the_pages_offset(
    sandbox_url: str, status: httpx.Client, control: SandboxControl
) -> None:
    control.status_post_maintenance(
        "github",
        "Git maintenance",
        scheduled_for="2036-07-01T16:00:00Z",
        scheduled_until="2036-07-01T18:00:00+00:00",
        components=["Git Operations"],
    )
    control.status_post_maintenance(
        "github",
        "Actions maintenance",
        scheduled_for="2036-01-10T10:00:00+11:00",
        scheduled_until="2036-01-10T12:00:00+11:00",
        components=["Actions"],
    )
    upcoming = get(status, "github", "scheduled-maintenances/upcoming.json")
    assert upcoming["page"]["time_zone"] == "America/Los_Angeles"
    by_name = {m["name"]: m for m in upcoming["scheduled_maintenances"]}
    assert list(by_name) == ["Actions maintenance", "Git maintenance"]  # soonest first
    assert by_name["Git maintenance"]["scheduled_for"] == "2036-07-01T09:00:00.000-07:00"
    assert by_name["Actions maintenance"]["scheduled_for"] == "2036-01-09T15:00:00.000-08:00"
    actions, git = client_maintenances(sandbox_url, "github")
    assert git.scheduled_for == datetime(2036, 7, 1, 16, tzinfo=UTC)
    assert git.scheduled_for.utcoffset() == timedelta(hours=-7)
    assert actions.scheduled_until == datetime(2036, 1, 10, 1, tzinfo=UTC)


def test_the_client_names_the_groups_a_maintenance_touches(
    sandbox_url: str, control: SandboxControl
) -> None:
    later = datetime.now(UTC) + timedelta(hours=3)
    control.status_post_maintenance(
        "cloudflare",
        "MEL (Melbourne)",
        scheduled_for=later,
        scheduled_until=later + timedelta(hours=6),
        components=[MEL],
    )
    control.status_post_maintenance(
        "cloudflare",
        "API and LHR",
        scheduled_for=later - timedelta(hours=4),
        scheduled_until=later,
        components=["API", LHR],
    )
    active, upcoming = client_maintenances(sandbox_url, "cloudflare")
    assert (active.name, active.status) == ("API and LHR", "in_progress")
    assert active.component_groups == ("Cloudflare Sites and Services", "Europe")
    assert (upcoming.name, upcoming.status) == ("MEL (Melbourne)", "scheduled")
    assert upcoming.components == (MEL,) and upcoming.component_groups == ("Oceania",)


# -- components and incidents --------------------------------------------------------------------


def test_component_status_and_the_page_indicator(
    status: httpx.Client, control: SandboxControl
) -> None:
    control.status_set_component("github", "Actions", "partial_outage")
    actions = [
        c for c in get(status, "github", "components.json")["components"] if c["name"] == "Actions"
    ]
    assert actions[0]["status"] == "partial_outage"
    assert get(status, "github", "status.json")["status"]["indicator"] == "major"
    control.status_set_component("cloudflare", "Oceania", "under_maintenance")
    members = {
        c["name"]: c["status"] for c in get(status, "cloudflare", "components.json")["components"]
    }
    assert members[SYD] == members[MEL] == members["Oceania"] == "under_maintenance"
    assert members["Workers"] == "operational"
    assert get(status, "cloudflare", "status.json")["status"] == {
        "indicator": "none",
        "description": "Service Under Maintenance",
    }
    with pytest.raises(SandboxAdminError, match="status"):
        control.status_set_component("github", "Actions", "broken")
    with pytest.raises(SandboxAdminError, match="404"):
        control.status_set_component("github", "Copilot", "major_outage")


def test_incidents_unresolved_and_resolved(status: httpx.Client, control: SandboxControl) -> None:
    incident = control.status_open_incident(
        "github", "Degraded Actions", impact="critical", components=["Actions"]
    )
    unresolved = get(status, "github", "incidents/unresolved.json")["incidents"]
    assert names(unresolved) == ["Degraded Actions"] and unresolved[0]["impact"] == "critical"
    assert get(status, "github", "status.json")["status"]["indicator"] == "critical"
    assert get(status, "cloudflare", "incidents/unresolved.json")["incidents"] == []
    control.status_set_incident("github", incident, "monitoring")
    assert names(get(status, "github", "incidents/unresolved.json")["incidents"]) == [
        "Degraded Actions"
    ]
    resolved = control.status_set_incident("github", incident, "resolved")
    assert resolved["resolved_at"] is not None and resolved["monitoring_at"] is not None
    assert get(status, "github", "incidents/unresolved.json")["incidents"] == []
    assert names(get(status, "github", "incidents.json")["incidents"]) == ["Degraded Actions"]


# -- faults and the log --------------------------------------------------------------------------


def test_faults_target_status_pages_and_calls_are_logged(
    sandbox_url: str, status: httpx.Client, control: SandboxControl
) -> None:
    control.add_fault("statuspage", "status", status=503, path_contains="/cloudflare/")
    failing = status.get("/cloudflare/api/v2/components.json")
    assert failing.status_code == 503 and "sandbox fault" in failing.json()["error"]
    assert status.get("/github/api/v2/components.json").status_code == 200  # other page fine
    with pytest.raises(ProviderError) as caught:
        client_maintenances(sandbox_url, "cloudflare")
    assert caught.value.status == 503
    control.clear_faults()
    control.add_fault("statuspage", "rate_limit", retry_after=0, count=1)
    assert client_maintenances(sandbox_url, "cloudflare") == []  # retried past the 429
    logged = control.requests("statuspage")
    assert logged[0]["path"] == "/cloudflare/api/v2/components.json"
    assert {e["status"] for e in logged} == {200, 429, 503}
    assert all(e["target"] == "statuspage" for e in logged)
    assert control.requests("pagerduty") == []


# -- conformance ---------------------------------------------------------------------------------


def test_answers_fit_the_transcribed_description(
    status: httpx.Client, control: SandboxControl
) -> None:
    now = datetime.now(UTC)
    for page, component in (("cloudflare", "Oceania"), ("github", "Actions")):
        upcoming = control.status_post_maintenance(
            page,
            f"{page} upcoming",
            scheduled_for=now + timedelta(hours=2),
            scheduled_until=now + timedelta(hours=4),
            components=[component],
        )
        control.status_post_maintenance(
            page,
            f"{page} active",
            scheduled_for=now - timedelta(hours=1),
            scheduled_until=now + timedelta(hours=1),
            status="verifying",
        )
        control.status_set_maintenance(page, upcoming, "scheduled")
        control.status_open_incident(page, f"{page} incident", components=[component])
    for page in ("cloudflare", "github"):
        for path in (
            "scheduled-maintenances/upcoming.json",
            "scheduled-maintenances/active.json",
            "incidents/unresolved.json",
        ):
            answer = status.get(f"/{page}/api/v2/{path}")
            body = answer.json()
            assert body[next(k for k in body if k != "page")], path  # not vacuous
            validate_exchange(STATUSPAGE, vendor_request(answer), answer)
        # Endpoints the transcription does not carry: their objects are checked by schema.
        summary = get(status, page, "summary.json")
        validate_component(STATUSPAGE, "Page", summary["page"])
        for component in summary["components"]:
            validate_component(STATUSPAGE, "Component", component)
        for incident in summary["incidents"]:
            validate_component(STATUSPAGE, "Incident", incident)
        for maintenance in get(status, page, "scheduled-maintenances.json")[
            "scheduled_maintenances"
        ]:
            validate_component(STATUSPAGE, "ScheduledMaintenance", maintenance)
        assert set(get(status, page, "status.json")["status"]) == {"indicator", "description"}
