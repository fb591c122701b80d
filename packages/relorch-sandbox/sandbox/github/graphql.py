"""GitHub GraphQL, for the one query the orchestrator sends: a pull request's review state.

Every document is first validated against GitHub's own schema (the npm package
@octokit/graphql-schema, installed by `npm ci`) with graphql-core, as GitHub does: an unknown
field or a wrongly typed variable is an error. The answer itself is not computed by a GraphQL
engine: the query is recognised by the fields it mentions, and the answer carries exactly the
structures that query asks for.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, get_operation_ast, parse, validate
from graphql.execution.values import get_variable_values
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.clock import iso_seconds
from sandbox.github.model import GitHubStore, Pull, Repo, Thread
from sandbox.github.reviews import review_decision
from sandbox.httputil import BadJson, json_body, sandbox_state

MAX_FIRST = 100
SCHEMA_IN_NODE_MODULES = Path("node_modules", "@octokit", "graphql-schema", "schema.graphql")


def find_schema_file() -> Path:
    """`npm ci` puts the schema in the repository's node_modules: the nearest one above this
    package (the repository checkout it is installed editable from), else the working directory's."""
    here = Path(__file__).resolve()
    for folder in (*here.parents, Path.cwd()):
        if (folder / SCHEMA_IN_NODE_MODULES).exists():
            return folder / SCHEMA_IN_NODE_MODULES
    return Path.cwd() / SCHEMA_IN_NODE_MODULES


@lru_cache(maxsize=1)
def github_schema() -> GraphQLSchema | None:
    """GitHub's public schema, or None when `npm ci` has not installed it."""
    schema_file = find_schema_file()
    if not schema_file.exists():
        return None
    # GitHub's schema breaks two of graphql-js's newer SDL rules (a field defined twice, deprecated
    # implementations of undeprecated interface fields); GitHub serves it as it is, and so do we.
    return build_schema(schema_file.read_text(), assume_valid_sdl=True, assume_valid=True)


def schema_errors(query: str, variables: dict[str, Any]) -> list[Any]:
    """What GitHub would refuse in this document and these variables (empty: nothing)."""
    schema = github_schema()
    if schema is None:
        raise RuntimeError(
            f"GitHub's GraphQL schema is missing ({find_schema_file()}): run `npm ci`"
        )
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error.formatted]
    errors = validate(schema, document)
    if errors:
        return [e.formatted for e in errors]
    operation = get_operation_ast(document)
    if operation is None:
        return [{"message": "An operation name is required when sending several operations."}]
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    return [e.formatted for e in coerced] if isinstance(coerced, list) else []


_THREADS_ARGS = re.compile(r"reviewThreads\s*\(([^)]*)\)")
_LABELS_ARGS = re.compile(r"labels\s*\(([^)]*)\)")


class QueryError(Exception):
    def __init__(self, message: str, path: list[Any] | None = None, kind: str | None = None):
        super().__init__(message)
        self.payload: dict[str, Any] = {"message": message}
        if kind:
            self.payload["type"] = kind
        if path:
            self.payload["path"] = path


def mentions(query: str, field: str) -> bool:
    # A field, not an argument (`number: ...`) nor a variable (`$number`).
    return re.search(rf"(?<![$\w]){re.escape(field)}\b(?!\s*:)", query) is not None


def argument(args: str, name: str, variables: dict[str, Any]) -> Any:
    """A connection argument: a literal (int or string) or a `$variable`."""
    match = re.search(rf"\b{name}\s*:\s*(\$\w+|\d+|\"[^\"]*\"|null)", args)
    if not match:
        return None
    raw = match.group(1)
    if raw.startswith("$"):
        return variables.get(raw[1:])
    if raw == "null":
        return None
    return raw.strip('"') if raw.startswith('"') else int(raw)


def encode_cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise QueryError(f"`{cursor}` does not appear to be a valid cursor.") from exc


def thread_node(thread: Thread) -> dict[str, Any]:
    return {
        "isResolved": thread.is_resolved,
        "isOutdated": thread.is_outdated,
        "path": thread.path,
        "comments": {"nodes": [{"author": {"login": thread.author}, "body": thread.body}]},
    }


