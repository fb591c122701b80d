"""The Prefect UI, in a real headless chromium, on a finished Workers release: the run's name and
state, and its gate artifacts with their tables, are in the page's DOM (not only in the API).

`RELORCH_SCREENSHOTS=docs/ui` also saves the pages as PNGs (how docs/ui/*.png are made)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.scenarios.conftest import Stack
from tests.scenarios.real_server import RealServer

pytestmark = [pytest.mark.scenario, pytest.mark.ui]
SHOTS = os.environ.get("RELORCH_SCREENSHOTS")


@contextmanager
def browser_page(chromium: Path) -> Iterator[Page]:
    """Opened after the release ran: sync Playwright keeps an event loop on this thread."""
    with sync_playwright() as p:
        # root has no user namespace sandbox here; the page is our own server's UI
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 860}, color_scheme="light")
        finally:
            browser.close()


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def test_finished_release_renders_its_name_and_gate_artifacts(
    stack: Stack, prefect_server: RealServer, chromium: Path
) -> None:
    from flows.workers_deploy import workers_deploy

    release = stack.prepare("verifier", pr_number=42)
    state = asyncio.run(workers_deploy(**release.parameters, return_state=True))  # type: ignore[call-overload]
    assert state.is_completed(), state.message
    name = f"verifier {release.parameters['git_sha'][:7]} PR#42"
    ui = prefect_server.url.removesuffix("/api")
    with browser_page(chromium) as page:
        check_pages(page, f"{ui}/runs/flow-run/{state.state_details.flow_run_id}", name)


def check_pages(page: Page, run_url: str, name: str) -> None:

    page.goto(run_url)
    expect(page.get_by_text(name, exact=True).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Completed", exact=True).first).to_be_visible()
    shot(page, "flow-run")

    page.get_by_text("Artifacts", exact=True).first.click()
    for key in (
        "workers-verifier-summary",
        "workers-verifier-sandbox-verification",
        "workers-verifier-post-deploy-verification",
    ):
        expect(page.get_by_text(key, exact=True).first).to_be_visible(timeout=15_000)
    shot(page, "artifacts")

    # the gate's evidence: its markdown rendered as tables (inputs, thresholds, verdict)
    page.get_by_text("workers-verifier-post-deploy-verification", exact=True).first.click()
    expect(page.locator("table").first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Verdict: pass").first).to_be_visible()
    shot(page, "gate-artifact")
