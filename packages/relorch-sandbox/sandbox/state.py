"""All sandbox state behind one lock: resettable, with an injectable clock."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from datetime import datetime

from sandbox.appstore.model import AppStoreStore
from sandbox.clock import Clock, system_clock
from sandbox.cloudflare.model import CloudflareStore
from sandbox.faults import FaultStore
from sandbox.github.model import GitHubStore
from sandbox.googleplay.model import GooglePlayStore
from sandbox.pagerduty.model import PagerDutyStore
from sandbox.requestlog import RequestLog
from sandbox.sentry.model import SentryStore
from sandbox.slack.model import SlackStore
from sandbox.statuspage.model import StatuspageStore
from sandbox.worker.model import WorkerSessions

# Providers whose API needs a token (status pages are public; the Worker has no auth).
PROVIDERS = ("github", "cloudflare", "pagerduty", "sentry")
# Traffic splitting and worker error rolls use a seeded generator so runs are reproducible.
RNG_SEED = 0


class SandboxState:
    def __init__(self, *, tokens: Mapping[str, str] | None = None, clock: Clock | None = None):
        self.lock = threading.RLock()
        self.clock: Clock = clock or system_clock
        self._start_tokens = dict(tokens or {})
        self.tokens: dict[str, str] = {}
        self.github = GitHubStore()
        self.cloudflare = CloudflareStore()
        self.worker = WorkerSessions()
        self.pagerduty = PagerDutyStore()
        self.statuspage = StatuspageStore.default(self.clock())
        self.googleplay = GooglePlayStore()
        self.appstore = AppStoreStore()
        self.sentry = SentryStore()
        self.slack = SlackStore()
        self.faults = FaultStore()
        self.log = RequestLog()
        self.rng = random.Random(RNG_SEED)
        # Every credential value a caller sent (Authorization values, Google grant assertions),
        # kept across resets: what a test then looks for in logs and artifacts.
        self.credentials_seen: set[str] = set()
        self.reset()

    def now(self) -> datetime:
        return self.clock()

    def reset(self) -> None:
        """Forget everything but the tokens given at start-up (and the clock); the status
        pages go back to their default components, with no maintenances or incidents."""
        with self.lock:
            self.tokens = dict(self._start_tokens)
            self.github = GitHubStore()
            self.cloudflare = CloudflareStore()
            self.worker = WorkerSessions()
            self.pagerduty = PagerDutyStore()
            self.statuspage = StatuspageStore.default(self.now())
            self.googleplay = GooglePlayStore()  # service accounts and tokens too
            self.appstore = AppStoreStore()  # API keys too
            self.sentry = SentryStore()
            self.slack = SlackStore()
            self.faults.clear()
            self.log.clear()
            self.rng = random.Random(RNG_SEED)

    def set_tokens(self, tokens: Mapping[str, str]) -> None:
        unknown = set(tokens) - set(PROVIDERS)
        if unknown:
            raise ValueError(f"unknown provider(s) for tokens: {', '.join(sorted(unknown))}")
        with self.lock:
            self.tokens.update({k: v for k, v in tokens.items() if v})