def review_threads(query: str, variables: dict[str, Any], pull: Pull) -> dict[str, Any]:
    match = _THREADS_ARGS.search(query)
    args = match.group(1) if match else ""
    first = argument(args, "first", variables)
    if first is None:
        raise QueryError(
            "You must provide a `first` or `last` value to properly paginate the "
            "`reviewThreads` connection."
        )
    if not isinstance(first, int) or first < 0 or first > MAX_FIRST:
        raise QueryError(
            f"Requesting {first} records on the `reviewThreads` connection exceeds the "
            f"`first` limit of {MAX_FIRST} records."
        )
    after = argument(args, "after", variables)
    start = decode_cursor(after) if after else 0
    chunk = pull.threads[start : start + first]
    end = start + len(chunk)
    page_info = {
        "hasNextPage": end < len(pull.threads),
        "endCursor": encode_cursor(end) if chunk else None,
        "hasPreviousPage": start > 0,
        "startCursor": encode_cursor(start + 1) if chunk else None,
    }
    connection: dict[str, Any] = {}
    if mentions(query, "totalCount"):
        connection["totalCount"] = len(pull.threads)
    if mentions(query, "pageInfo"):
        connection["pageInfo"] = {k: v for k, v in page_info.items() if mentions(query, k)}
    if mentions(query, "nodes"):
        connection["nodes"] = [thread_node(t) for t in chunk]
    if mentions(query, "edges"):
        connection["edges"] = [
            {"cursor": encode_cursor(start + i + 1), "node": thread_node(t)}
            for i, t in enumerate(chunk)
        ]
    return connection


def pull_request(
    query: str, variables: dict[str, Any], store: GitHubStore, repo: Repo, pull: Pull
) -> dict:
    out: dict[str, Any] = {}
    if mentions(query, "number"):
        out["number"] = pull.number
    if mentions(query, "title"):
        out["title"] = pull.title
    if mentions(query, "merged"):
        out["merged"] = pull.merged
    if mentions(query, "mergedAt"):
        out["mergedAt"] = iso_seconds(pull.merged_at) if pull.merged_at else None
    if mentions(query, "headRefOid"):
        out["headRefOid"] = pull.head_sha
    if mentions(query, "reviewDecision"):
        out["reviewDecision"] = review_decision(store, repo, pull)
    if mentions(query, "reviewThreads"):
        out["reviewThreads"] = review_threads(query, variables, pull)
    if _LABELS_ARGS.search(query):
        out["labels"] = {"nodes": [{"name": name} for name in pull.labels]}
    return out


def answer(query: str, variables: dict[str, Any], request: Request) -> dict[str, Any]:
    if not mentions(query, "pullRequest"):
        raise QueryError("sandbox: only the pull request review query is supported")
    owner, name, number = (variables.get(k) for k in ("owner", "name", "number"))
    for key, value, kind in (("owner", owner, str), ("name", name, str), ("number", number, int)):
        if not isinstance(value, kind) or isinstance(value, bool):
            type_name = "String!" if kind is str else "Int!"
            raise QueryError(f"Variable ${key} of type {type_name} was provided invalid value")
    assert isinstance(owner, str) and isinstance(name, str) and isinstance(number, int)
    repo = sandbox_state(request).github.repo(owner, name)
    if repo is None:
        return {
            "data": {"repository": None},
            "errors": [
                QueryError(
                    f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                    ["repository"],
                    "NOT_FOUND",
                ).payload
            ],
        }
    pull = repo.pulls.get(number)
    if pull is None:
        return {
            "data": {"repository": {"pullRequest": None}},
            "errors": [
                QueryError(
                    f"Could not resolve to a PullRequest with the number of {number}.",
                    ["repository", "pullRequest"],
                    "NOT_FOUND",
                ).payload
            ],
        }
    store = sandbox_state(request).github
    fields = pull_request(query, variables, store, repo, pull)
    return {"data": {"repository": {"pullRequest": fields}}}


async def graphql(request: Request) -> Response:
    try:
        body = await json_body(request, default={})
    except BadJson:
        return JSONResponse({"message": "Problems parsing JSON"}, status_code=400)
    query = body.get("query") if isinstance(body, dict) else None
    if not isinstance(query, str):
        return JSONResponse(
            {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
        )
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        variables = {}
    errors = schema_errors(query, variables)
    if errors:
        return JSONResponse({"errors": errors})
    try:
        with sandbox_state(request).lock:
            return JSONResponse(answer(query, variables, request))
    except QueryError as exc:
        return JSONResponse({"data": None, "errors": [exc.payload]})


ROUTES = [Route("/graphql", graphql, methods=["POST"])]
