"""Commits and the compare API (`GET /repos/{owner}/{repo}/compare/{base}...{head}`), from the
sandbox's commit graph: merged pulls extend the default branch; the admin API adds any history
(an emergency fix on another branch, a newer release) so ahead / behind / diverged are real.

GitHub's answer: `status` is identical, ahead (head contains base), behind (base contains head)
or diverged; `ahead_by` / `behind_by` count the commits only one side has; `commits` lists the
head's commits missing from the base, oldest first. An unknown commit is 404 "Not Found", two
histories without a common ancestor are 404 too.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.adminutil import AdminError, admin_json, text
from sandbox.clock import iso_seconds
from sandbox.errors import GitHubError
from sandbox.github import shapes
from sandbox.github.model import Commit, CommitGraph, Repo
from sandbox.github.pagination import paginate
from sandbox.github.rest import find_repo, urls_for
from sandbox.httputil import sandbox_state

REPO = "/repos/{owner}/{repo}"
AUTHOR = {"name": "Sandbox Author", "email": "author@example.com"}


def _resolve(graph: CommitGraph, ref: str) -> str:
    if ref in graph.tips:
        return graph.tips[ref]
    if ref in graph.commits:
        return ref
    matches = [sha for sha in graph.commits if len(ref) >= 7 and sha.startswith(ref.lower())]
    if len(matches) == 1:
        return matches[0]
    raise GitHubError(404, "Not Found")


def _merge_base(graph: CommitGraph, common: set[str]) -> str:
    """The common ancestor no other common ancestor descends from (the newest one on ties)."""
    best = [
        c for c in common
        if not any(c in graph.ancestors(d) for d in common if d != c)
    ]  # fmt: skip
    return max(best, key=lambda c: (graph.commits[c].created_at, c))


def commit_json(urls: shapes.Urls, repo: Repo, commit: Commit) -> dict[str, Any]:
    api = f"{urls.repo(repo)}"
    web = f"{shapes.WEB}/{repo.full_name}"
    who = {**AUTHOR, "date": iso_seconds(commit.created_at)}
    return {
        "url": f"{api}/commits/{commit.sha}",
        "sha": commit.sha,
        "node_id": shapes.node_id("Commit", commit.sha),
        "html_url": f"{web}/commit/{commit.sha}",
        "comments_url": f"{api}/commits/{commit.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{commit.sha}",
            "author": who,
            "committer": who,
            "message": commit.message,
            "tree": {"sha": commit.sha[::-1], "url": f"{api}/git/trees/{commit.sha[::-1]}"},
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": None,  # no GitHub account matches the sandbox's author e-mail
        "committer": None,
        "parents": [
            {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{web}/commit/{p}"}
            for p in commit.parents
        ],
    }


async def compare(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        graph = sandbox_state(request).github.graph(repo)
        basehead = request.path_params["basehead"]
        base_ref, sep, head_ref = basehead.partition("...")
        if not sep or not base_ref or not head_ref:
            raise GitHubError(404, "Not Found")
        base, head = _resolve(graph, base_ref), _resolve(graph, head_ref)
        base_side, head_side = graph.ancestors(base), graph.ancestors(head)
        common = base_side & head_side
        if not common:
            raise GitHubError(404, f"No common ancestor between {base_ref} and {head_ref}.")
        ahead = sorted(head_side - base_side, key=lambda c: (graph.commits[c].created_at, c))
        behind = len(base_side - head_side)
        status = (
            "identical"
            if not ahead and not behind
            else "ahead"
            if not behind
            else "behind"
            if not ahead
            else "diverged"
        )
        urls = urls_for(request)
        page, headers = paginate(ahead, request.url, default_per_page=250)
        api, web = urls.repo(repo), f"{shapes.WEB}/{repo.full_name}"
        body = {
            "url": f"{api}/compare/{basehead}",
            "html_url": f"{web}/compare/{basehead}",
            "permalink_url": f"{web}/compare/{repo.owner}:{base}...{repo.owner}:{head}",
            "diff_url": f"{web}/compare/{basehead}.diff",
            "patch_url": f"{web}/compare/{basehead}.patch",
            "base_commit": commit_json(urls, repo, graph.commits[base]),
            "merge_base_commit": commit_json(urls, repo, graph.commits[_merge_base(graph, common)]),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": behind,
            "total_commits": len(ahead),
            "commits": [commit_json(urls, repo, graph.commits[c]) for c in page],
            "files": [],
        }
        return JSONResponse(body, headers=headers)


async def put_commit(request: Request) -> Response:
    """Admin: add a commit with its parents; `branch` moves that branch's tip to it."""
    doc = await admin_json(request)
    state = sandbox_state(request)
    params = request.path_params
    parents = doc.get("parents", [])
    if not isinstance(parents, list) or not all(isinstance(p, str) and p for p in parents):
        raise AdminError("parents must be a list of commit shas")
    with state.lock:
        repo = state.github.repo(params["owner"], params["repo"])
        if repo is None:
            raise AdminError("unknown repo", status=404)
        graph = state.github.graph(repo)
        sha = params["sha"]
        graph.add(sha, parents, text(doc, "message", f"commit {sha[:7]}"), state.now())
        branch = doc.get("branch")
        if isinstance(branch, str) and branch:
            graph.tips[branch] = sha
        return JSONResponse({"sha": sha, "parents": parents, "tips": dict(graph.tips)})


ROUTES = [Route(REPO + "/compare/{basehead:path}", compare, methods=["GET"])]
ADMIN_ROUTES = [Route(REPO + "/commits/{sha}", put_commit, methods=["PUT"])]
