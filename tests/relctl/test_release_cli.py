"""`relctl release workers` as CI runs it: the triggering run's id goes with the parameters."""

from __future__ import annotations

from typing import Any

import pytest

from relctl import cli

SHA = "a" * 40


class FakeApi:
    created: list[dict[str, Any]] = []

    def __init__(self, url: str) -> None:
        self.url = url

    def deployment_id(self, flow: str, deployment: str) -> str:
        return "dep-1"

    def create_flow_run(self, dep: str, params: dict[str, Any], idempotency_key: str | None = None):
        FakeApi.created.append(params)
        return {"id": "run-1", "name": "quiet-fox"}, True


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> type[FakeApi]:
    import relctl.trigger

    FakeApi.created = []
    monkeypatch.setattr(relctl.trigger, "PrefectApi", FakeApi)
    return FakeApi


ARGS = [
    "release",
    "workers",
    "--service",
    "edge-router",
    "--sha",
    SHA,
    "--pr",
    "4",
    "--version",
    "production=0b9f7c3e-6a2d-4c1e-9f10-2a3b4c5d6e7f",
]


def test_ci_run_id_defaults_to_github_run_id(api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_RUN_ID", "123456789")
    assert cli.main(ARGS) == 0
    assert api.created[-1]["ci_run_id"] == 123456789
    assert cli.main([*ARGS, "--ci-run-id", "42"]) == 0
    assert api.created[-1]["ci_run_id"] == 42


def test_no_ci_run_id_outside_ci(api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    assert cli.main(ARGS) == 0
    assert "ci_run_id" not in api.created[-1]


def test_a_bad_run_id_is_refused_naming_the_option(api, monkeypatch, capsys) -> None:
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    with pytest.raises(SystemExit):
        cli.main([*ARGS, "--ci-run-id", "latest"])
    assert "--ci-run-id" in capsys.readouterr().err
    assert api.created == []


def test_bad_values_are_refused_by_the_flows_own_model_before_the_api(
    api, monkeypatch, capsys
) -> None:
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    bad_sha = [*ARGS[:5], "abc123", *ARGS[6:]]
    assert cli.main(bad_sha) == 2
    err = capsys.readouterr().err
    assert "git_sha" in err and "40-character" in err
    assert cli.main([*ARGS[:-1], "production=latest"]) == 2
    assert "not a Worker version id" in capsys.readouterr().err
    assert api.created == []


def test_option_help_is_the_flows_parameter_description(capsys) -> None:
    from procedure.request import WorkersDeployRequest

    with pytest.raises(SystemExit):
        cli.main(["release", "workers", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for name in ("git_sha", "pr_number", "significant_reason"):
        description = WorkersDeployRequest.model_fields[name].description or ""
        assert " ".join(description.split()) in shown, name


def test_mobile_releases_take_the_flows_own_fields_as_options(api, monkeypatch, capsys) -> None:
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    android = ["release", "android", "--app", "wallet", "--version-code", "101"]
    assert cli.main([*android, "--no-significant"]) == 0
    assert api.created[-1] == {"app": "wallet", "version_code": 101, "significant": False}
    ios = ["release", "ios", "--app", "wallet", "--version", "2.4.1", "--build-number", "412"]
    assert cli.main([*ios, "--pr-number", "7"]) == 0
    assert api.created[-1] == {
        "app": "wallet",
        "version": "2.4.1",
        "build_number": "412",
        "pr_number": 7,
    }
    created = len(api.created)
    # the model's own checks, before the API: exit 2 naming the field
    assert cli.main(android) == 2
    assert "significant: required when no pr_number" in capsys.readouterr().err
    assert cli.main([*ios, "--significant", "--action", "remove from sale"]) == 2
    assert "needs operator and reason" in capsys.readouterr().err
    assert len(api.created) == created
    # a field the runs set themselves is no option
    with pytest.raises(SystemExit):
        cli.main([*android, "--no-significant", "--outage-attempt", "3"])
