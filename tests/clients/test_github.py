"""GitHubClient reads: parsing, pagination, review requirements, GraphQL review state."""

from __future__ import annotations

import json

import pytest

from clients import GitHubClient, NotFoundError, ProviderError, ReviewThread
from tests.clients._canned import (
    REPO,
    SHA,
    gh_check_runs,
    gh_combined_status,
    gh_deployment,
    gh_error,
    gh_protection,
    gh_pull,
    gh_pull_request_rule,
    gh_review,
    gh_review_state_page,
    gh_thread,
)
from tests.clients._support import TOKEN, Reply
from tests.clients.conftest import GITHUB_URL

pytestmark = pytest.mark.anyio

BASE = "/repos/octo-org/edge-api"
PROTECTION = BASE + "/branches/main/protection/required_pull_request_reviews"
RULES = BASE + "/rules/branches/main"


def _next(url: str) -> dict[str, str]:
    return {"Link": f'<{url}>; rel="next", <{url}>; rel="last"'}


async def test_get_pull_reads_the_facts_the_checklist_needs(github, provider):
    provider.on("GET", BASE + "/pulls/42", Reply(200, gh_pull(body=None)))
    pull = await github.get_pull(REPO, 42)
    assert pull.number == 42 and pull.merged and pull.merge_commit_sha == SHA
    assert pull.labels == ("secret-change", "api-change")
    assert pull.body == ""  # GitHub's null description
    assert pull.base_ref == "main" and pull.head_sha.startswith("e5bd39")
    assert pull.draft is False and pull.html_url.endswith("/pull/42")


async def test_every_request_carries_githubs_headers(github, provider):
    provider.on("GET", BASE + "/pulls/42", Reply(200, gh_pull()))
    await github.get_pull(REPO, 42)
    headers = provider.exchanges[0].request.headers
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert headers["authorization"] == f"Bearer {TOKEN}"


async def test_reviews_follow_the_link_header(github, provider):
    page2 = f"{GITHUB_URL}{BASE}/pulls/42/reviews?per_page=100&page=2"
    provider.on(
        "GET",
        BASE + "/pulls/42/reviews",
        Reply(
            200,
            [gh_review(1, "alice", "COMMENTED"), gh_review(2, "bob", "APPROVED")],
            headers=_next(page2),
        ),
        Reply(200, [gh_review(3, None, "APPROVED")]),
    )
    reviews = await github.list_reviews(REPO, 42)
    assert [(r.id, r.user, r.state) for r in reviews] == [
        (1, "alice", "COMMENTED"),
        (2, "bob", "APPROVED"),
        (3, None, "APPROVED"),
    ]
    first, second = provider.exchanges
    assert first.request.url.params["per_page"] == "100"
    assert str(second.request.url) == page2
    assert reviews[1].submitted_at is not None and reviews[1].commit_id == SHA


async def test_a_page_link_to_another_host_is_not_followed(github, provider):
    provider.on(
        "GET",
        BASE + "/pulls/42/reviews",
        Reply(200, [], headers=_next("https://evil.example/steal?page=2")),
    )
    with pytest.raises(ProviderError, match="refusing to follow"):
        await github.list_reviews(REPO, 42)
    assert len(provider.exchanges) == 1


@pytest.mark.parametrize(
    ("protection", "rules", "expected"),
    [
        (None, [], (0, False, False, ())),
        (gh_protection(2, code_owners=True), [], (2, True, False, ("protection",))),
        (None, [gh_pull_request_rule(1, threads=True)], (1, False, True, ("rulesets",))),
        (
            gh_protection(1),
            [
                gh_pull_request_rule(3, threads=True),
                gh_pull_request_rule(2, code_owners=True),
                {"type": "required_signatures", "ruleset_id": 9},
            ],
            (3, True, True, ("protection", "rulesets")),
        ),
        (
            gh_protection(4),
            [gh_pull_request_rule(1)],
            (4, False, False, ("protection", "rulesets")),
        ),
        (None, [{"type": "deletion", "ruleset_id": 5}], (0, False, False, ())),
    ],
    ids=[
        "neither",
        "protection-only",
        "rulesets-only",
        "strictest-of-all",
        "protection-wins",
        "unrelated-rules",
    ],
)
async def test_review_requirement_takes_the_strictest_of_protection_and_rulesets(
    github, provider, protection, rules, expected
):
    provider.on(
        "GET",
        PROTECTION,
        Reply(404, gh_error("Branch not protected"))
        if protection is None
        else Reply(200, protection),
    )
    provider.on("GET", RULES, Reply(200, rules))
    requirement = await github.review_requirement(REPO, "main")
    assert (
        requirement.required_approvals,
        requirement.require_code_owner_reviews,
        requirement.thread_resolution_required,
        requirement.sources,
    ) == expected


