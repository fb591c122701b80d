"""Who the token is: the user, its accounts and memberships, and the token self-check.

wrangler asks `GET /memberships` when neither CLOUDFLARE_ACCOUNT_ID nor `account_id` in the
config names the account (one membership: it uses that account; none: it fails), and runs
`whoami` (`/user/tokens/verify`, `/user`, `/accounts`, `/memberships`) after an authentication
error. In the sandbox every token is a member of every account.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.cloudflare.envelope import find_account, ok
from sandbox.cloudflare.model import AUTHOR_EMAIL, AUTHOR_ID
from sandbox.cloudflare.uploads import invalid
from sandbox.httputil import sandbox_state

MAX_PER_PAGE = 50


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# One id for whatever token passed auth: derived from nothing secret, so it reveals nothing.
TOKEN_ID = _digest("sandbox-api-token")


def _page_params(request: Request) -> tuple[int, int]:
    try:
        page = max(int(request.query_params.get("page") or 1), 1)
        per_page = min(max(int(request.query_params.get("per_page") or 20), 1), MAX_PER_PAGE)
    except ValueError as exc:
        raise invalid("page and per_page must be integers") from exc
    return page, per_page


def _paged(request: Request, items: list[dict[str, Any]]) -> Response:
    """A V4PagePaginationArray answer: one page of `result` plus `result_info`."""
    page, per_page = _page_params(request)
    shown = items[(page - 1) * per_page : page * per_page]
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(shown),
        "total_count": len(items),
        "total_pages": max(-(-len(items) // per_page), 1),
    }
    return ok(shown, result_info=info)


def _account_ids(request: Request) -> list[str]:
    state = sandbox_state(request)
    with state.lock:
        return sorted(state.cloudflare.accounts)


def _account(account_id: str) -> dict[str, Any]:
    return {
        "id": account_id,
        "name": f"{account_id} (sandbox)",
        "type": "standard",
        "settings": {"enforce_twofactor": False},
    }


async def list_memberships(request: Request) -> Response:
    return _paged(
        request,
        [
            {
                "id": _digest(f"membership:{a}"),
                "account": {"id": a, "name": f"{a} (sandbox)"},
                "api_access_enabled": True,
                "roles": ["Administrator"],
                "status": "accepted",
            }
            for a in _account_ids(request)
        ],
    )


async def list_accounts(request: Request) -> Response:
    return _paged(request, [_account(a) for a in _account_ids(request)])


async def get_user(_: Request) -> Response:
    return ok(
        {
            "id": AUTHOR_ID,
            "email": AUTHOR_EMAIL,
            "first_name": None,
            "last_name": None,
            "suspended": False,
            "two_factor_authentication_enabled": False,
        }
    )


async def verify_user_token(_: Request) -> Response:
    return ok({"id": TOKEN_ID, "status": "active"})


async def verify_account_token(request: Request) -> Response:
    with sandbox_state(request).lock:
        find_account(request)
    return ok({"id": TOKEN_ID, "status": "active"})


ROUTES = [
    Route("/user", get_user, methods=["GET"]),
    Route("/accounts", list_accounts, methods=["GET"]),
    Route("/memberships", list_memberships, methods=["GET"]),
    Route("/user/tokens/verify", verify_user_token, methods=["GET"]),
    Route("/accounts/{account_id}/tokens/verify", verify_account_token, methods=["GET"]),
]
