"""Clients built from the settings, one per task call; the task owns their lifetime.

One retry layer per request: the clients retry transient HTTP faults themselves (429, 5xx,
timeouts, dropped connections; bounded in attempts and time, writes read back after a lost
answer), so the tasks that call them are not retried by Prefect (`retries=0`). A task retry on
top would multiply the attempts (3 × 6 per request), re-run reads and read-backs that already
succeeded, and hold a release slot for minutes; what outlives a client's budget is the flow's to
handle (the Play outage continuation), not a tight loop. A write that must get through (a
rollback) gets a longer budget in the same layer instead (`PATIENT`).

Building clients is cheap by design: the Google service-account key is parsed once per process
and its access token is shared by every credentials object of the same account and scope
(clients/_google_auth.py), so a new client per task costs no new token grant.
"""

from __future__ import annotations

import json
import ssl
from functools import lru_cache

import httpx

from clients import (
    PLAY_PUBLISHER_SCOPE,
    PLAY_REPORTING_SCOPE,
    AppStoreConnectClient,
    AppStoreKey,
    CloudflareClient,
    GitHubClient,
    PagerDutyClient,
    PlayPublisherClient,
    PlayReportingClient,
    RetryPolicy,
    SentrySessionsClient,
    ServiceAccountCredentials,
    StatuspageClient,
    WorkerProbe,
)
from tasks.settings import ProviderSettings

# About what the Prefect task retries gave a rollback before (4 runs of a 30 s budget).
PATIENT = RetryPolicy(max_attempts=12, max_total_s=120.0)


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    # Building a default SSL context reads the CA bundle (~0.15 s); once per process is enough.
    return ssl.create_default_context()


def _transport() -> httpx.AsyncHTTPTransport:
    return httpx.AsyncHTTPTransport(verify=_tls())


def github() -> GitHubClient:
    s = ProviderSettings.from_env()
    return GitHubClient(s.github_url, s.github_token.get_secret_value(), transport=_transport())


def cloudflare(retry: RetryPolicy | None = None) -> CloudflareClient:
    s = ProviderSettings.from_env()
    return CloudflareClient(
        s.cloudflare_url,
        s.cloudflare_token.get_secret_value(),
        transport=_transport(),
        retry=retry or CloudflareClient.default_retry,
    )


def worker_probe() -> WorkerProbe:
    return WorkerProbe(transport=_transport())


def pagerduty(base_url: str) -> PagerDutyClient:
    s = ProviderSettings.from_env()
    return PagerDutyClient(base_url, s.pagerduty_token.get_secret_value(), transport=_transport())


def statuspage(base_url: str) -> StatuspageClient:
    return StatuspageClient(base_url, transport=_transport())


def _google_credentials(scope: str) -> ServiceAccountCredentials:
    text = ProviderSettings.from_env().google_service_account.get_secret_value()
    if not text:
        raise RuntimeError("no Google service account: set GOOGLE_SERVICE_ACCOUNT_JSON")
    return ServiceAccountCredentials.from_info(json.loads(text), [scope], transport=_transport())


def play_publisher() -> PlayPublisherClient:
    s = ProviderSettings.from_env()
    return PlayPublisherClient(
        s.play_url,
        _google_credentials(PLAY_PUBLISHER_SCOPE),
        upload_url=s.play_upload_url,
        transport=_transport(),
    )


def play_reporting() -> PlayReportingClient:
    s = ProviderSettings.from_env()
    return PlayReportingClient(
        s.play_reporting_url, _google_credentials(PLAY_REPORTING_SCOPE), transport=_transport()
    )


@lru_cache(maxsize=4)
def _app_store_key(key_id: str, issuer_id: str, pem: str) -> AppStoreKey:
    # One signer per key and process: its JWT is reused until close to expiry (Apple: ≤ 20 min).
    return AppStoreKey(key_id, issuer_id, pem)


def app_store() -> AppStoreConnectClient:
    s = ProviderSettings.from_env()
    pem = s.app_store_private_key.get_secret_value()
    if not (pem and s.app_store_key_id and s.app_store_issuer_id):
        raise RuntimeError(
            "no App Store Connect API key: set APP_STORE_CONNECT_KEY_ID, "
            "APP_STORE_CONNECT_ISSUER_ID and APP_STORE_CONNECT_PRIVATE_KEY(_PATH)"
        )
    key = _app_store_key(s.app_store_key_id, s.app_store_issuer_id, pem)
    return AppStoreConnectClient(s.app_store_url, key, transport=_transport())


def sentry(base_url: str) -> SentrySessionsClient:
    s = ProviderSettings.from_env()
    return SentrySessionsClient(base_url, s.sentry_token.get_secret_value(), transport=_transport())
