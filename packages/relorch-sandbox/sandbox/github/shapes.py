"""GitHub JSON objects, with every field the REST description marks required.

API links point back at the sandbox (so a client following `url` stays local); web links use
github.com's layout, as real answers do.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sandbox.clock import iso_seconds
from sandbox.github.model import (
    CheckRun,
    CommitStatus,
    Deployment,
    DeploymentStatus,
    Pull,
    Repo,
    Review,
    WorkflowRun,
    app_id,
    fake_sha,
    legacy_permission,
    user_id,
)

WEB = "https://github.com"


@dataclass(frozen=True)
class Urls:
    api: str  # e.g. http://127.0.0.1:8790/github

    def repo(self, repo: Repo) -> str:
        return f"{self.api}/repos/{repo.full_name}"


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode()


def user(urls: Urls, login: str, kind: str = "User") -> dict[str, Any]:
    api = f"{urls.api}/users/{login}"
    uid = user_id(login)
    return {
        "login": login,
        "id": uid,
        "node_id": node_id(kind, uid),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": kind,
        "site_admin": False,
    }


_REPO_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def repository(urls: Urls, repo: Repo) -> dict[str, Any]:
    api = urls.repo(repo)
    web = f"{WEB}/{repo.full_name}"
    created = iso_seconds(repo.created_at)
    body: dict[str, Any] = {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": user(urls, repo.owner, "Organization"),
        "private": True,
        "html_url": web,
        "description": None,
        "fork": False,
        "url": api,
        **{key: api + suffix for key, suffix in _REPO_TEMPLATES.items()},
        "git_url": f"git://github.com/{repo.full_name}.git",
        "ssh_url": f"git@github.com:{repo.full_name}.git",
        "clone_url": f"{web}.git",
        "svn_url": web,
        "mirror_url": None,
        "homepage": None,
        "language": "TypeScript",
        "license": None,
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "size": 100,
        "default_branch": repo.default_branch,
        "open_issues": 0,
        "open_issues_count": 0,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "archived": False,
        "disabled": False,
        "visibility": "private",
        "pushed_at": created,
        "created_at": created,
        "updated_at": created,
    }
    return body


def label(urls: Urls, repo: Repo, name: str) -> dict[str, Any]:
    ident = user_id(f"label:{repo.full_name}:{name}")
    return {
        "id": ident,
        "node_id": node_id("Label", ident),
        "url": f"{urls.repo(repo)}/labels/{name}",
        "name": name,
        "description": None,
        "color": fake_sha(name)[:6],
        "default": False,
        # Label archiving (2025): GitHub sends both, null for a label in use.
        "archived_at": None,
        "archived_by": None,
    }


def pull_request(urls: Urls, repo: Repo, pull: Pull) -> dict[str, Any]:
    api = urls.repo(repo)
    web = f"{WEB}/{repo.full_name}/pull/{pull.number}"
    issue = f"{api}/issues/{pull.number}"
    links = {
        "self": {"href": f"{api}/pulls/{pull.number}"},
        "html": {"href": web},
        "issue": {"href": issue},
        "comments": {"href": f"{issue}/comments"},
        "review_comments": {"href": f"{api}/pulls/{pull.number}/comments"},
        "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
        "commits": {"href": f"{api}/pulls/{pull.number}/commits"},
        "statuses": {"href": f"{api}/statuses/{pull.head_sha}"},
    }
    repo_json = repository(urls, repo)
    owner = user(urls, repo.owner, "Organization")
    closed_at = pull.merged_at if pull.merged else (pull.updated_at if pull.closed else None)
    return {
        "url": links["self"]["href"],
        "id": pull.id,
        "node_id": node_id("PullRequest", pull.id),
        "html_url": web,
        "diff_url": f"{web}.diff",
        "patch_url": f"{web}.patch",
        "issue_url": issue,
        "commits_url": links["commits"]["href"],
        "review_comments_url": links["review_comments"]["href"],
        "review_comment_url": links["review_comment"]["href"],
        "comments_url": links["comments"]["href"],
        "statuses_url": links["statuses"]["href"],
        "number": pull.number,
        "state": pull.state,
        "locked": False,
        "title": pull.title,
        "user": user(urls, pull.user),
        "body": pull.body or None,
        "labels": [label(urls, repo, name) for name in pull.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso_seconds(pull.created_at),
        "updated_at": iso_seconds(pull.updated_at),
        "closed_at": iso_seconds(closed_at) if closed_at else None,
        "merged_at": iso_seconds(pull.merged_at) if pull.merged_at else None,
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": {
            "label": f"{repo.owner}:{pull.head_ref}",
            "ref": pull.head_ref,
            "sha": pull.head_sha,
            "user": owner,
            "repo": repo_json,
        },
        "base": {
            "label": f"{repo.owner}:{pull.base_ref}",
            "ref": pull.base_ref,
            "sha": fake_sha(f"{repo.full_name}:{pull.base_ref}:{pull.number}"),
            "user": owner,
            "repo": repo_json,
        },
        "_links": links,
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": pull.draft,
        "merged": pull.merged,
        "mergeable": None if pull.merged else True,
        "rebaseable": None if pull.merged else True,
        "mergeable_state": "unknown" if pull.merged else "clean",
        "merged_by": user(urls, pull.user) if pull.merged else None,
        "comments": 0,
        "review_comments": len(pull.threads),
        "maintainer_can_modify": False,
        "commits": 1,
        "additions": 10,
        "deletions": 2,
        "changed_files": 1,
    }


def review(urls: Urls, repo: Repo, pull: Pull, item: Review) -> dict[str, Any]:
    api = urls.repo(repo)
    web = f"{WEB}/{repo.full_name}/pull/{pull.number}"
    return {
        "id": item.id,
        "node_id": node_id("PullRequestReview", item.id),
        "user": user(urls, item.user),
        "body": item.body,
        "state": item.state,
        "html_url": f"{web}#pullrequestreview-{item.id}",
        "pull_request_url": f"{api}/pulls/{pull.number}",
        "_links": {
            "html": {"href": f"{web}#pullrequestreview-{item.id}"},
            "pull_request": {"href": f"{api}/pulls/{pull.number}"},
        },
        "submitted_at": iso_seconds(item.submitted_at),
        "commit_id": item.commit_id,
        "author_association": "MEMBER",
    }


def app(urls: Urls, slug: str) -> dict[str, Any]:
    ident = app_id(slug)
    name = "GitHub Actions" if slug == "github-actions" else slug
    return {
        "id": ident,
        "slug": slug,
        "node_id": node_id("App", ident),
        "owner": user(urls, "github", "Organization"),
        "name": name,
        "description": "",
        "external_url": f"{WEB}/apps/{slug}",
        "html_url": f"{WEB}/apps/{slug}",
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2019-12-10T19:04:12Z",
        "permissions": {"checks": "write", "metadata": "read"},
        "events": [],
    }


def check_run(urls: Urls, repo: Repo, run: CheckRun) -> dict[str, Any]:
    api = f"{urls.repo(repo)}/check-runs/{run.id}"
    html = f"{WEB}/{repo.full_name}/runs/{run.id}"
    return {
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": node_id("CheckRun", run.id),
        "external_id": run.external_id,
        "url": api,
        "html_url": html,
        "details_url": run.details_url or html,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": iso_seconds(run.started_at),
        "completed_at": iso_seconds(run.completed_at) if run.completed_at else None,
        "output": {
            "title": run.title,
            "summary": run.summary,
            "text": run.text,
            "annotations_count": 0,
            "annotations_url": f"{api}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": run.check_suite_id or run.id + 500_000},
        "app": app(urls, run.app_slug),
        "pull_requests": [],
    }


def commit_status(urls: Urls, repo: Repo, status: CommitStatus, sha: str) -> dict[str, Any]:
    return {
        "url": f"{urls.repo(repo)}/statuses/{sha}",
        "avatar_url": None,
        "id": status.id,
        "node_id": node_id("StatusContext", status.id),
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": iso_seconds(status.created_at),
        "updated_at": iso_seconds(status.created_at),
    }


def deployment(urls: Urls, repo: Repo, item: Deployment, creator: str) -> dict[str, Any]:
    api = f"{urls.repo(repo)}/deployments/{item.id}"
    created = iso_seconds(item.created_at)
    updated = iso_seconds(item.statuses[-1].created_at) if item.statuses else created
    return {
        "url": api,
        "id": item.id,
        "node_id": node_id("Deployment", item.id),
        "sha": item.sha,
        "ref": item.ref,
        "task": item.task,
        "payload": item.payload,
        "original_environment": item.environment,
        "environment": item.environment,
        "description": item.description,
        "creator": user(urls, creator),
        "created_at": created,
        "updated_at": updated,
        "statuses_url": f"{api}/statuses",
        "repository_url": urls.repo(repo),
        "transient_environment": item.transient_environment,
        "production_environment": item.production_environment,
        "performed_via_github_app": None,
    }


def deployment_status(
    urls: Urls, repo: Repo, item: Deployment, status: DeploymentStatus, creator: str
) -> dict[str, Any]:
    deployment_url = f"{urls.repo(repo)}/deployments/{item.id}"
    stamp = iso_seconds(status.created_at)
    return {
        "url": f"{deployment_url}/statuses/{status.id}",
        "id": status.id,
        "node_id": node_id("DeploymentStatus", status.id),
        "state": status.state,
        "creator": user(urls, creator),
        "description": status.description,
        "environment": status.environment,
        "target_url": status.target_url,
        "created_at": stamp,
        "updated_at": stamp,
        "deployment_url": deployment_url,
        "repository_url": urls.repo(repo),
        "environment_url": status.environment_url,
        "log_url": status.log_url,
        "performed_via_github_app": None,
    }


def minimal_repository(urls: Urls, repo: Repo) -> dict[str, Any]:
    body = repository(urls, repo)
    body["hooks_url"] = f"{urls.repo(repo)}/hooks"
    return body


def workflow_run(urls: Urls, repo: Repo, run: WorkflowRun, jobs: list[CheckRun]) -> dict[str, Any]:
    """GET /actions/runs/{id}: status and conclusion follow its jobs (the suite's check runs)."""
    api = f"{urls.repo(repo)}/actions/runs/{run.id}"
    workflow_id = user_id(f"workflow:{repo.full_name}:{run.name}")
    done = all(j.status == "completed" for j in jobs)
    conclusions = {j.conclusion for j in jobs}
    conclusion = None
    if done:
        conclusion = "failure" if conclusions - {"success", "neutral", "skipped"} else "success"
    stamp = iso_seconds(run.created_at)
    return {
        "id": run.id,
        "name": run.name,
        "node_id": node_id("WorkflowRun", run.id),
        "check_suite_id": run.check_suite_id,
        "check_suite_node_id": node_id("CheckSuite", run.check_suite_id),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": f".github/workflows/{run.name.lower()}.yml",
        "display_title": run.name,
        "run_number": run.run_number,
        "run_attempt": 1,
        "event": run.event,
        "status": "completed" if done else "in_progress",
        "conclusion": conclusion,
        "workflow_id": workflow_id,
        "url": api,
        "html_url": f"{WEB}/{repo.full_name}/actions/runs/{run.id}",
        "pull_requests": [],
        "created_at": stamp,
        "updated_at": stamp,
        "run_started_at": stamp,
        "jobs_url": f"{api}/jobs",
        "logs_url": f"{api}/logs",
        "check_suite_url": f"{urls.repo(repo)}/check-suites/{run.check_suite_id}",
        "artifacts_url": f"{api}/artifacts",
        "cancel_url": f"{api}/cancel",
        "rerun_url": f"{api}/rerun",
        "previous_attempt_url": None,
        "workflow_url": f"{urls.repo(repo)}/actions/workflows/{workflow_id}",
        "head_commit": {
            "id": run.head_sha,
            "tree_id": fake_sha(f"tree:{run.head_sha}"),
            "message": run.name,
            "timestamp": stamp,
            "author": {"name": "ci", "email": "ci@example.com"},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": minimal_repository(urls, repo),
        "head_repository": minimal_repository(urls, repo),
    }


def collaborator_permission(urls: Urls, repo: Repo, login: str, role: str) -> dict[str, Any]:
    return {
        "permission": legacy_permission(role),
        "role_name": role,
        "user": {**user(urls, login), "role_name": role},
    }


def diff_entry(urls: Urls, repo: Repo, pull: Pull, path: str) -> dict[str, Any]:
    blob = fake_sha(f"blob:{pull.head_sha}:{path}")
    return {
        "sha": blob,
        "filename": path,
        "status": "modified",
        "additions": 1,
        "deletions": 0,
        "changes": 1,
        "blob_url": f"{WEB}/{repo.full_name}/blob/{pull.head_sha}/{path}",
        "raw_url": f"{WEB}/{repo.full_name}/raw/{pull.head_sha}/{path}",
        "contents_url": f"{urls.repo(repo)}/contents/{path}?ref={pull.head_sha}",
        "patch": "@@ -1 +1,2 @@\n line\n+line",
    }


def content_file(urls: Urls, repo: Repo, path: str, text: str, ref: str) -> dict[str, Any]:
    raw = text.encode()
    blob = fake_sha(f"blob:{ref}:{path}:{text}")
    api = f"{urls.repo(repo)}/contents/{path}?ref={ref}"
    html = f"{WEB}/{repo.full_name}/blob/{ref}/{path}"
    git = f"{urls.repo(repo)}/git/blobs/{blob}"
    encoded = base64.encodebytes(raw).decode()  # GitHub wraps the base64 at 60 characters
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(raw),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": encoded,
        "sha": blob,
        "url": api,
        "git_url": git,
        "html_url": html,
        "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
        "_links": {"git": git, "self": api, "html": html},
    }


def status_check_policy(urls: Urls, repo: Repo, branch: str) -> dict[str, Any]:
    api = f"{urls.repo(repo)}/branches/{branch}/protection/required_status_checks"
    return {
        "url": api,
        "strict": False,
        "contexts": [context for context, _ in repo.required_checks],
        "checks": [{"context": c, "app_id": a} for c, a in repo.required_checks],
        "contexts_url": f"{api}/contexts",
    }
