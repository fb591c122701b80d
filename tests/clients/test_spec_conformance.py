"""Every request the clients send, checked against the vendors' own API descriptions; every canned
answer they are fed, checked against the same descriptions so the fakes cannot drift.

A session drives each client method (pagination and lost-answer read-backs included) through a
ScriptedProvider at the vendors' real base URLs, then each captured exchange is validated with
openapi-core. Paths the trimmed descriptions do not carry (GitHub rulesets, both GraphQL
endpoints) are checked by hand-written assertions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import jsonschema
import pytest

from clients import CloudflareClient, GitHubClient, NotFoundError
from tests.clients._canned import (
    ACCOUNT,
    REPO,
    SCRIPT,
    SHA,
    V_NEW,
    V_OLD,
    cf_analytics,
    cf_deployment,
    cf_version,
    gh_check_runs,
    gh_combined_status,
    gh_deployment,
    gh_deployment_status,
    gh_error,
    gh_protection,
    gh_pull,
    gh_pull_request_rule,
    gh_review,
    gh_review_state_page,
    gh_thread,
)
from tests.clients._spec import (
    CLOUDFLARE_ENVELOPE,
    CLOUDFLARE_SECRETS,
    CLOUDFLARE_WORKERS,
    GITHUB_REST,
    declared_query_parameters,
    operation_for,
    spec_document,
    validate_component,
    validate_exchange,
)
from tests.clients._support import (
    TOKEN,
    Exchange,
    FakeTime,
    Reply,
    ScriptedProvider,
    cf_error,
    cf_ok,
)
from tests.clients.conftest import CLOUDFLARE_URL, GITHUB_URL

pytestmark = pytest.mark.anyio

GH = "/repos/octo-org/edge-api"
CF = f"/client/v4/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}"


def _documented(spec: str, exchange: Exchange) -> bool:
    """Whether the answer's status is one the operation describes (lost answers are not)."""
    if exchange.response is None:
        return False
    found = operation_for(spec, exchange.request.method, exchange.request.url.path)
    assert found is not None
    responses = found[1]["responses"]
    status = str(exchange.response.status_code)
    return status in responses or f"{status[0]}XX" in responses or "default" in responses


def _check_described(spec: str, exchange: Exchange, *, answer: bool = True) -> None:
    request = exchange.request
    validate_exchange(
        spec, request, exchange.response if answer and _documented(spec, exchange) else None
    )
    sent = set(request.url.params.keys())
    declared = declared_query_parameters(spec, request.method, request.url.path)
    assert sent <= declared, f"{request.method} {request.url.path}: undeclared {sent - declared}"


def _check_graphql(exchange: Exchange) -> None:
    request = exchange.request
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.content)
    assert set(body) == {"query", "variables"}
    assert isinstance(body["query"], str) and isinstance(body["variables"], dict)
    assert not request.url.params


# -- GitHub ------------------------------------------------------------------------------------


