"""The GraphQL documents the clients send, checked against what the vendors describe.

GitHub: every field and argument on a type in the SDL excerpt (tests/specs/...graphql) must exist
there; the few types outside the excerpt are checked against a hand-written list of their fields
from GitHub's public schema. graphql-core is not a dependency here, so the check is textual; when
graphql-core is importable the documents are also parsed by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from clients._queries import CLOUDFLARE_INVOCATIONS_QUERY, GITHUB_REVIEW_STATE_QUERY
from tests.clients._spec import SPECS

SDL = (SPECS / "github-graphql-review-threads.graphql").read_text()

# Types the query passes through that the excerpt leaves out: field -> (arguments, type).
OUTSIDE_EXCERPT: dict[str, dict[str, tuple[set[str], str]]] = {
    "Query": {"repository": ({"owner", "name", "followRenames"}, "Repository")},
    "Repository": {"pullRequest": ({"number"}, "PullRequest")},
    "PullRequestReviewCommentConnection": {"nodes": (set(), "PullRequestReviewComment")},
    "PullRequestReviewComment": {"author": (set(), "Actor"), "body": (set(), "String")},
    "Actor": {"login": (set(), "String")},
}


@dataclass
class Selection:
    name: str
    arguments: set[str] = field(default_factory=set)
    children: list[Selection] = field(default_factory=list)


def sdl_types(sdl: str) -> dict[str, dict[str, tuple[set[str], str]]]:
    text = re.sub(r'"""(.|\n)*?"""', "", sdl)
    text = re.sub(r"#[^\n]*", "", text)
    types: dict[str, dict[str, tuple[set[str], str]]] = {}
    for name, body in re.findall(r"\btype\s+(\w+)[^{]*\{(.*?)\n\}", text, flags=re.S):
        fields = {}
        for fname, args, ftype in re.findall(r"(\w+)\s*(\([^)]*\))?\s*:\s*\[?\s*(\w+)", body):
            fields[fname] = (set(re.findall(r"(\w+)\s*:", args)), ftype)
        types[name] = fields
    return types


def parse_selections(document: str) -> list[Selection]:
    body = document[document.index("{") :]
    tokens = re.findall(r"\(.*?\)|[{}]|\w+", body, flags=re.S)
    position = 0

    def selection_set() -> list[Selection]:
        nonlocal position
        assert tokens[position] == "{"
        position += 1
        selections: list[Selection] = []
        while tokens[position] != "}":
            current = Selection(tokens[position])
            position += 1
            if tokens[position].startswith("("):
                current.arguments = set(re.findall(r"(\w+)\s*:", tokens[position]))
                position += 1
            if tokens[position] == "{":
                current.children = selection_set()
            selections.append(current)
        position += 1
        return selections

    return selection_set()


def check(selections: list[Selection], type_name: str, types, problems: list[str]) -> None:
    known = types.get(type_name) or OUTSIDE_EXCERPT.get(type_name)
    if known is None:
        problems.append(f"no description of type {type_name}")
        return
    for selection in selections:
        if selection.name not in known:
            problems.append(f"{type_name}.{selection.name} does not exist")
            continue
        arguments, child_type = known[selection.name]
        if not selection.arguments <= arguments:
            problems.append(
                f"{type_name}.{selection.name}: unknown {selection.arguments - arguments}"
            )
        if selection.children:
            check(selection.children, child_type, types, problems)


def test_the_sdl_excerpt_is_read():
    types = sdl_types(SDL)
    assert types["PullRequestReviewThread"]["isResolved"] == (set(), "Boolean")
    assert types["PullRequest"]["reviewThreads"][0] == {"after", "before", "first", "last"}
    assert types["PageInfo"]["endCursor"] == (set(), "String")


def test_github_review_state_query_uses_only_described_fields():
    problems: list[str] = []
    check(parse_selections(GITHUB_REVIEW_STATE_QUERY), "Query", sdl_types(SDL), problems)
    assert problems == []


def test_the_textual_check_catches_a_wrong_field():
    broken = GITHUB_REVIEW_STATE_QUERY.replace("isOutdated", "isStale")
    problems: list[str] = []
    check(parse_selections(broken), "Query", sdl_types(SDL), problems)
    assert problems == ["PullRequestReviewThread.isStale does not exist"]


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (GITHUB_REVIEW_STATE_QUERY, {"owner", "name", "number", "cursor"}),
        (CLOUDFLARE_INVOCATIONS_QUERY, {"accountTag", "scriptName", "start", "end"}),
    ],
    ids=["github", "cloudflare"],
)
def test_variables_are_declared_and_used(document, variables):
    header, body = document.split("{", 1)
    assert set(re.findall(r"\$(\w+)\s*:", header)) == variables
    assert set(re.findall(r"\$(\w+)", body)) == variables


def test_cloudflare_query_has_the_documented_shape():
    selections = parse_selections(CLOUDFLARE_INVOCATIONS_QUERY)
    (viewer,) = selections
    (accounts,) = viewer.children
    (adaptive,) = accounts.children
    assert (viewer.name, accounts.name, adaptive.name) == (
        "viewer",
        "accounts",
        "workersInvocationsAdaptive",
    )
    assert accounts.arguments == {"filter", "accountTag"}
    assert {"limit", "filter", "scriptName", "datetime_geq", "datetime_leq"} <= adaptive.arguments
    sums = next(s for s in adaptive.children if s.name == "sum")
    assert {c.name for c in sums.children} == {"requests", "errors"}


def test_documents_parse_with_graphql_core_when_available():
    graphql = pytest.importorskip("graphql")
    graphql.parse(GITHUB_REVIEW_STATE_QUERY)
    graphql.parse(CLOUDFLARE_INVOCATIONS_QUERY)


def test_github_query_is_valid_against_githubs_own_schema():
    """The whole of GitHub's public schema (@octokit/graphql-schema, installed by `npm ci`), not
    the excerpt: every field, argument and variable type as GitHub checks them."""
    from graphql import parse, validate

    from sandbox.github.graphql import github_schema

    schema = github_schema()
    assert schema is not None, "run `npm ci`: node_modules/@octokit/graphql-schema is missing"
    assert validate(schema, parse(GITHUB_REVIEW_STATE_QUERY)) == []
    wrong = GITHUB_REVIEW_STATE_QUERY.replace("$number: Int!", "$number: String!")
    assert validate(schema, parse(wrong)), "a wrongly typed variable must be refused"