async def test_review_requirement_quotes_branch_names_with_slashes(github, provider):
    # Routes match the decoded path; the raw path must carry the slash encoded, as one segment.
    provider.on(
        "GET",
        BASE + "/branches/release/1.0/protection/required_pull_request_reviews",
        Reply(404, gh_error("Branch not protected")),
    )
    provider.on("GET", BASE + "/rules/branches/release/1.0", Reply(200, []))
    await github.review_requirement(REPO, "release/1.0")
    assert len(provider.exchanges) == 2
    assert all(b"/release%2F1.0" in e.request.url.raw_path for e in provider.exchanges)


async def test_review_requirement_does_not_hide_a_missing_repository(github, provider):
    provider.on("GET", PROTECTION, Reply(404, gh_error("Not Found")))
    provider.on("GET", RULES, Reply(404, gh_error("Not Found")))
    with pytest.raises(NotFoundError):
        await github.review_requirement(REPO, "main")


async def test_review_state_follows_graphql_pagination(github, provider):
    first = gh_review_state_page(
        "APPROVED", [gh_thread(True, "src/a.ts", "alice", "nit")], total=2, next_cursor="Y3Vy"
    )
    second = gh_review_state_page(
        "APPROVED", [gh_thread(False, "src/b.ts", None, "")], total=2, next_cursor=None
    )
    provider.on("POST", "/graphql", Reply(200, first), Reply(200, second))
    state = await github.review_state(REPO, 42)
    assert state.review_decision == "APPROVED"
    assert state.threads == (
        ReviewThread(
            is_resolved=True, is_outdated=False, path="src/a.ts", author="alice", body="nit"
        ),
        ReviewThread(is_resolved=False, is_outdated=False, path="src/b.ts", author=None, body=""),
    )
    sent = [e.body["variables"] for e in provider.exchanges]
    assert sent == [
        {"owner": "octo-org", "name": "edge-api", "number": 42, "cursor": None},
        {"owner": "octo-org", "name": "edge-api", "number": 42, "cursor": "Y3Vy"},
    ]


async def test_review_decision_null_is_kept_as_none(github, provider):
    provider.on(
        "POST", "/graphql", Reply(200, gh_review_state_page(None, [], total=0, next_cursor=None))
    )
    assert (await github.review_state(REPO, 42)).review_decision is None


async def test_graphql_errors_in_a_200_are_provider_errors(github, provider):
    body = {
        "data": None,
        "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}],
    }
    provider.on("POST", "/graphql", Reply(200, body))
    with pytest.raises(ProviderError) as caught:
        await github.review_state(REPO, 42)
    assert caught.value.code == "RATE_LIMITED" and "rate limit" in caught.value.detail
    assert not isinstance(caught.value, NotFoundError)


async def test_graphql_not_found_is_not_found(github, provider):
    body = {
        "data": {"repository": None},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["repository"],
                "message": "Could not resolve to a Repository with the name 'x'.",
            }
        ],
    }
    provider.on("POST", "/graphql", Reply(200, body))
    with pytest.raises(NotFoundError):
        await github.review_state(REPO, 42)


async def test_graphql_url_can_be_moved_for_enterprise_server(provider, fake_time):
    provider.on(
        "POST",
        "/api/graphql",
        Reply(200, gh_review_state_page(None, [], total=0, next_cursor=None)),
    )
    async with GitHubClient(
        "https://ghe.example/api/v3",
        TOKEN,
        transport=provider.transport,
        retry=fake_time.policy(),
        graphql_url="https://ghe.example/api/graphql",
    ) as client:
        await client.review_state(REPO, 1)
    assert provider.exchanges[0].request.url.host == "ghe.example"


