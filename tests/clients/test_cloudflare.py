"""CloudflareClient reads: the v4 envelope, versions pagination, secrets, analytics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from email.parser import BytesParser

import httpx
import pytest

from clients import CfDeployment, InvocationTotals, NotFoundError, ProviderError, VersionShare
from tests.clients._canned import (
    ACCOUNT,
    SCRIPT,
    V_NEW,
    V_OLD,
    cf_analytics,
    cf_deployment,
    cf_version,
)
from tests.clients._support import TOKEN, Reply, cf_error, cf_ok

pytestmark = pytest.mark.anyio

SCRIPT_PATH = f"/client/v4/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}"
GRAPHQL = "/client/v4/graphql"


async def test_deployments_newest_first_with_the_sole_version(cloudflare, provider):
    provider.on(
        "GET",
        SCRIPT_PATH + "/deployments",
        cf_ok(
            {
                "deployments": [
                    cf_deployment(
                        "d2",
                        [(V_NEW, 10), (V_OLD, 90)],
                        created_on="2026-03-02T11:00:00Z",
                        message="canary",
                    ),
                    cf_deployment("d1", [(V_OLD, 100)], created_on="2026-03-01T11:00:00.123456Z"),
                ]
            }
        ),
    )
    deployments = await cloudflare.list_deployments(ACCOUNT, SCRIPT)
    assert [d.id for d in deployments] == ["d2", "d1"]
    assert deployments[0].sole_version_id is None  # traffic is split
    assert deployments[0].message == "canary"
    assert deployments[1].sole_version_id == V_OLD
    assert deployments[1].created_on == datetime(2026, 3, 1, 11, 0, 0, 123456, tzinfo=UTC)
    live = await cloudflare.live_deployment(ACCOUNT, SCRIPT)
    assert live is not None and live.id == "d2"
    assert provider.exchanges[0].request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_no_deployment_yet(cloudflare, provider):
    provider.on("GET", SCRIPT_PATH + "/deployments", cf_ok({"deployments": []}))
    assert await cloudflare.live_deployment(ACCOUNT, SCRIPT) is None


def test_sole_version_needs_all_the_traffic():
    made = datetime(2026, 3, 1, tzinfo=UTC)
    full = CfDeployment(
        id="d",
        created_on=made,
        message=None,
        versions=(VersionShare(version_id="a", percentage=100.0),),
    )
    zero = CfDeployment(
        id="d",
        created_on=made,
        message=None,
        versions=(
            VersionShare(version_id="a", percentage=100.0),
            VersionShare(version_id="b", percentage=0.0),
        ),
    )
    assert full.sole_version_id == "a" and zero.sole_version_id == "a"


async def test_envelope_error_carries_cloudflares_code(cloudflare, provider):
    provider.on(
        "GET",
        SCRIPT_PATH + "/deployments",
        cf_error(400, 10220, "The following secrets have changed: API_KEY"),
    )
    with pytest.raises(ProviderError) as caught:
        await cloudflare.list_deployments(ACCOUNT, SCRIPT)
    error = caught.value
    assert (error.provider, error.operation, error.status, error.code) == (
        "cloudflare",
        "list_deployments",
        400,
        10220,
    )
    assert "secrets have changed" in error.detail


async def test_success_false_inside_a_200_is_still_an_error(cloudflare, provider):
    body = {
        "success": False,
        "errors": [{"code": 10057, "message": "invalid inherit"}],
        "messages": [],
        "result": None,
    }
    provider.on("GET", SCRIPT_PATH + "/secrets", Reply(200, body))
    with pytest.raises(ProviderError) as caught:
        await cloudflare.secret_names(ACCOUNT, SCRIPT)
    assert caught.value.code == 10057 and caught.value.status == 200


async def test_404_is_not_found_with_the_code(cloudflare, provider):
    provider.on("GET", SCRIPT_PATH + f"/versions/{V_NEW}", cf_error(404, 10007, "worker not found"))
    with pytest.raises(NotFoundError) as caught:
        await cloudflare.get_version(ACCOUNT, SCRIPT, V_NEW)
    assert caught.value.code == 10007 and caught.value.status == 404


async def test_an_answer_that_is_not_an_envelope(cloudflare, provider):
    provider.on("GET", SCRIPT_PATH + "/deployments", Reply(200, text="<html>captive portal</html>"))
    with pytest.raises(ProviderError, match="not a v4 envelope"):
        await cloudflare.list_deployments(ACCOUNT, SCRIPT)


async def test_get_version_reads_number_time_and_annotations(cloudflare, provider):
    provider.on(
        "GET",
        SCRIPT_PATH + f"/versions/{V_NEW}",
        cf_ok(cf_version(V_NEW, 8, tag="abc1234", message="PR 42", full=True)),
    )
    version = await cloudflare.get_version(ACCOUNT, SCRIPT, V_NEW)
    assert (version.id, version.number, version.tag, version.message) == (
        V_NEW,
        8,
        "abc1234",
        "PR 42",
    )
    assert version.created_on is not None and version.created_on.tzinfo is not None


async def test_versions_follow_page_pagination_by_total_count(cloudflare, provider):
    def page(request, _match):
        number = int(request.url.params["page"])
        items = [cf_version(f"v{number}-{i}", 100 - number * 50 - i) for i in range(50)]
        if number == 3:
            items = items[:7]
        return cf_ok(
            {"items": items},
            {"page": number, "per_page": 50, "count": len(items), "total_count": 107},
        )

    provider.on("GET", SCRIPT_PATH + "/versions", page)
    versions = await cloudflare.list_versions(ACCOUNT, SCRIPT)
    assert len(versions) == 107
    assert [e.request.url.params["page"] for e in provider.exchanges] == ["1", "2", "3"]


async def test_versions_without_total_count_stop_at_a_short_page(cloudflare, provider):
    provider.on(
        "GET",
        SCRIPT_PATH + "/versions",
        cf_ok({"items": [cf_version(f"a{i}", i) for i in range(50)]}),
        cf_ok({"items": [cf_version("b", 1)]}),
    )
    assert len(await cloudflare.list_versions(ACCOUNT, SCRIPT)) == 51
    assert len(provider.exchanges) == 2


async def test_upload_version_sends_metadata_and_the_module(cloudflare, provider):
    provider.on(
        "POST",
        SCRIPT_PATH + "/versions",
        cf_ok(cf_version(V_NEW, 9, tag="abc1234", message="PR 42", full=True)),
    )
    version = await cloudflare.upload_version(
        ACCOUNT,
        SCRIPT,
        main_module="worker.js",
        source="export default {fetch(){}}",
        compatibility_date="2026-03-01",
        message="PR 42",
        tag="abc1234",
        keep_bindings=["secret_text"],
    )
    assert version.id == V_NEW
    request = provider.exchanges[0].request
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = _multipart(request)
    assert json.loads(parts["metadata"][1]) == {
        "main_module": "worker.js",
        "compatibility_date": "2026-03-01",
        "annotations": {"workers/message": "PR 42", "workers/tag": "abc1234"},
        "keep_bindings": ["secret_text"],
    }
    content_type, source = parts["worker.js"]
    assert content_type == "application/javascript+module"
    assert source == b"export default {fetch(){}}"


async def test_secret_names_only(cloudflare, provider):
    provider.on(
        "GET",
        SCRIPT_PATH + "/secrets",
        cf_ok(
            [
                {"name": "API_KEY", "type": "secret_text"},
                {"name": "SIGNING", "type": "secret_text"},
            ]
        ),
    )
    assert await cloudflare.secret_names(ACCOUNT, SCRIPT) == frozenset({"API_KEY", "SIGNING"})


async def test_invocation_totals_sum_every_row(cloudflare, provider):
    provider.on(
        "POST",
        GRAPHQL,
        Reply(
            200,
            cf_analytics(
                ("success", 9_000, 0),
                ("scriptThrewException", 40, 40),
                ("exceededResources", 10, 10),
            ),
        ),
    )
    sydney = timezone(timedelta(hours=11))
    totals = await cloudflare.invocation_totals(
        ACCOUNT,
        SCRIPT,
        datetime(2026, 3, 2, 21, 0, tzinfo=sydney),
        datetime(2026, 3, 2, 10, 30, 15, 999, tzinfo=UTC),
    )
    assert totals == InvocationTotals(requests=9_050, errors=50)
    assert totals.error_rate == pytest.approx(50 / 9_050)
    sent = provider.exchanges[0].body
    assert sent["variables"] == {
        "accountTag": ACCOUNT,
        "scriptName": SCRIPT,
        "start": "2026-03-02T10:00:00Z",
        "end": "2026-03-02T10:30:15Z",
    }
    assert "workersInvocationsAdaptive" in sent["query"]


async def test_no_traffic_has_no_error_rate(cloudflare, provider):
    provider.on("POST", GRAPHQL, Reply(200, cf_analytics()))
    start = datetime(2026, 3, 2, tzinfo=UTC)
    totals = await cloudflare.invocation_totals(ACCOUNT, SCRIPT, start, start + timedelta(hours=1))
    assert totals.requests == 0 and totals.error_rate is None


async def test_analytics_errors_in_a_200_are_provider_errors(cloudflare, provider):
    body = {
        "data": None,
        "errors": [
            {
                "message": "cannot request data older than 2678400s",
                "path": ["viewer"],
                "extensions": {"timestamp": "x"},
            }
        ],
    }
    provider.on("POST", GRAPHQL, Reply(200, body))
    start = datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(ProviderError) as caught:
        await cloudflare.invocation_totals(ACCOUNT, SCRIPT, start, start + timedelta(hours=1))
    assert caught.value.operation == "analytics" and "older than" in caught.value.detail


async def test_analytics_for_an_account_the_token_cannot_see(cloudflare, provider):
    provider.on("POST", GRAPHQL, Reply(200, {"data": {"viewer": {"accounts": []}}, "errors": None}))
    start = datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(ProviderError, match="not visible"):
        await cloudflare.invocation_totals(ACCOUNT, SCRIPT, start, start + timedelta(hours=1))


async def test_analytics_refuses_naive_datetimes(cloudflare):
    with pytest.raises(ValueError):
        await cloudflare.invocation_totals(
            ACCOUNT, SCRIPT, datetime(2026, 3, 2), datetime(2026, 3, 2, 1)
        )


def _multipart(request: httpx.Request) -> dict[str, tuple[str, bytes]]:
    """name -> (content type, payload) of a multipart/form-data request body."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser().parsebytes(head + request.content)
    parts: dict[str, tuple[str, bytes]] = {}
    for part in message.walk():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = (part.get_content_type(), payload)
    return parts
