"""GitHub's page-number pagination with a `Link` header."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from starlette.datastructures import URL, QueryParams

from sandbox.errors import GitHubError

T = TypeVar("T")
MAX_PER_PAGE = 100


def _positive_int(raw: str | None, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise GitHubError(422, f"Invalid value for {name}: {raw!r}") from exc
    return max(value, 1)


def paginate(
    items: Sequence[T], url: URL, default_per_page: int = 30
) -> tuple[list[T], dict[str, str]]:
    """One page of `items` and the headers that point at the others (as GitHub sends them)."""
    query = QueryParams(url.query)
    per_page = min(_positive_int(query.get("per_page"), default_per_page, "per_page"), MAX_PER_PAGE)
    page = _positive_int(query.get("page"), 1, "page")
    last = max((len(items) + per_page - 1) // per_page, 1)
    start = (page - 1) * per_page
    chunk = list(items[start : start + per_page])

    def link(number: int, rel: str) -> str:
        return f'<{url.include_query_params(page=number, per_page=per_page)}>; rel="{rel}"'

    rels: list[str] = []
    if page > 1:
        rels += [link(min(page - 1, last), "prev"), link(1, "first")]
    if page < last:
        rels += [link(page + 1, "next"), link(last, "last")]
    return chunk, ({"Link": ", ".join(rels)} if rels else {})
