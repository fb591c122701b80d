"""`relctl pr-checklist` checks its values with the flow's own model (exit 2 naming the field,
before the API is called); `infra/ci-trigger.sh` finds relctl without the venv on PATH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from relctl.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--service", "verifier", "--pr-number", "0"], "pr_number"),
        (["--service", "verifier", "--pr-number", "4", "--head-sha", "abc"], "head_sha"),
    ],
)
def test_bad_values_exit_2_naming_the_field(
    argv: list[str], field: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # nothing listens: never called
    assert main(["pr-checklist", *argv]) == 2
    assert field in capsys.readouterr().err


def test_ci_trigger_runs_relctl_without_the_venv_on_path(tmp_path: Path) -> None:
    env = {
        "PATH": f".:{os.defpath}",  # "." holds the relctl/ package directory: the old trap
        "HOME": str(tmp_path),
        "SERVICE": "verifier",
        "GIT_SHA": "not-a-sha",
        "PR_NUMBER": "1",
        "PRODUCTION_VERSION_ID": "11111111-1111-4111-8111-111111111111",
    }
    result = subprocess.run(
        ["bash", str(ROOT / "infra" / "ci-trigger.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # relctl itself answered: the sha is refused by name (exit 2), no "Is a directory"
    assert result.returncode == 2, result.stderr
    assert "git_sha" in result.stderr and "Is a directory" not in result.stderr
