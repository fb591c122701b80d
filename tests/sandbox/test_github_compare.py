"""The compare API over the sandbox's commit graph: merged pulls extend the default branch, the
admin API adds commits beside it (an emergency fix, a newer release)."""

from __future__ import annotations

import httpx

from sandbox.control import SandboxControl
from tests.sandbox.helpers import REPO


def sha(n: int) -> str:
    return f"{n:040x}"


def compare(gh: httpx.Client, base: str, head: str) -> httpx.Response:
    return gh.get(f"/repos/{REPO}/compare/{base}...{head}")


def test_merged_pulls_line_up_on_the_default_branch(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_repo(REPO)
    for number in (1, 2, 3):
        control.ready_pull(REPO, number, sha(number))
    ahead = compare(gh, sha(1), sha(3)).json()
    assert (ahead["status"], ahead["ahead_by"], ahead["behind_by"]) == ("ahead", 2, 0)
    assert [c["sha"] for c in ahead["commits"]] == [sha(2), sha(3)]  # oldest first
    assert ahead["merge_base_commit"]["sha"] == sha(1)
    assert ahead["commits"][1]["parents"][0]["sha"] == sha(2)
    behind = compare(gh, sha(3), sha(1)).json()
    assert (behind["status"], behind["ahead_by"], behind["behind_by"]) == ("behind", 0, 2)
    assert compare(gh, sha(2), sha(2)).json()["status"] == "identical"
    assert compare(gh, "main", sha(3)).json()["status"] == "identical"  # a branch name resolves
    # editing an old pull again does not move the branch back
    control.ready_pull(REPO, 1, sha(1))
    assert compare(gh, sha(1), "main").json()["status"] == "ahead"


def test_a_fix_pushed_beside_a_release_has_diverged(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_repo(REPO)
    control.ready_pull(REPO, 1, sha(1))
    control.github_commit(REPO, sha(90), parents=[sha(1)], branch="hotfix")
    control.ready_pull(REPO, 2, sha(2))
    answer = compare(gh, sha(90), sha(2)).json()
    assert (answer["status"], answer["ahead_by"], answer["behind_by"]) == ("diverged", 1, 1)
    assert answer["merge_base_commit"]["sha"] == sha(1)


def test_unknown_commit_and_unrelated_histories_are_404(
    control: SandboxControl, gh: httpx.Client
) -> None:
    control.github_repo(REPO)
    control.ready_pull(REPO, 1, sha(1))
    missing = compare(gh, sha(77), sha(1))
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
    control.github_commit(REPO, sha(50), parents=[])
    unrelated = compare(gh, sha(50), sha(1))
    assert unrelated.status_code == 404 and "No common ancestor" in unrelated.json()["message"]
