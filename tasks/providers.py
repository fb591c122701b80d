"""Clients built from the settings, one per task call; the task owns their lifetime."""

from __future__ import annotations

import ssl
from functools import lru_cache

import httpx

from clients import CloudflareClient, GitHubClient, PagerDutyClient, StatuspageClient, WorkerProbe
from tasks.settings import ProviderSettings


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    # Building a default SSL context reads the CA bundle (~0.15 s); once per process is enough.
    return ssl.create_default_context()


def _transport() -> httpx.AsyncHTTPTransport:
    return httpx.AsyncHTTPTransport(verify=_tls())


def github() -> GitHubClient:
    s = ProviderSettings.from_env()
    return GitHubClient(s.github_url, s.github_token.get_secret_value(), transport=_transport())


def cloudflare() -> CloudflareClient:
    s = ProviderSettings.from_env()
    return CloudflareClient(
        s.cloudflare_url, s.cloudflare_token.get_secret_value(), transport=_transport()
    )


def worker_probe() -> WorkerProbe:
    return WorkerProbe(transport=_transport())


def pagerduty(base_url: str) -> PagerDutyClient:
    s = ProviderSettings.from_env()
    return PagerDutyClient(base_url, s.pagerduty_token.get_secret_value(), transport=_transport())


def statuspage(base_url: str) -> StatuspageClient:
    return StatuspageClient(base_url, transport=_transport())
