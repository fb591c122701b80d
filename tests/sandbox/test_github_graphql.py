"""GitHub GraphQL: reviewDecision and paginated reviewThreads for a pull request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.control import SandboxControl
from tests.sandbox.helpers import REPO, SHA

QUERY = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewDecision
      reviewThreads(first: 2, after: $cursor) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { isResolved isOutdated path comments(first: 1) { nodes { author { login } body } } }
      }
    }
  }
}
"""


def ask(gh: httpx.Client, number: int = 1, cursor: str | None = None, **extra: Any) -> dict:
    variables = {"owner": "acme", "name": "auth-api", "number": number, "cursor": cursor}
    answer = gh.post("/graphql", json={"query": QUERY, "variables": variables | extra})
    assert answer.status_code == 200
    body: dict = answer.json()
    return body


def decision(gh: httpx.Client) -> str | None:
    result: str | None = ask(gh)["data"]["repository"]["pullRequest"]["reviewDecision"]
    return result


@pytest.mark.parametrize(
    ("via", "required", "reviews", "expected"),
    [
        ("none", 1, [("alice", "APPROVED")], None),
        ("protection", 1, [("alice", "APPROVED")], "APPROVED"),
        ("rulesets", 1, [("alice", "APPROVED")], "APPROVED"),
        ("both", 2, [("alice", "APPROVED")], "REVIEW_REQUIRED"),
        ("protection", 1, [], "REVIEW_REQUIRED"),
        (
            "protection",
            1,
            [("alice", "APPROVED"), ("bob", "CHANGES_REQUESTED")],
            "CHANGES_REQUESTED",
        ),
        # A later comment does not cancel an approval; a dismissal does.
        ("protection", 1, [("alice", "APPROVED"), ("alice", "COMMENTED")], "APPROVED"),
        ("protection", 1, [("alice", "APPROVED"), ("alice", "DISMISSED")], "REVIEW_REQUIRED"),
        # A reviewer's latest verdict replaces the earlier one.
        ("protection", 1, [("bob", "CHANGES_REQUESTED"), ("bob", "APPROVED")], "APPROVED"),
    ],
)
def test_review_decision(
    control: SandboxControl,
    gh: httpx.Client,
    via: str,
    required: int,
    reviews: list[tuple[str, str]],
    expected: str | None,
) -> None:
    control.github_repo(REPO, via=via, required_approvals=required)
    control.github_pull(
        REPO, 1, head_sha=SHA, reviews=[{"user": u, "state": s} for u, s in reviews]
    )
    assert decision(gh) == expected


def test_review_threads_paginate_by_cursor(control: SandboxControl, gh: httpx.Client) -> None:
    threads = [
        {"is_resolved": i != 3, "path": f"src/f{i}.ts", "author": f"rev-{i}", "body": f"c{i}"}
        for i in range(5)
    ]
    control.github_pull(REPO, 1, head_sha=SHA, threads=threads)
    seen: list[dict] = []
    cursor = None
    pages = 0
    while True:
        connection = ask(gh, cursor=cursor)["data"]["repository"]["pullRequest"]["reviewThreads"]
        assert connection["totalCount"] == 5
        seen += connection["nodes"]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        cursor = connection["pageInfo"]["endCursor"]
    assert pages == 3
    assert [n["path"] for n in seen] == [f"src/f{i}.ts" for i in range(5)]
    unresolved = [n for n in seen if not n["isResolved"]]
    assert [n["comments"]["nodes"][0] for n in unresolved] == [
        {"author": {"login": "rev-3"}, "body": "c3"}
    ]


def test_answer_carries_only_the_requested_structures(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_pull(REPO, 1, head_sha=SHA)
    pull = ask(gh)["data"]["repository"]["pullRequest"]
    assert set(pull) == {"reviewDecision", "reviewThreads"}
    assert set(pull["reviewThreads"]) == {"totalCount", "pageInfo", "nodes"}
    assert set(pull["reviewThreads"]["pageInfo"]) == {"hasNextPage", "endCursor"}


def test_missing_pull_and_repo_are_graphql_errors(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_repo(REPO)
    missing_pull = ask(gh, number=99)
    assert missing_pull["data"] == {"repository": {"pullRequest": None}}
    assert missing_pull["errors"][0]["type"] == "NOT_FOUND"
    assert "99" in missing_pull["errors"][0]["message"]
    missing_repo = ask(gh, name="nope")
    assert missing_repo["data"] == {"repository": None}
    assert missing_repo["errors"][0]["type"] == "NOT_FOUND"


def test_unsupported_or_invalid_queries_answer_errors(
    control: SandboxControl, gh: httpx.Client
) -> None:
    other = gh.post("/graphql", json={"query": "{ viewer { login } }"}).json()
    assert other["data"] is None and other["errors"]
    no_vars = gh.post("/graphql", json={"query": QUERY, "variables": {}}).json()
    # refused before execution: errors only, no data (GraphQL spec, as GitHub answers)
    assert no_vars.get("data") is None and "$owner" in no_vars["errors"][0]["message"]


def test_documents_are_validated_against_githubs_schema(
    control: SandboxControl, gh: httpx.Client
) -> None:
    from clients._queries import GITHUB_REVIEW_STATE_QUERY as QUERY  # what the client sends
    from sandbox.github.graphql import github_schema

    assert github_schema() is not None, "npm ci installs @octokit/graphql-schema"
    control.ready_pull(REPO, 3, SHA)
    owner, name = REPO.split("/")
    variables = {"owner": owner, "name": name, "number": 3, "cursor": None}
    good = gh.post("/graphql", json={"query": QUERY, "variables": variables}).json()
    assert "errors" not in good, good
    unknown = gh.post(
        "/graphql", json={"query": QUERY.replace("isOutdated", "isStale"), "variables": variables}
    ).json()
    assert unknown["errors"][0]["message"] == (
        "Cannot query field 'isStale' on type 'PullRequestReviewThread'."
    )
    typed = gh.post("/graphql", json={"query": QUERY, "variables": {**variables, "number": "3"}})
    assert "Int cannot represent non-integer value" in typed.json()["errors"][0]["message"]
    undeclared = QUERY.replace("$cursor: String", "$cursor: Int")
    wrong = gh.post("/graphql", json={"query": undeclared, "variables": variables}).json()
    assert "of type 'Int' used in position expecting type 'String'" in wrong["errors"][0]["message"]
