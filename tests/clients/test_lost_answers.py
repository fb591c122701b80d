"""Writes whose answer was lost are read back before they are sent again."""

from __future__ import annotations

import httpx
import pytest

from clients import ProviderError
from tests.clients._canned import (
    ACCOUNT,
    REPO,
    SCRIPT,
    SHA,
    V_NEW,
    V_OLD,
    cf_deployment,
    cf_version,
    gh_deployment,
    gh_deployment_status,
)
from tests.clients._support import Reply, cf_ok

pytestmark = pytest.mark.anyio

SCRIPT_PATH = r"/client/v4/accounts/\w+/workers/scripts/[\w-]+"
DEPLOYMENTS = SCRIPT_PATH + "/deployments"
VERSIONS = SCRIPT_PATH + "/versions"
GH_DEPLOYMENTS = r"/repos/octo-org/edge-api/deployments"
GH_STATUSES = r"/repos/octo-org/edge-api/deployments/\d+/statuses"

LOST = [
    Reply(502, text="<html>bad gateway</html>"),
    Reply(
        500,
        json={
            "success": False,
            "errors": [{"code": 10000, "message": "internal"}],
            "messages": [],
            "result": None,
        },
    ),
    Reply(error=httpx.ReadTimeout),
    Reply(error=httpx.RemoteProtocolError),
]


def _live(version: str, deployment_id: str = "dep-1") -> Reply:
    shares = [(version, 100.0)]
    return cf_ok(
        {"deployments": [cf_deployment(deployment_id, shares, created_on="2026-03-02T10:00:00Z")]}
    )


def _posted(version: str) -> Reply:
    return cf_ok(cf_deployment("dep-new", [(version, 100.0)], created_on="2026-03-02T11:00:00Z"))


# -- Cloudflare deploy -------------------------------------------------------------------------


async def test_deploy_skips_when_the_version_is_already_live(cloudflare, provider):
    provider.on("GET", DEPLOYMENTS, _live(V_NEW))
    outcome = await cloudflare.deploy(ACCOUNT, SCRIPT, V_NEW, message="deploy")
    assert outcome.created is False and outcome.deployment.sole_version_id == V_NEW
    assert provider.calls("POST", DEPLOYMENTS) == []


async def test_deploy_goes_ahead_when_the_version_only_has_part_of_the_traffic(
    cloudflare, provider
):
    split = cf_deployment("dep-1", [(V_NEW, 10.0), (V_OLD, 90.0)], created_on="2026-03-02T10:00Z")
    provider.on("GET", DEPLOYMENTS, cf_ok({"deployments": [split]}))
    provider.on("POST", DEPLOYMENTS, _posted(V_NEW))
    outcome = await cloudflare.deploy(ACCOUNT, SCRIPT, V_NEW, message="deploy")
    assert outcome.created is True and outcome.deployment.id == "dep-new"
    (post,) = provider.calls("POST", DEPLOYMENTS)
    assert post.body == {
        "strategy": "percentage",
        "versions": [{"version_id": V_NEW, "percentage": 100}],
        "annotations": {"workers/message": "deploy"},
    }
    assert "force" not in post.request.url.params


@pytest.mark.parametrize("lost", LOST, ids=lambda r: str(r.error or r.status))
async def test_deploy_answer_lost_but_it_took_effect_is_not_sent_again(cloudflare, provider, lost):
    provider.on("GET", DEPLOYMENTS, _live(V_OLD), _live(V_NEW, "dep-new"))
    provider.on("POST", DEPLOYMENTS, lost, _posted(V_NEW))
    outcome = await cloudflare.deploy(ACCOUNT, SCRIPT, V_NEW, message="deploy")
    assert outcome.created is True and outcome.deployment.id == "dep-new"
    assert len(provider.calls("POST", DEPLOYMENTS)) == 1
    assert len(provider.calls("GET", DEPLOYMENTS)) == 2  # the pre-check and the read-back


@pytest.mark.parametrize("lost", LOST, ids=lambda r: str(r.error or r.status))
async def test_deploy_answer_lost_and_it_did_not_take_effect_is_sent_again(
    cloudflare, provider, lost
):
    provider.on("GET", DEPLOYMENTS, _live(V_OLD))
    provider.on("POST", DEPLOYMENTS, lost, _posted(V_NEW))
    outcome = await cloudflare.deploy(ACCOUNT, SCRIPT, V_NEW, message="deploy")
    assert outcome.created is True
    assert len(provider.calls("POST", DEPLOYMENTS)) == 2