async def _github_session(provider: ScriptedProvider, fake_time: FakeTime) -> None:
    page2 = f'<{GITHUB_URL}{GH}/pulls/42/reviews?per_page=100&page=2>; rel="next"'
    provider.on("GET", GH + "/pulls/42", Reply(200, gh_pull()))
    provider.on(
        "GET",
        GH + "/pulls/43",
        Reply(200, gh_pull(43, body=None, merged=False, merge_commit_sha=None)),
    )
    provider.on("GET", GH + "/pulls/44", Reply(404, gh_error("Not Found")))
    provider.on(
        "GET",
        GH + "/pulls/42/reviews",
        Reply(200, [gh_review(1, "alice", "CHANGES_REQUESTED")], headers={"Link": page2}),
        Reply(200, [gh_review(2, "alice", "APPROVED"), gh_review(3, None, "DISMISSED")]),
    )
    provider.on(
        "GET",
        GH + "/branches/main/protection/required_pull_request_reviews",
        Reply(200, gh_protection(2, code_owners=True)),
    )
    provider.on(
        "GET",
        GH + "/branches/dev/protection/required_pull_request_reviews",
        Reply(404, gh_error("Branch not protected")),
    )
    provider.on(
        "GET",
        GH + "/rules/branches/(main|dev)",
        Reply(200, [gh_pull_request_rule(1, threads=True)]),
    )
    provider.on(
        "POST",
        "/graphql",
        Reply(
            200,
            gh_review_state_page(
                "REVIEW_REQUIRED",
                [gh_thread(False, "src/x.ts", "bob", "why?")],
                total=1,
                next_cursor=None,
            ),
        ),
    )
    provider.on(
        "GET",
        GH + f"/commits/{SHA}/check-runs",
        Reply(200, gh_check_runs(("build", "completed", "success"))),
    )
    provider.on(
        "GET",
        GH + f"/commits/{SHA}/status",
        Reply(200, gh_combined_status("success", ("ci/legacy", "success"))),
    )
    provider.on(
        "GET",
        GH + "/deployments",
        Reply(200, []),
        Reply(
            200,
            [gh_deployment(7, payload={"version_id": V_NEW}, description="edge-api " + V_NEW[:8])],
        ),
    )
    provider.on("POST", GH + "/deployments", Reply(error=httpx.ReadTimeout))
    provider.on(
        "GET",
        GH + r"/deployments/\d+/statuses",
        Reply(200, [gh_deployment_status(2, "in_progress", "deploying")]),
    )
    provider.on(
        "POST",
        GH + r"/deployments/\d+/statuses",
        Reply(502, text="lost"),
        Reply(201, gh_deployment_status(3, "success", "live")),
    )

    async with GitHubClient(
        GITHUB_URL, TOKEN, transport=provider.transport, retry=fake_time.policy()
    ) as github:
        await github.get_pull(REPO, 42)
        await github.get_pull(REPO, 43)
        with pytest.raises(NotFoundError):
            await github.get_pull(REPO, 44)
        await github.list_reviews(REPO, 42)
        await github.review_requirement(REPO, "main")
        await github.review_requirement(REPO, "dev")
        await github.review_state(REPO, 42)
        await github.check_runs(REPO, SHA)
        await github.combined_status(REPO, SHA)
        assert await github.find_deployment(REPO, SHA, "production") is None
        created = await github.create_deployment(
            REPO,
            SHA,
            "production",
            description="edge-api " + V_NEW[:8],
            payload={"version_id": V_NEW},
            production_environment=True,
        )
        await github.create_deployment_status(
            REPO,
            created.id,
            "success",
            description="live",
            log_url="https://prefect/run/1",
            environment_url="https://edge.example.com",
        )


async def test_github_requests_and_answers_match_the_description(fake_time):
    provider = ScriptedProvider(fake_time)
    await _github_session(provider, fake_time)
    by_kind = {"described": 0, "rulesets": 0, "graphql": 0}
    for exchange in provider.exchanges:
        path = exchange.request.url.path
        headers = exchange.request.headers
        assert headers["accept"] == "application/vnd.github+json"
        assert headers["x-github-api-version"] == "2022-11-28"
        assert headers["authorization"] == f"Bearer {TOKEN}"
        if path == "/graphql":
            _check_graphql(exchange)
            by_kind["graphql"] += 1
        elif path.startswith(GH + "/rules/branches/"):
            # GET /repos/{owner}/{repo}/rules/branches/{branch} is newer than the 2022 description.
            assert exchange.request.method == "GET"
            assert set(exchange.request.url.params) <= {"per_page", "page"}
            assert exchange.response is not None
            for rule in exchange.response.json():
                assert {"type", "ruleset_source_type", "ruleset_source", "ruleset_id"} <= set(rule)
            by_kind["rulesets"] += 1
        else:
            _check_described(GITHUB_REST, exchange)
            by_kind["described"] += 1
    # pulls x3, reviews x2, protection x2, check runs, status, deployments GET x2 + POST,
    # statuses POST x2 + GET (the read-back)
    assert by_kind == {"described": 15, "rulesets": 2, "graphql": 1}


