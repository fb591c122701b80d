"""The sandbox's pure pieces, without HTTP."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.clock import ManualClock, parse_instant
from sandbox.cloudflare.analytics import invocation_totals
from sandbox.cloudflare.model import Deployment, Script
from sandbox.faults import FaultSpecError, FaultStore
from sandbox.github.model import GitHubStore, Pull, Repo, Review
from sandbox.github.reviews import code_owners, latest_verdicts, review_decision
from sandbox.requestlog import REDACTED, redact_headers, redact_json
from sandbox.worker.routing import parse_overrides, pick_version

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def reviews(*pairs: tuple[str, str]) -> list[Review]:
    return [
        Review(i, user, state, "sha", "", T0 + timedelta(seconds=i))
        for i, (user, state) in enumerate(pairs)
    ]


def repo_and_pull(via: str, required: int, given: list[Review]) -> tuple[Repo, Pull]:
    repo = Repo("o", "r", 1, "main", required, via, True, T0, collaborators={"a": "write"})
    pull = Pull(
        1,
        2,
        "t",
        "",
        "u",
        "sha",
        "f",
        "main",
        True,
        "sha",
        False,
        [],
        T0,
        T0,
        T0,
        True,
        reviews=given,
    )
    return repo, pull


def test_pending_reviews_never_count() -> None:
    assert latest_verdicts(reviews(("a", "APPROVED"), ("a", "PENDING"))) == {"a": "APPROVED"}
    store = GitHubStore()
    unprotected = repo_and_pull("none", 1, reviews(("a", "CHANGES_REQUESTED")))
    assert review_decision(store, *unprotected) is None
    assert review_decision(store, *repo_and_pull("protection", 0, [])) == "APPROVED"
    pending = repo_and_pull("protection", 1, reviews(("a", "APPROVED"), ("a", "PENDING")))
    assert review_decision(store, *pending) == "APPROVED"


def test_codeowners_patterns_as_github_reads_them() -> None:
    repo, _ = repo_and_pull("protection", 1, [])
    repo.contents["CODEOWNERS"] = "* @all\n/src/ @src  # inline\ndocs/*.md @docs\n**/keys @sec\n"
    assert code_owners(repo, "README.md") == ["all"]
    assert code_owners(repo, "src/a/b.ts") == ["src"]
    assert code_owners(repo, "docs/a.md") == ["docs"]
    assert code_owners(repo, "docs/deep/a.md") == ["all"]
    assert code_owners(repo, "x/keys/k.pem") == ["sec"]
    repo.contents[".github/CODEOWNERS"] = "/src/ @first\n"  # .github/ is looked at first
    assert code_owners(repo, "src/a.ts") == ["first"]
    assert code_owners(repo, "README.md") == []


def test_override_header_parsing() -> None:
    header = 'other="v0", auth-api-production="v1"'
    assert parse_overrides(header) == {"other": "v0", "auth-api-production": "v1"}
    assert parse_overrides("garbage") == {}
    assert parse_overrides(None) == {}


def test_split_and_affinity() -> None:
    live = Deployment("d", T0, [("a", 25.0), ("b", 75.0)], None, "deployment")
    rng = random.Random(1)
    counts = Counter(pick_version("s", live, rng) for _ in range(4000))
    assert 800 < counts["a"] < 1200
    keyed = {pick_version("s", live, rng, affinity_key="user-7") for _ in range(20)}
    assert len(keyed) == 1  # the same key always lands on the same version


def test_faults_slow_then_terminal_and_count() -> None:
    store = FaultStore()
    store.add({"target": "*", "kind": "slow", "delay_s": 0.2})
    store.add({"target": "github", "kind": "status", "status": 500, "count": 1})
    store.add({"target": "github", "kind": "rate_limit"})
    first = store.decide("github", "GET", "/github/x")
    assert first.delay_s == 0.2 and first.terminal and first.terminal.kind == "status"
    second = store.decide("github", "GET", "/github/x")
    assert second.terminal and second.terminal.kind == "rate_limit"
    other = store.decide("cloudflare", "GET", "/cloudflare/client/v4/x")
    assert other.terminal is None and other.delay_s == 0.2
    with pytest.raises(FaultSpecError):
        store.add({"target": "github", "kind": "status", "status": 200})


def test_redaction() -> None:
    headers = redact_headers([("Authorization", "Bearer t"), ("X-Auth-Key", "k"), ("Accept", "*")])
    assert headers == {"authorization": REDACTED, "x-auth-key": REDACTED, "accept": "*"}
    body = {
        "bindings": [
            {"type": "secret_text", "name": "K", "text": "v"},
            {"type": "plain_text", "name": "P", "text": "visible"},
        ]
    }
    assert redact_json(body) == {
        "bindings": [
            {"type": "secret_text", "name": "K", "text": REDACTED},
            {"type": "plain_text", "name": "P", "text": "visible"},
        ]
    }


def test_analytics_rounds_per_version() -> None:
    clock = ManualClock(T0)
    script = Script("s", T0, T0, requests_per_second=1.0)
    v1 = script.add_version(
        T0,
        main_module="m",
        modules=[],
        secrets={},
        bindings=[],
        compatibility_date=None,
        message=None,
        tag=None,
        triggered_by="upload",
    )
    v1.behaviour.error_rate = 0.5
    script.deploy(T0, [(v1.id, 100.0)], message=None, triggered_by="upload")
    clock.advance(3)
    assert invocation_totals(script, T0, clock()) == (3, 2)  # round(3 * 0.5) == 2 (banker's)
    assert invocation_totals(script, T0 - timedelta(hours=1), T0) == (0, 0)


def test_parse_instant_accepts_z_and_naive() -> None:
    assert parse_instant("2026-01-01T00:00:00Z") == T0
    assert parse_instant("2026-01-01T00:00:00") == T0
