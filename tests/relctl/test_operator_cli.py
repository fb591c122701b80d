"""`relctl rollout halt|resume` and `relctl trigger`: what they start, and bad input refused
(exit 2, naming the option) before the Prefect API is called."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from relctl import cli


class FakeApi:
    created: list[tuple[str, dict[str, Any], str]] = []
    api_url = "http://127.0.0.1:4200/api"

    def __init__(self, url: str) -> None:
        pass

    def deployment_id(self, flow: str, deployment: str) -> str:
        return f"{flow}/{deployment}"

    def create_flow_run(self, dep: str, params: dict[str, Any], idempotency_key: str, **_: Any):
        FakeApi.created.append((dep, params, idempotency_key))
        return {"id": "run-1", "name": "r", "state": {"type": "SCHEDULED"}}, True

    def chain(self, run_id: str) -> list[dict[str, Any]]:
        state = {"type": "COMPLETED", "name": "Completed", "message": "wallet 101: halted at 20%"}
        return [{"id": run_id, "name": "HALT android wallet", "state": state}]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> type[FakeApi]:
    import relctl.trigger

    FakeApi.created = []
    monkeypatch.setattr(relctl.trigger, "PrefectApi", FakeApi)
    return FakeApi


def test_halt_starts_the_operator_deployment_and_says_its_verdict(
    api: type[FakeApi], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rollout", "halt", "android", "wallet", "--operator", "ana", "--reason", "crashes"]
    assert cli.main([*args, "--version", "101"]) == 0
    dep, params, key = api.created[-1]
    assert dep == "halt-rollout/operator"
    assert params == {
        "platform": "android",
        "app": "wallet",
        "operator": "ana",
        "reason": "crashes",
        "version": "101",
    }
    out = capsys.readouterr().out
    assert "verdict: released" in out and "halted at 20%" in out
    cli.main([*args, "--version", "101"])
    assert api.created[-1][2] != key  # each halt is a run of its own


def test_resume_is_the_release_flows_operator_run(api: type[FakeApi]) -> None:
    who = ["--operator", "ana", "--reason", "fixed server-side"]
    assert cli.main(["rollout", "resume", "android", "wallet", "--version", "101", *who]) == 0
    dep, params, _ = api.created[-1]
    assert dep == "android-release/standard"
    assert params["version_code"] == 101 and params["resume_reason"] == "fixed server-side"
    assert params["operator"] == "ana"
    ios = ["rollout", "resume", "ios", "wallet", "--version", "2.4.0", "--build", "400", *who]
    assert cli.main(ios) == 0
    dep, params, _ = api.created[-1]
    assert dep == "ios-release/standard"
    assert params["action"] == "resume" and params["build_number"] == "400"


def test_resume_finds_the_version_in_the_active_rollouts_table(
    api: type[FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    import relctl.rollout_cmd

    async def rows() -> list[dict[str, Any]]:
        return [
            {"app": "wallet", "version": 101, "stage": "halted"},
            {"app": "wallet (iOS)", "version": "2.4.0 (400)", "stage": "paused"},
        ]

    monkeypatch.setattr(relctl.rollout_cmd, "latest_rollouts", rows)
    who = ["--operator", "ana", "--reason", "fixed server-side"]
    assert cli.main(["rollout", "resume", "ios", "wallet", *who]) == 0
    assert api.created[-1][1]["version"] == "2.4.0" and api.created[-1][1]["build_number"] == "400"
    assert cli.main(["rollout", "resume", "android", "wallet", *who]) == 0
    assert api.created[-1][1]["version_code"] == 101


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (
            ["rollout", "halt", "android", "wallet", "--operator", "a", "--reason", "crashes"],
            "operator",
        ),
        (["rollout", "halt", "android", "wallet", "--operator", "ana", "--reason", "no"], "reason"),
        (
            [
                "rollout",
                "resume",
                "android",
                "wallet",
                "--version",
                "2.4",
                "--operator",
                "ana",
                "--reason",
                "fixed it",
            ],
            "--version",
        ),
        (
            [
                "rollout",
                "resume",
                "ios",
                "wallet",
                "--version",
                "2.4.0",
                "--operator",
                "ana",
                "--reason",
                "fixed it",
            ],
            "--build",
        ),
        (["trigger", "android-release/standard", "--params", "{nope"], "--params"),
        (
            [
                "trigger",
                "android-release/standard",
                "--params",
                '{"app": "wallet", "version_code": -1, "significant": false}',
            ],
            "version_code",
        ),
        (
            [
                "trigger",
                "android-release/standard",
                "--params",
                '{"app": "wallet", "sigificant": true}',
            ],
            "sigificant",
        ),
        (["trigger", "android-release", "--params", "{}"], "FLOW/DEPLOYMENT"),
    ],
)
def test_bad_input_exits_2_naming_it_before_any_api_call(
    api: type[FakeApi], capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    assert cli.main(argv) == 2
    assert named in capsys.readouterr().err
    assert api.created == []


def test_trigger_sends_the_checked_parameters_under_a_stable_key(
    api: type[FakeApi], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    params = {"app": "wallet", "version_code": 101, "significant": False}
    argv = ["trigger", "android-release/standard", "--params", json.dumps(params)]
    assert cli.main(argv) == 0 and cli.main(argv) == 0
    (_, first, key1), (_, _, key2) = api.created
    assert first == params and key1 == key2
    assert json.loads(capsys.readouterr().out.splitlines()[0])["url"].endswith(
        "/runs/flow-run/run-1"
    )


def test_every_option_of_every_command_says_what_it_is() -> None:
    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    missing += walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert walk(cli.build_parser(), "relctl") == []