# -- Cloudflare --------------------------------------------------------------------------------


async def _cloudflare_session(provider: ScriptedProvider, fake_time: FakeTime) -> None:
    old = cf_deployment("dep-1", [(V_OLD, 100)], created_on="2026-03-01T10:00:00.000000Z")
    new = cf_deployment("dep-2", [(V_NEW, 100)], created_on="2026-03-02T10:00:00.000000Z")
    provider.on(
        "GET",
        CF + "/deployments",
        cf_ok({"deployments": [old]}),
        cf_ok({"deployments": [old]}),
        cf_ok({"deployments": [new, old]}),
    )
    provider.on("POST", CF + "/deployments", Reply(error=httpx.ReadTimeout), cf_ok(new))
    provider.on(
        "GET",
        CF + "/versions",
        cf_ok(
            {"items": [cf_version(V_OLD, 7, tag="0ld")]},
            {"page": 1, "per_page": 50, "count": 1, "total_count": 1},
        ),
    )
    provider.on(
        "POST",
        CF + "/versions",
        Reply(502, text="lost"),
        cf_ok(cf_version(V_NEW, 8, tag="abc1234", message="PR 42", full=True)),
    )
    provider.on(
        "GET",
        CF + f"/versions/{V_NEW}",
        cf_ok(cf_version(V_NEW, 8, tag="abc1234", message="PR 42", full=True)),
    )
    provider.on("GET", CF + "/versions/missing", cf_error(404, 10007, "worker not found"))
    provider.on("GET", CF + "/secrets", cf_ok([{"name": "API_KEY", "type": "secret_text"}]))
    provider.on("POST", "/client/v4/graphql", Reply(200, cf_analytics(("success", 10, 0))))

    async with CloudflareClient(
        CLOUDFLARE_URL, TOKEN, transport=provider.transport, retry=fake_time.policy()
    ) as cloudflare:
        await cloudflare.list_versions(ACCOUNT, SCRIPT)
        await cloudflare.upload_version(
            ACCOUNT,
            SCRIPT,
            main_module="worker.js",
            source="export default {}",
            compatibility_date="2026-03-01",
            message="PR 42",
            tag="abc1234",
        )
        await cloudflare.get_version(ACCOUNT, SCRIPT, V_NEW)
        with pytest.raises(NotFoundError):
            await cloudflare.get_version(ACCOUNT, SCRIPT, "missing")
        outcome = await cloudflare.deploy(ACCOUNT, SCRIPT, V_NEW, message="deploy abc1234")
        assert outcome.created
        await cloudflare.deploy(ACCOUNT, SCRIPT, V_NEW, message="deploy abc1234")  # already live
        await cloudflare.secret_names(ACCOUNT, SCRIPT)
        start = datetime(2026, 3, 2, tzinfo=UTC)
        await cloudflare.invocation_totals(ACCOUNT, SCRIPT, start, start + timedelta(minutes=30))


async def test_cloudflare_requests_and_answers_match_the_description(fake_time):
    provider = ScriptedProvider(fake_time)
    await _cloudflare_session(provider, fake_time)
    checked = {"workers": 0, "secrets": 0, "graphql": 0, "failures": 0}
    for exchange in provider.exchanges:
        path = exchange.request.url.path
        assert exchange.request.headers["authorization"] == f"Bearer {TOKEN}"
        response = exchange.response
        failed = response is not None and response.status_code >= 400
        # The workers description's 4XX schemas are unsatisfiable (below); failure envelopes are
        # checked against Cloudflare's common envelope instead.
        if (
            response is not None
            and failed
            and response.headers["content-type"] == "application/json"
        ):
            validate_component(CLOUDFLARE_ENVELOPE, "api-response-common-failure", response.json())
            checked["failures"] += 1
        if path == "/client/v4/graphql":
            _check_graphql(exchange)
            checked["graphql"] += 1
        elif path.endswith("/secrets"):
            _check_described(CLOUDFLARE_SECRETS, exchange)
            checked["secrets"] += 1
        else:
            _check_described(CLOUDFLARE_WORKERS, exchange, answer=not failed)
            checked["workers"] += 1
    # versions list x2 (the lost upload's read-back), uploads x2, get x2, deployments GET x3 +
    # POST x2, secrets, analytics
    assert checked == {"workers": 11, "secrets": 1, "graphql": 1, "failures": 1}


