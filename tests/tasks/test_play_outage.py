"""Which Google failures are an outage worth a retry continuation, and which are an answer."""

from __future__ import annotations

import pytest

from clients import NotFoundError, ProviderError
from tasks.play import is_play_outage


@pytest.mark.parametrize("provider", ["google-play", "google-play-reporting", "google-oauth"])
@pytest.mark.parametrize("status", [None, 429, 500, 502, 503, 504])
def test_5xx_429_timeouts_and_lost_connections_from_google_are_an_outage(provider, status) -> None:
    assert is_play_outage(ProviderError(provider, "commit_edit", status=status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_an_error_answer_is_not_an_outage(status) -> None:
    assert not is_play_outage(ProviderError("google-play", "commit_edit", status=status))
    assert not is_play_outage(NotFoundError("google-play", "get_track", status=404))


def test_another_providers_outage_or_a_bug_is_not_a_play_outage() -> None:
    assert not is_play_outage(ProviderError("github", "get_pull", status=503))
    assert not is_play_outage(ValueError("boom"))