@pytest.mark.parametrize(
    "not_processed",
    [Reply(429, json={}, headers={"Retry-After": "1"}), Reply(error=httpx.ConnectError)],
    ids=["429", "connect-error"],
)
async def test_deploy_not_processed_is_sent_again_without_reading_back(
    cloudflare, provider, not_processed
):
    provider.on("GET", DEPLOYMENTS, _live(V_OLD))
    provider.on("POST", DEPLOYMENTS, not_processed, _posted(V_NEW))
    await cloudflare.deploy(ACCOUNT, SCRIPT, V_NEW, message="deploy")
    assert len(provider.calls("POST", DEPLOYMENTS)) == 2
    assert len(provider.calls("GET", DEPLOYMENTS)) == 1  # only the pre-check


async def test_deploy_resends_are_bounded(cloudflare, provider):
    provider.on("GET", DEPLOYMENTS, _live(V_OLD))
    provider.on("POST", DEPLOYMENTS, Reply(503, text="unavailable"))
    with pytest.raises(ProviderError) as caught:
        await cloudflare.deploy(ACCOUNT, SCRIPT, V_NEW, message="deploy")
    assert len(provider.calls("POST", DEPLOYMENTS)) == 6
    assert caught.value.status == 503
    assert "answer was lost" in caught.value.detail  # the caller must read state before retrying


async def test_deploy_with_force_sends_the_query_flag(cloudflare, provider):
    provider.on("GET", DEPLOYMENTS, _live(V_NEW))
    provider.on("POST", DEPLOYMENTS, _posted(V_OLD))
    await cloudflare.deploy(ACCOUNT, SCRIPT, V_OLD, message="rollback", force=True)
    (post,) = provider.calls("POST", DEPLOYMENTS)
    assert post.request.url.params["force"] == "true"


# -- Cloudflare version upload -----------------------------------------------------------------


def _upload(cloudflare, **markers):
    return cloudflare.upload_version(
        ACCOUNT,
        SCRIPT,
        main_module="worker.js",
        source="export default {}",
        compatibility_date="2026-03-01",
        **markers,
    )


async def test_upload_lost_but_version_with_the_tag_exists_is_not_sent_again(cloudflare, provider):
    listed = cf_ok(
        {"items": [cf_version(V_NEW, 8, tag="abc1234"), cf_version(V_OLD, 7)]},
        {"page": 1, "per_page": 50, "total_count": 2},
    )
    provider.on("GET", VERSIONS, listed)
    provider.on("POST", VERSIONS, Reply(error=httpx.ReadTimeout))
    version = await _upload(cloudflare, tag="abc1234", message="PR 42")
    assert version.id == V_NEW and version.tag == "abc1234"
    assert len(provider.calls("POST", VERSIONS)) == 1


async def test_upload_lost_and_no_version_with_the_tag_is_sent_again(cloudflare, provider):
    listed = cf_ok(
        {"items": [cf_version(V_OLD, 7, tag="0ld")]}, {"page": 1, "per_page": 50, "total_count": 1}
    )
    provider.on("GET", VERSIONS, listed)
    provider.on(
        "POST",
        VERSIONS,
        Reply(502, text="lost"),
        cf_ok(cf_version(V_NEW, 8, tag="abc1234", full=True)),
    )
    version = await _upload(cloudflare, tag="abc1234")
    assert version.id == V_NEW
    assert len(provider.calls("POST", VERSIONS)) == 2


async def test_upload_lost_matches_on_the_message_when_there_is_no_tag(cloudflare, provider):
    listed = cf_ok({"items": [cf_version(V_NEW, 8, message="PR 42")]})
    provider.on("GET", VERSIONS, listed)
    provider.on("POST", VERSIONS, Reply(504, text="lost"))
    assert (await _upload(cloudflare, message="PR 42")).id == V_NEW
    assert len(provider.calls("POST", VERSIONS)) == 1


async def test_upload_lost_without_any_marker_is_never_sent_again(cloudflare, provider):
    provider.on("POST", VERSIONS, Reply(502, text="lost"))
    with pytest.raises(ProviderError) as caught:
        await _upload(cloudflare)
    assert "not safe to repeat" in caught.value.detail
    assert len(provider.calls("POST", VERSIONS)) == 1


# -- GitHub deployments ------------------------------------------------------------------------


