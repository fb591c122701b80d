"""relctl's CI trigger: the idempotency key, and what `--watch` exits with."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relctl.trigger import workers_idempotency_key

V1 = "11111111-1111-4111-8111-111111111111"
V2 = "22222222-2222-4222-8222-222222222222"
BASE: dict[str, Any] = {
    "service": "edge-router",
    "git_sha": "a" * 40,
    "pr_number": 42,
    "version_ids": {"production": V1},
}


def test_the_key_changes_with_everything_that_makes_a_release_different() -> None:
    key = workers_idempotency_key(BASE)
    assert key == workers_idempotency_key(dict(BASE))  # a retried trigger: the same run
    others = [
        {**BASE, "version_ids": {"production": V2}},
        {**BASE, "version_ids": {"production": V1, "sandbox": V2}},
        {**BASE, "pr_number": 43},
        {**BASE, "git_sha": "b" * 40},
        {**BASE, "significant": True},
        {**BASE, "significant": False},
        {**BASE, "significant": False, "significant_reason": "docs only"},
    ]
    keys = {workers_idempotency_key(p) for p in others}
    assert key not in keys and len(keys) == len(others)
    assert workers_idempotency_key(BASE, "987.2") != workers_idempotency_key(BASE, "987.1")
    # the environment order CI passes does not matter
    both = {**BASE, "version_ids": {"sandbox": V2, "production": V1}}
    assert workers_idempotency_key(both) == workers_idempotency_key(
        {**BASE, "version_ids": {"production": V1, "sandbox": V2}}
    )


@pytest.mark.parametrize(
    ("name", "kind", "code"),
    [
        ("Completed", "COMPLETED", 0),
        ("Superseded", "COMPLETED", 5),
        ("Failed", "FAILED", 1),
    ],
)
def test_watch_exits_non_zero_unless_released(
    monkeypatch: pytest.MonkeyPatch, name: str, kind: str, code: int
) -> None:
    import relctl.trigger
    from relctl.cli import main

    class FakeApi:
        def __init__(self, url: str) -> None:
            self.sent: dict[str, Any] = {}

        def deployment_id(self, flow: str, deployment: str) -> str:
            return "dep"

        def create_flow_run(self, dep: str, params: dict[str, Any], idempotency_key: str) -> Any:
            assert params["significant_reason"] == "docs only"
            return {"id": "run", "name": "r"}, True

        def chain(self, run_id: str) -> list[dict[str, Any]]:
            return [
                {"id": "run", "name": "r", "state": {"type": kind, "name": name, "message": "m"}}
            ]

    monkeypatch.setattr(relctl.trigger, "PrefectApi", FakeApi)
    args = [
        "release",
        "workers",
        "--service",
        "edge-router",
        "--sha",
        "a" * 40,
        "--pr",
        "42",
        "--version",
        f"production={V1}",
        "--no-significant",
        "--significant-reason",
        "docs only",
        "--watch",
    ]
    assert main(args) == code


def test_a_release_run_is_created_with_its_name() -> None:
    """The UI's list says what a run is about before a worker starts it (the flow's own name
    callable names it the same when it starts)."""
    import httpx

    from relctl.trigger import PrefectApi

    sent: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/deployments/name/android-release/standard"):
            return httpx.Response(200, json={"id": "dep-1"})
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"id": "run-1", "name": sent[-1].get("name")})

    http = httpx.Client(base_url="http://prefect.test/api/", transport=httpx.MockTransport(answer))
    api = PrefectApi("http://prefect.test/api", http=http)
    dep = api.deployment_id("android-release", "standard")
    run, _ = api.create_flow_run(
        dep, {"app": "wallet", "version_code": 412, "version_name": "2.4.1"}
    )
    assert sent[-1]["name"] == "wallet 2.4.1 (412)" and run["name"] == "wallet 2.4.1 (412)"
    api.create_flow_run("other-deployment", {"x": 1})  # a flow relctl did not look up: unnamed
    assert "name" not in sent[-1]