def test_workers_description_4xx_schemas_cannot_be_satisfied():
    """Why failure envelopes are validated against the common envelope: the 2024 description's
    4XX schemas are allOf(success-response with success: [true], failure with success: [false])."""
    operation = spec_document(CLOUDFLARE_WORKERS)["paths"][
        "/accounts/{account_id}/workers/scripts/{script_name}/deployments"
    ]["get"]
    parts = operation["responses"]["4XX"]["content"]["application/json"]["schema"]["allOf"]
    assert [p["$ref"].rsplit("/", 1)[1] for p in parts] == [
        "workers_schemas-deployments-list-response",
        "workers_api-response-common-failure",
    ]
    body = {
        "success": False,
        "errors": [{"code": 10007, "message": "worker not found"}],
        "messages": [],
        "result": None,
    }
    with pytest.raises(jsonschema.ValidationError, match="True"):
        validate_component(CLOUDFLARE_WORKERS, "workers_schemas-deployments-list-response", body)
    validate_component(CLOUDFLARE_ENVELOPE, "api-response-common-failure", body)


@pytest.mark.parametrize(
    "answer",
    [cf_analytics(), cf_analytics(("success", 1, 0), ("scriptThrewException", 2, 2))],
)
def test_canned_analytics_answers_have_graphqls_shape(answer):
    # No machine-readable description of Cloudflare's GraphQL here: the shape is the documented one.
    assert set(answer) == {"data", "errors"}
    rows = answer["data"]["viewer"]["accounts"][0]["workersInvocationsAdaptive"]
    for row in rows:
        assert set(row["sum"]) == {"requests", "errors"} and set(row["dimensions"]) == {"status"}


@pytest.mark.parametrize(
    ("spec", "component", "instance"),
    [
        (GITHUB_REST, "check-run", gh_check_runs(("e2e", "in_progress", None))["check_runs"][0]),
        (GITHUB_REST, "deployment", gh_deployment(5, payload=json.dumps({"version_id": "v5"}))),
        (GITHUB_REST, "deployment", gh_deployment(11, environment="staging")),
        (GITHUB_REST, "combined-commit-status", gh_combined_status("pending")),
        (GITHUB_REST, "pull-request-review", gh_review(3, None, "APPROVED")),
        (GITHUB_REST, "pull-request", gh_pull(7, body=None, draft=True)),
        (
            CLOUDFLARE_WORKERS,
            "workers_schemas-deployments-list-response",
            cf_ok(
                {
                    "deployments": [
                        cf_deployment(
                            "d2", [(V_NEW, 10), (V_OLD, 90)], created_on="2026-03-02T11:00:00Z"
                        )
                    ]
                }
            ).json,
        ),
        (
            CLOUDFLARE_WORKERS,
            "workers_versions-list-response",
            cf_ok({"items": [cf_version(V_NEW, 8, message="PR 42")]}).json,
        ),
        (
            CLOUDFLARE_WORKERS,
            "workers_versions-single-response",
            cf_ok(cf_version(V_NEW, 8, tag="abc1234", full=True)).json,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_canned_variants_used_elsewhere_fit_the_descriptions(spec, component, instance):
    validate_component(spec, component, instance)