def _create(github, payload=None):
    return github.create_deployment(
        REPO,
        SHA,
        "production",
        description="edge-api version v1",
        payload=payload or {"version_id": V_NEW},
        production_environment=True,
    )


async def test_create_deployment_lost_but_recorded_is_not_sent_again(github, provider):
    provider.on(
        "GET", GH_DEPLOYMENTS, Reply(200, [gh_deployment(7, payload={"version_id": V_NEW})])
    )
    provider.on("POST", GH_DEPLOYMENTS, Reply(502, text="lost"))
    deployment = await _create(github)
    assert deployment.id == 7
    assert len(provider.calls("POST", GH_DEPLOYMENTS)) == 1
    (lookup,) = provider.calls("GET", GH_DEPLOYMENTS)
    assert dict(lookup.request.url.params) == {
        "sha": SHA,
        "environment": "production",
        "task": "deploy",
        "per_page": "100",
    }


async def test_create_deployment_lost_and_absent_is_sent_again(github, provider):
    provider.on("GET", GH_DEPLOYMENTS, Reply(200, []))
    provider.on(
        "POST",
        GH_DEPLOYMENTS,
        Reply(error=httpx.ReadTimeout),
        Reply(201, gh_deployment(8, payload={"version_id": V_NEW})),
    )
    assert (await _create(github)).id == 8
    assert len(provider.calls("POST", GH_DEPLOYMENTS)) == 2


async def test_create_deployment_lost_finds_only_an_older_different_one_and_sends_again(
    github, provider
):
    older = gh_deployment(3, payload={"version_id": V_OLD})
    provider.on("GET", GH_DEPLOYMENTS, Reply(200, [older]))
    provider.on(
        "POST",
        GH_DEPLOYMENTS,
        Reply(500, {"message": "Server Error"}),
        Reply(201, gh_deployment(9, payload={"version_id": V_NEW})),
    )
    assert (await _create(github)).id == 9
    assert len(provider.calls("POST", GH_DEPLOYMENTS)) == 2


async def test_create_deployment_sends_no_auto_merge_and_no_required_contexts(github, provider):
    provider.on("POST", GH_DEPLOYMENTS, Reply(201, gh_deployment(10)))
    await _create(github)
    (post,) = provider.calls("POST", GH_DEPLOYMENTS)
    assert post.body["auto_merge"] is False and post.body["required_contexts"] == []
    assert post.body["ref"] == SHA and post.body["production_environment"] is True


async def test_create_deployment_that_merged_instead_is_an_error(github, provider):
    provider.on("POST", GH_DEPLOYMENTS, Reply(202, {"message": "Auto-merged main into topic"}))
    with pytest.raises(ProviderError) as caught:
        await _create(github)
    assert caught.value.status == 202 and "Auto-merged" in caught.value.detail


async def test_deployment_status_lost_but_recorded_is_not_sent_again(github, provider):
    provider.on(
        "GET",
        GH_STATUSES,
        Reply(
            200,
            [
                gh_deployment_status(12, "success", "live"),
                gh_deployment_status(11, "in_progress", "x"),
            ],
        ),
    )
    provider.on("POST", GH_STATUSES, Reply(error=httpx.ReadTimeout))
    status = await github.create_deployment_status(REPO, 7, "success", description="live")
    assert status.id == 12
    assert len(provider.calls("POST", GH_STATUSES)) == 1


async def test_deployment_status_lost_and_newest_differs_is_sent_again(github, provider):
    provider.on("GET", GH_STATUSES, Reply(200, [gh_deployment_status(11, "in_progress", "live")]))
    provider.on(
        "POST",
        GH_STATUSES,
        Reply(503, text="lost"),
        Reply(201, gh_deployment_status(12, "success", "live")),
    )
    status = await github.create_deployment_status(REPO, 7, "success", description="live")
    assert status.id == 12
    assert len(provider.calls("POST", GH_STATUSES)) == 2


async def test_deployment_status_description_is_cut_to_140_characters(github, provider):
    provider.on("POST", GH_STATUSES, Reply(201, gh_deployment_status(1, "failure", "x")))
    await github.create_deployment_status(
        REPO,
        7,
        "failure",
        description="y" * 500,
        log_url="https://ui/run/1",
        environment_url="https://edge.example.com",
    )
    (post,) = provider.calls("POST", GH_STATUSES)
    assert len(post.body["description"]) == 140
    assert post.body["log_url"] == "https://ui/run/1"
    assert post.body["environment_url"] == "https://edge.example.com"
