"""Run names say what the run is about (the UI's list, `relctl --watch`)."""

from __future__ import annotations

from typing import Any

import pytest

from flows import run_names


@pytest.fixture
def parameters(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    given: dict[str, Any] = {}
    monkeypatch.setattr(run_names, "_parameters", lambda: given)
    monkeypatch.setattr(run_names, "_given_name", lambda: "quiet-fox")
    return given


def test_workers(parameters: dict[str, Any]) -> None:
    parameters.update(service="verifier", git_sha="a58a743" + "0" * 33, pr_number=201)
    assert run_names.workers_run_name() == "verifier a58a743 PR#201"


def test_emergency(parameters: dict[str, Any]) -> None:
    parameters.update(service="verifier", incident_id="PD123", acting_person="ops-lee")
    assert run_names.emergency_run_name() == "EMERGENCY verifier for PD123 by ops-lee"


def test_android(parameters: dict[str, Any]) -> None:
    parameters.update(app="wallet", version_code=412, version_name="2.4.1")
    assert run_names.android_run_name() == "wallet 2.4.1 (412)"
    parameters.update(version_code=None, version_name="")
    assert run_names.android_run_name() == "wallet (new upload)"


def test_ios(parameters: dict[str, Any]) -> None:
    parameters.update(app="wallet", version="2.4.1", build_number="412", action="release")
    assert run_names.ios_run_name() == "wallet 2.4.1 (412)"
    parameters.update(action="resume", operator="ops-lee")
    assert run_names.ios_run_name() == "wallet 2.4.1 (412) — resume by ops-lee"


def test_a_continuation_keeps_the_name_of_its_step(
    parameters: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    parameters.update(app="wallet", version_code=412, version_name="2.4.1")
    monkeypatch.setattr(run_names, "_given_name", lambda: "wallet 2.4.1 (412) → stage at 5%")
    assert run_names.android_run_name() == "wallet 2.4.1 (412) → stage at 5%"
