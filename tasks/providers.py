"""Clients built from the settings, one per task call; the task owns their lifetime."""

from __future__ import annotations

from clients import CloudflareClient, GitHubClient, WorkerProbe
from tasks.settings import ProviderSettings


def github() -> GitHubClient:
    s = ProviderSettings.from_env()
    return GitHubClient(s.github_url, s.github_token.get_secret_value())


def cloudflare() -> CloudflareClient:
    s = ProviderSettings.from_env()
    return CloudflareClient(s.cloudflare_url, s.cloudflare_token.get_secret_value())


def worker_probe() -> WorkerProbe:
    return WorkerProbe()
