"""StatuspageClient: maintenances from upcoming + active (once each, with group names), components,
offsets kept in timestamps, retries, and canned answers that fit the transcribed description."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from clients import NotFoundError, ProviderError, SpComponent, StatuspageClient
from tests.clients._canned_sources import (
    COMPONENTS,
    LHR,
    SP_URL,
    SYD,
    WORKERS,
    sp_incident,
    sp_list,
    sp_maintenance,
)
from tests.clients._spec import STATUSPAGE, validate_component, validate_exchange
from tests.clients._support import FakeTime, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio

API = "/api/v2"
UPCOMING = API + "/scheduled-maintenances/upcoming.json"
ACTIVE = API + "/scheduled-maintenances/active.json"
COMPONENTS_JSON = API + "/components.json"

SYD_WINDOW = sp_maintenance(
    "mntsyd000001",
    "SYD (Sydney) on 2026-03-03",
    "scheduled",
    scheduled_for="2026-03-03T15:00:00.000+11:00",  # an offset, not UTC
    scheduled_until="2026-03-03T21:00:00.000+11:00",
    components=[SYD],
)
LHR_WINDOW = sp_maintenance(
    "mntlhr000001",
    "LHR (London) on 2026-03-02",
    "in_progress",
    scheduled_for="2026-03-02T02:00:00.000Z",
    scheduled_until="2026-03-02T08:00:00.000Z",
    components=[LHR],
)


@pytest.fixture
async def statuspage(
    provider: ScriptedProvider, fake_time: FakeTime
) -> AsyncIterator[StatuspageClient]:
    async with StatuspageClient(
        SP_URL, transport=provider.transport, retry=fake_time.policy()
    ) as client:
        yield client


def _serve(provider: ScriptedProvider, upcoming: list, active: list, components=COMPONENTS) -> None:
    provider.on("GET", UPCOMING, Reply(200, sp_list("scheduled_maintenances", upcoming)))
    provider.on("GET", ACTIVE, Reply(200, sp_list("scheduled_maintenances", active)))
    provider.on("GET", COMPONENTS_JSON, Reply(200, sp_list("components", components)))


async def test_maintenances_come_from_upcoming_and_active_with_group_names(statuspage, provider):
    _serve(provider, [SYD_WINDOW], [LHR_WINDOW])
    found = await statuspage.scheduled_maintenances()
    assert sorted(e.path for e in provider.exchanges) == sorted([UPCOMING, ACTIVE, COMPONENTS_JSON])
    assert [m.id for m in found] == ["mntlhr000001", "mntsyd000001"]  # by start
    lhr, syd = found
    assert syd.components == ("Sydney, Australia - (SYD)",)
    assert syd.component_group_ids == ("grpoceania01",)
    assert syd.component_groups == ("Oceania",)
    # LHR's group is not on the components list: its id is kept, no name is invented.
    assert lhr.component_group_ids == ("grpeurope001",) and lhr.component_groups == ()
    assert syd.scheduled_for == datetime(2026, 3, 3, 4, tzinfo=UTC)
    assert syd.scheduled_for.utcoffset() == timedelta(hours=11)  # the offset is kept
    assert (syd.status, syd.impact, syd.shortlink) == (
        "scheduled",
        "maintenance",
        "https://stspg.io/mntsy",
    )
    assert lhr.status == "in_progress"
    assert "authorization" not in provider.exchanges[0].request.headers  # public pages


async def test_a_maintenance_in_both_lists_is_kept_once_newest_copy_wins(statuspage, provider):
    started = {**SYD_WINDOW, "status": "in_progress", "updated_at": "2026-03-03T04:00:00.000Z"}
    _serve(provider, [SYD_WINDOW], [started])
    (only,) = await statuspage.scheduled_maintenances()
    assert only.status == "in_progress"
    # ...whichever list it came from: a stale active copy loses to a newer scheduled one.
    stale_active = {**SYD_WINDOW, "status": "in_progress", "updated_at": "2026-01-01T00:00:00Z"}
    provider.exchanges.clear()
    _serve(provider, [SYD_WINDOW], [stale_active])
    (only,) = await statuspage.scheduled_maintenances()
    assert only.status == "scheduled"


async def test_a_whole_group_named_as_affected_counts_as_that_group(statuspage, provider):
    group_wide = sp_maintenance(
        "mntoceania01",
        "Oceania network upgrade",
        "verifying",
        scheduled_for="2026-03-02T00:00:00Z",
        scheduled_until="2026-03-02T01:00:00Z",
        components=[COMPONENTS[2]],  # the Oceania group object itself
    )
    _serve(provider, [], [group_wide])
    (found,) = await statuspage.scheduled_maintenances()
    assert found.component_groups == ("Oceania",) and found.status == "verifying"


async def test_components_and_component_status(statuspage, provider):
    degraded = {**WORKERS, "status": "degraded_performance"}
    provider.on(
        "GET",
        COMPONENTS_JSON,
        Reply(200, sp_list("components", [COMPONENTS[0], degraded, *COMPONENTS[2:]])),
    )
    components = await statuspage.components()
    assert components[1] == SpComponent(
        id="compworkers1",
        name="Workers",
        status="degraded_performance",
        group_id="grpsites0001",
        group=False,
    )
    assert components[0].group and components[0].group_id is None
    assert await statuspage.component_status("Workers") == "degraded_performance"
    assert await statuspage.component_status("Oceania") == "operational"
    assert await statuspage.component_status("Nowhere") is None


async def test_unresolved_incidents(statuspage, provider):
    provider.on(
        "GET",
        API + "/incidents/unresolved.json",
        Reply(
            200,
            sp_list(
                "incidents", [sp_incident("inc000000001", "API errors", "identified", "major")]
            ),
        ),
    )
    (incident,) = await statuspage.unresolved_incidents()
    assert (incident.name, incident.status, incident.impact) == (
        "API errors",
        "identified",
        "major",
    )
    assert incident.components == ("Workers",)


async def test_a_base_url_with_the_api_prefix_is_forgiven(provider, fake_time):
    provider.on("GET", COMPONENTS_JSON, Reply(200, sp_list("components", COMPONENTS)))
    async with StatuspageClient(
        SP_URL + "/api/v2/", transport=provider.transport, retry=fake_time.policy()
    ) as client:
        assert client.base_url == SP_URL
        assert len(await client.components()) == len(COMPONENTS)
    assert str(provider.exchanges[0].request.url) == SP_URL + COMPONENTS_JSON


async def test_server_errors_are_retried_then_reported(statuspage, provider):
    provider.on(
        "GET",
        COMPONENTS_JSON,
        Reply(503, text="<html>CloudFront</html>"),
        Reply(200, sp_list("components", COMPONENTS)),
    )
    assert len(await statuspage.components()) == len(COMPONENTS)
    provider.on("GET", UPCOMING, Reply(503, {"error": "Service Unavailable"}))
    provider.on("GET", ACTIVE, Reply(200, sp_list("scheduled_maintenances", [])))
    with pytest.raises(ProviderError) as caught:
        await statuspage.scheduled_maintenances()
    assert caught.value.status == 503 and caught.value.detail.endswith("Service Unavailable")


async def test_refusals_and_odd_answers_are_provider_errors(statuspage, provider):
    provider.on("GET", COMPONENTS_JSON, Reply(403, text="<html>Request blocked</html>"))
    with pytest.raises(ProviderError) as blocked:
        await statuspage.components()
    assert blocked.value.status == 403 and len(provider.exchanges) == 1  # final, not retried
    _serve(provider, [], [])
    provider.on("GET", UPCOMING, Reply(404, {"error": "Not Found"}))  # a wrong page root
    with pytest.raises(NotFoundError):
        await statuspage.scheduled_maintenances()
    provider.on("GET", API + "/incidents/unresolved.json", Reply(200, text="<html>hi</html>"))
    with pytest.raises(ProviderError, match="not JSON"):
        await statuspage.unresolved_incidents()


async def test_naive_timestamps_are_refused_not_guessed(statuspage, provider):
    naive = {**SYD_WINDOW, "scheduled_for": "2026-03-03T15:00:00"}
    _serve(provider, [naive], [])
    with pytest.raises(ProviderError, match="unexpected answer"):
        await statuspage.scheduled_maintenances()


async def test_requests_and_answers_match_the_transcribed_description(statuspage, provider):
    _serve(provider, [SYD_WINDOW], [LHR_WINDOW])
    unresolved = sp_list(
        "incidents", [sp_incident("inc000000001", "API errors", "identified", "major")]
    )
    provider.on("GET", API + "/incidents/unresolved.json", Reply(200, unresolved))
    await statuspage.scheduled_maintenances()
    await statuspage.unresolved_incidents()
    described = 0
    for exchange in provider.exchanges:
        assert exchange.request.method == "GET" and not exchange.request.url.params
        if exchange.path == COMPONENTS_JSON:
            # components.json is not in the transcription: each component is checked by schema.
            assert exchange.response is not None
            for component in exchange.response.json()["components"]:
                validate_component(STATUSPAGE, "Component", component)
            continue
        validate_exchange(STATUSPAGE, exchange.request, exchange.response)
        described += 1
    assert described == 3


def test_the_other_servers_of_the_description_accept_the_same_answers():
    # The transcription lists cloudflarestatus.com and any Statuspage host; both match.
    for host in ("https://www.cloudflarestatus.com", SP_URL):
        request = httpx.Request("GET", host + UPCOMING)
        answer = httpx.Response(
            200, json=sp_list("scheduled_maintenances", [SYD_WINDOW]), request=request
        )
        validate_exchange(STATUSPAGE, request, answer)
