"""The GitHub Actions workflows in infra/ pass actionlint (the dev extra's binary), and actionlint
really fails a broken one — so `make test` / `make lint` catch a broken workflow."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / "infra" / "github" / "workflows").glob("*.yml"))
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
    "actionlint"
)
pytestmark = pytest.mark.skipif(
    ACTIONLINT is None, reason="actionlint not installed (make install)"
)


def lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT is not None
    return subprocess.run(
        [ACTIONLINT, "-no-color", *map(str, paths)], capture_output=True, text=True, timeout=60
    )


def test_the_workflows_pass_actionlint() -> None:
    assert {p.name for p in WORKFLOWS} >= {"release.yml", "pr-checklist.yml"}
    result = lint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_workflow_fails(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = (ROOT / "infra" / "github" / "workflows" / "release.yml").read_text()
    # an unknown event, and an expression reading a context that does not exist
    broken.write_text(
        text.replace("  push:\n", "  pushh:\n").replace("${{ github.sha }}", "${{ gihub.sha }}")
    )
    result = lint(broken)
    assert result.returncode != 0
    assert "pushh" in result.stdout and "gihub" in result.stdout
