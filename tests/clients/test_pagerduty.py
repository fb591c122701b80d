"""PagerDutyClient: the open-incident query (date_range=all, both active statuses), classic offset
pagination, null priorities, retries, and requests that match PagerDuty's own description."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from clients import NotFoundError, PagerDutyClient, PdIncident, ProviderError
from tests.clients._canned_sources import PD_URL, pd_error, pd_incident, pd_page
from tests.clients._spec import (
    PAGERDUTY_REST,
    declared_query_parameters,
    validate_component,
    validate_exchange,
)
from tests.clients._support import TOKEN, FakeTime, Reply, ScriptedProvider

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pagerduty(
    provider: ScriptedProvider, fake_time: FakeTime
) -> AsyncIterator[PagerDutyClient]:
    async with PagerDutyClient(
        PD_URL, TOKEN, transport=provider.transport, retry=fake_time.policy()
    ) as client:
        yield client


def _query(provider: ScriptedProvider, index: int = 0) -> list[tuple[str, str]]:
    return list(provider.exchanges[index].request.url.params.multi_items())


async def test_active_incidents_asks_for_both_open_statuses_over_all_time(pagerduty, provider):
    provider.on(
        "GET",
        "/incidents",
        Reply(200, pd_page([pd_incident("PT4KHLK", 1), pd_incident("PT4KHLL", 2, priority=None)])),
    )
    found = await pagerduty.active_incidents()
    assert _query(provider) == [
        ("statuses[]", "triggered"),
        ("statuses[]", "acknowledged"),
        ("date_range", "all"),
        ("limit", "100"),
        ("offset", "0"),
        ("total", "true"),
    ]
    headers = provider.exchanges[0].request.headers
    assert headers["authorization"] == f"Token token={TOKEN}"
    assert headers["accept"] == "application/vnd.pagerduty+json;version=2"
    assert [i.id for i in found] == ["PT4KHLK", "PT4KHLL"]
    assert found[0] == PdIncident(
        id="PT4KHLK",
        incident_number=1,
        title="Incident 1",
        status="triggered",
        urgency="high",
        priority="P1",
        html_url="https://acme.pagerduty.com/incidents/PT4KHLK",
        created_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        service_id="PIJ90N7",
    )
    assert found[1].priority is None  # priorities off, or none set: never a KeyError
    assert found[0].created_at.tzinfo is not None


async def test_filters_are_repeated_parameters(pagerduty, provider):
    provider.on("GET", "/incidents", Reply(200, pd_page([])))
    await pagerduty.active_incidents(service_ids=["PSVC1", "PSVC2"], team_ids="PTEAM1")
    query = _query(provider)
    assert [v for k, v in query if k == "service_ids[]"] == ["PSVC1", "PSVC2"]
    assert [v for k, v in query if k == "team_ids[]"] == ["PTEAM1"]  # a lone string is one id


async def test_pagination_follows_more_and_drops_repeats(pagerduty, provider):
    first = [pd_incident(f"P{n:06d}", n) for n in range(1, 101)]
    # An incident resolved between pages shifts the list: page 2 repeats the last of page 1.
    second = [first[-1], pd_incident("P000101", 101)]
    provider.on(
        "GET",
        "/incidents",
        Reply(200, pd_page(first, more=True, total=101)),
        Reply(200, pd_page(second, offset=100, more=True, total=102)),
        Reply(200, pd_page([], offset=202, more=False, total=101)),
    )
    found = await pagerduty.active_incidents()
    offsets = [dict(_query(provider, i))["offset"] for i in range(3)]
    assert offsets == ["0", "100", "102"]
    assert len(found) == 101 and found[-1].id == "P000101"


async def test_pagination_is_bounded_by_the_classic_iteration_limit(pagerduty, provider):
    # Lean items (the fields the client reads), so a hundred pages stay fast.
    keep = ("id", "incident_number", "title", "status", "html_url", "created_at", "service")
    lean = {key: pd_incident("P000000", 1)[key] for key in keep}
    page = [{**lean, "id": f"P{n:06d}"} for n in range(100)]
    provider.on("GET", "/incidents", Reply(200, pd_page(page, more=True)))
    # Same ids every time, so offsets still advance by a full page.
    with pytest.raises(ProviderError, match="10000") as caught:
        await pagerduty.active_incidents()
    assert len(provider.exchanges) == 100  # offsets 0..9900: offset + limit never above 10 000
    assert dict(_query(provider, 99))["offset"] == "9900"
    assert caught.value.status is None


async def test_an_empty_page_that_claims_more_is_an_error(pagerduty, provider):
    provider.on("GET", "/incidents", Reply(200, pd_page([], more=True)))
    with pytest.raises(ProviderError, match="did not advance"):
        await pagerduty.active_incidents()


async def test_get_incident_and_not_found(pagerduty, provider):
    provider.on(
        "GET",
        "/incidents/PT4KHLK",
        Reply(200, {"incident": pd_incident("PT4KHLK", 7, status="resolved", priority="P2")}),
    )
    provider.on("GET", "/incidents/NOPE", Reply(404, pd_error(2100, "Not Found")))
    incident = await pagerduty.get_incident("PT4KHLK")
    assert (incident.status, incident.priority, incident.incident_number) == ("resolved", "P2", 7)
    with pytest.raises(NotFoundError) as caught:
        await pagerduty.get_incident("NOPE")
    assert caught.value.code == 2100 and caught.value.status == 404


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failures_are_final(pagerduty, provider, status):
    provider.on("GET", "/incidents", Reply(status, pd_error(2006, "Authentication failed")))
    with pytest.raises(ProviderError) as caught:
        await pagerduty.active_incidents()
    assert len(provider.exchanges) == 1
    assert caught.value.status == status and caught.value.code == 2006


async def test_rate_limits_and_server_errors_are_retried(pagerduty, provider, fake_time):
    provider.on(
        "GET",
        "/incidents",
        Reply(429, pd_error(2020, "Rate Limit Exceeded"), headers={"Retry-After": "3"}),
        Reply(503, text="upstream unavailable"),
        Reply(200, pd_page([pd_incident("PT4KHLK", 1)])),
    )
    found = await pagerduty.active_incidents()
    assert [i.id for i in found] == ["PT4KHLK"]
    assert len(provider.exchanges) == 3 and fake_time.sleeps[0] == 3.0


async def test_persistent_server_errors_end_in_a_provider_error(pagerduty, provider):
    provider.on("GET", "/incidents", Reply(500, pd_error(2000, "Internal error")))
    with pytest.raises(ProviderError) as caught:
        await pagerduty.active_incidents()
    assert caught.value.status == 500 and len(provider.exchanges) == 6
    assert "Internal error" in caught.value.detail


async def test_invalid_input_detail_lists_the_errors(pagerduty, provider):
    body = pd_error(2001, "Invalid Input Provided", "Offset must be less than 10000.")
    provider.on("GET", "/incidents", Reply(400, body))
    with pytest.raises(ProviderError) as caught:
        await pagerduty.active_incidents()
    assert caught.value.detail == "Invalid Input Provided: Offset must be less than 10000."


async def test_an_answer_of_the_wrong_shape_is_a_provider_error(pagerduty, provider):
    broken = pd_incident("PT4KHLK", 1)
    del broken["service"]
    provider.on("GET", "/incidents", Reply(200, pd_page([broken])))
    with pytest.raises(ProviderError, match="unexpected answer"):
        await pagerduty.active_incidents()


async def test_the_token_never_reaches_an_error_or_a_repr(pagerduty, provider):
    provider.on("GET", "/incidents", Reply(401, pd_error(2006, f"bad key Token token={TOKEN}")))
    provider.on("GET", "/incidents/X", Reply(502, text=f"proxy saw {TOKEN}"))
    with pytest.raises(ProviderError) as listed:
        await pagerduty.active_incidents()
    with pytest.raises(ProviderError) as got:
        await pagerduty.get_incident("X")
    for error in (listed.value, got.value, pickle.loads(pickle.dumps(listed.value))):
        for text in (str(error), repr(error), error.detail):
            assert TOKEN not in text and TOKEN[8:24] not in text
    assert TOKEN not in repr(pagerduty) and TOKEN not in repr(vars(pagerduty))


async def test_requests_and_answers_match_pagerdutys_description(pagerduty, provider):
    provider.on(
        "GET",
        "/incidents",
        Reply(200, pd_page([pd_incident("PT4KHLK", 1)], more=True, total=2)),
        Reply(200, pd_page([pd_incident("PT4KHLL", 2, priority=None)], offset=1, total=2)),
        Reply(429, pd_error(2020, "Rate Limit Exceeded"), headers={"Retry-After": "1"}),
        Reply(200, pd_page([])),
    )
    provider.on("GET", "/incidents/PT4KHLK", Reply(200, {"incident": pd_incident("PT4KHLK", 1)}))
    await pagerduty.active_incidents()
    await pagerduty.active_incidents(service_ids=["PIJ90N7"], team_ids=["PQ9K7I8"])
    await pagerduty.get_incident("PT4KHLK")
    listed = [e for e in provider.exchanges if e.path == "/incidents"]
    assert len(listed) == 4
    for exchange in listed:
        validate_exchange(PAGERDUTY_REST, exchange.request, exchange.response)
        sent = set(exchange.request.url.params.keys())
        assert sent <= declared_query_parameters(PAGERDUTY_REST, "GET", "/incidents")
    # GET /incidents/{id} is not in the trimmed description: its incident is checked by schema.
    (single,) = [e for e in provider.exchanges if e.path == "/incidents/PT4KHLK"]
    assert single.request.headers["authorization"] == f"Token token={TOKEN}"
    assert single.response is not None
    validate_component(PAGERDUTY_REST, "Incident", single.response.json()["incident"])


def test_canned_incidents_fit_the_description():
    for incident in (
        pd_incident("A", 1),
        pd_incident("B", 2, priority=None, status="acknowledged"),
        pd_incident("C", 3, status="resolved"),
    ):
        validate_component(PAGERDUTY_REST, "Incident", incident)