async def test_check_runs_latest_only_across_pages(github, provider):
    path = BASE + f"/commits/{SHA}/check-runs"
    page2 = f"{GITHUB_URL}{path}?filter=latest&per_page=100&page=2"
    provider.on(
        "GET",
        path,
        Reply(
            200,
            gh_check_runs(("build", "completed", "success"), ("e2e", "in_progress", None), total=3),
            headers=_next(page2),
        ),
        Reply(200, gh_check_runs(("lint", "completed", "neutral"), total=3)),
    )
    runs = await github.check_runs(REPO, SHA)
    assert [(r.name, r.status, r.conclusion) for r in runs] == [
        ("build", "completed", "success"),
        ("e2e", "in_progress", None),
        ("lint", "completed", "neutral"),
    ]
    assert runs[0].app_slug  # from the example's app.slug
    assert provider.exchanges[0].request.url.params["filter"] == "latest"


async def test_combined_status_pending_with_nothing_reported(github, provider):
    provider.on("GET", BASE + f"/commits/{SHA}/status", Reply(200, gh_combined_status("pending")))
    status = await github.combined_status(REPO, SHA)
    assert (status.state, status.total_count, status.statuses) == ("pending", 0, ())


async def test_combined_status_lists_contexts(github, provider):
    provider.on(
        "GET",
        BASE + f"/commits/{SHA}/status",
        Reply(200, gh_combined_status("failure", ("ci/a", "success"), ("ci/b", "failure"))),
    )
    status = await github.combined_status(REPO, SHA)
    assert [(s.context, s.state) for s in status.statuses] == [
        ("ci/a", "success"),
        ("ci/b", "failure"),
    ]


async def test_find_deployment_returns_the_newest_match_or_none(github, provider):
    provider.on("GET", BASE + "/deployments", Reply(200, []))
    assert await github.find_deployment(REPO, SHA, "production") is None
    provider.on(
        "GET",
        BASE + "/deployments",
        Reply(
            200,
            [
                gh_deployment(5, payload=json.dumps({"version_id": "v5"})),
                gh_deployment(9, payload={"version_id": "v9"}),
                gh_deployment(11, environment="staging"),
            ],
        ),
    )
    found = await github.find_deployment(REPO, SHA, "production")
    assert found is not None and found.id == 9 and found.payload == {"version_id": "v9"}


async def test_deployment_payload_sent_back_as_a_json_string_is_decoded(github, provider):
    provider.on(
        "GET",
        BASE + "/deployments",
        Reply(200, [gh_deployment(5, payload=json.dumps({"version_id": "v5"}))]),
    )
    found = await github.find_deployment(REPO, SHA, "production")
    assert found is not None and found.payload == {"version_id": "v5"}


async def test_an_unexpected_answer_shape_is_a_provider_error(github, provider):
    provider.on("GET", BASE + "/pulls/42", Reply(200, {"number": 42}))
    with pytest.raises(ProviderError, match="unexpected answer"):
        await github.get_pull(REPO, 42)


@pytest.mark.parametrize("repo", ["edge-api", "a/b/c", "/b", "a/"])
async def test_repositories_must_be_owner_slash_name(github, repo):
    with pytest.raises(ValueError):
        await github.get_pull(repo, 1)


async def test_compare_reads_status_and_counts(github, provider):
    base, head = "a" * 40, "b" * 40
    commit = {"sha": base, "commit": {"message": "m"}, "parents": []}
    body = {
        "status": "diverged",
        "ahead_by": 2,
        "behind_by": 1,
        "total_commits": 2,
        "base_commit": commit,
        "merge_base_commit": {**commit, "sha": "c" * 40},
        "commits": [],
        "files": [],
    }
    provider.on("GET", BASE + f"/compare/{base}...{head}", Reply(200, body))
    found = await github.compare(REPO, base, head)
    assert (found.status, found.ahead_by, found.behind_by) == ("diverged", 2, 1)
    assert found.merge_base_sha == "c" * 40
    assert provider.exchanges[0].request.url.params["per_page"] == "1"
