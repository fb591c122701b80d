"""Tokens travel in headers only: never in a repr, an error text, or a followed link."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from clients import (
    CloudflareClient,
    GitHubClient,
    NotFoundError,
    ProviderError,
    SentrySessionsClient,
)
from tests.clients._canned import ACCOUNT, REPO, SCRIPT
from tests.clients._support import TOKEN, Reply, cf_error
from tests.clients.conftest import CLOUDFLARE_URL, GITHUB_URL

pytestmark = pytest.mark.anyio

ECHOES = [
    Reply(401, {"message": f"Bad credentials: {TOKEN}"}),
    Reply(400, text=f"<html>Authorization: Bearer {TOKEN} rejected</html>"),
    Reply(500, text=f"upstream said token={TOKEN}"),
]


def _assert_clean(error: BaseException) -> None:
    for text in (str(error), repr(error), error.detail if isinstance(error, ProviderError) else ""):
        assert TOKEN not in text
        assert TOKEN[8:24] not in text


@pytest.mark.parametrize("echo", ECHOES, ids=["json", "html", "5xx"])
async def test_github_errors_never_carry_the_token(github, provider, echo):
    provider.on("GET", "/repos/octo-org/edge-api/pulls/1", echo)
    with pytest.raises(ProviderError) as caught:
        await github.get_pull(REPO, 1)
    _assert_clean(caught.value)
    assert "[REDACTED]" in caught.value.detail


@pytest.mark.parametrize("inside", [6, 12, 20, 30])
@pytest.mark.parametrize("quoted", ["Authorization: Bearer {}", "access_token={}"])
async def test_an_echo_across_the_cut_leaves_no_fragment(
    github, cloudflare, provider, inside, quoted
):
    # A proxy's error page quoting what was sent: the clients keep the first few hundred
    # characters of a page that is not the provider's JSON. Cut before redaction, the head of a
    # token straddling the cut was no longer the token, so nothing removed it.
    cut, head = 300, "<html><pre>"
    before = quoted.format("")
    page = head + "." * (cut - inside - len(head) - len(before)) + quoted.format(TOKEN) + "</pre>"
    assert page.index(TOKEN) == cut - inside
    provider.on("GET", "/repos/octo-org/edge-api/pulls/1", Reply(502, text=page))
    provider.on("GET", r".*/deployments", Reply(403, text=page))
    for call in (
        lambda: github.get_pull(REPO, 1),
        lambda: cloudflare.list_deployments(ACCOUNT, SCRIPT),
    ):
        with pytest.raises(ProviderError) as caught:
            await call()
        for text in (str(caught.value), repr(caught.value)):
            assert not any(TOKEN[i : i + 6] in text for i in range(len(TOKEN) - 5)), text


async def test_github_graphql_errors_never_carry_the_token(github, provider):
    body = {"errors": [{"type": "FORBIDDEN", "message": f"token {TOKEN} lacks scope"}]}
    provider.on("POST", "/graphql", Reply(200, body))
    with pytest.raises(ProviderError) as caught:
        await github.review_state(REPO, 1)
    _assert_clean(caught.value)


async def test_cloudflare_errors_never_carry_the_token(cloudflare, provider):
    provider.on("GET", r".*/deployments", cf_error(403, 10000, f"Authentication error {TOKEN}"))
    with pytest.raises(ProviderError) as caught:
        await cloudflare.list_deployments(ACCOUNT, SCRIPT)
    _assert_clean(caught.value)
    assert caught.value.code == 10000


async def test_cloudflare_analytics_errors_never_carry_the_token(cloudflare, provider):
    provider.on(
        "POST",
        "/client/v4/graphql",
        Reply(200, {"data": None, "errors": [{"message": f"bad auth {TOKEN}"}]}),
    )
    start = datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(ProviderError) as caught:
        await cloudflare.invocation_totals(ACCOUNT, SCRIPT, start, start + timedelta(hours=1))
    _assert_clean(caught.value)


async def test_transport_failures_never_carry_the_token(github, provider):
    provider.on("GET", "/repos/octo-org/edge-api/pulls/1", Reply(error=httpx.ConnectError))
    with pytest.raises(ProviderError) as caught:
        await github.get_pull(REPO, 1)
    _assert_clean(caught.value)


@pytest.mark.parametrize("token", [TOKEN, SecretStr(TOKEN)], ids=["str", "SecretStr"])
async def test_clients_do_not_show_the_token(token):
    clients = (
        GitHubClient(GITHUB_URL, token),
        CloudflareClient(CLOUDFLARE_URL, token),
        SentrySessionsClient("https://sentry.io", token),
    )
    for client in clients:
        async with client:
            assert TOKEN not in repr(client) and TOKEN not in str(client)
            assert TOKEN not in repr(vars(client))  # stored as a SecretStr


async def test_a_borrowed_http_client_gets_our_headers_and_stays_open(provider):
    provider.on("GET", "/repos/octo-org/edge-api/pulls/1", Reply(404, {"message": "Not Found"}))
    async with httpx.AsyncClient(transport=provider.transport) as http:
        async with GitHubClient(GITHUB_URL, TOKEN, http=http) as github:
            with pytest.raises(NotFoundError):
                await github.get_pull(REPO, 1)
        assert not http.is_closed
    assert provider.exchanges[0].request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_http_and_transport_are_exclusive():
    async with httpx.AsyncClient() as http:
        with pytest.raises(ValueError):
            GitHubClient(
                GITHUB_URL,
                TOKEN,
                http=http,
                transport=httpx.MockTransport(lambda r: httpx.Response(200)),
            )


def test_provider_error_text_and_fields():
    error = ProviderError("cloudflare", "deploy", status=400, code=10220, detail="secrets changed")
    assert str(error) == "cloudflare deploy failed (HTTP 400, code 10220): secrets changed"
    assert ProviderError("github", "get_pull").args == ("github get_pull failed",)


def test_provider_error_redacts_auth_header_values_it_is_given():
    error = ProviderError(
        "github", "x", detail="Authorization: Bearer ghp_abcdefghijklmnopqrstuvwxyz0123"
    )
    assert "ghp_" not in str(error)


@pytest.mark.parametrize("cls", [ProviderError, NotFoundError])
def test_provider_errors_survive_pickling(cls):
    # Prefect persists task failures; a keyword-only __init__ would break plain Exception pickling.
    error = cls("github", "get_pull", status=404, code="NOT_FOUND", detail="gone", retry_after=3.0)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert (
        copy.provider,
        copy.operation,
        copy.status,
        copy.code,
        copy.detail,
        copy.retry_after,
    ) == ("github", "get_pull", 404, "NOT_FOUND", "gone", 3.0)
    assert str(copy) == str(error)


@pytest.mark.parametrize(
    "shown",
    [
        f"Authorization: Bearer {TOKEN[:24]}... (length = 158)",  # wrangler shortens an answer
        f"echoed {TOKEN[:14]}…",
        f"token={TOKEN[5:30]}&x=1",
        f"{TOKEN[10:]}",
    ],
)
def test_a_piece_of_a_secret_is_redacted_too(shown):
    from clients import redact

    clean = redact(shown, [TOKEN])
    assert not any(TOKEN[i : i + 8] in clean for i in range(len(TOKEN) - 7)), clean
    assert "[REDACTED]" in clean


def test_ordinary_text_beside_a_secret_is_left_alone():
    from clients import redact

    text = "release verifier 1a2b3c4 PR#42: deployment 6f1e2d3c-4b5a-6978 rolled back (tok)"
    assert redact(text, [TOKEN]) == text
