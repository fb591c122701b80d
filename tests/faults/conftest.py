"""The fault suite runs the scenario world (tests/scenarios/conftest.py) with seeded provider
faults installed; the Prefect server and the sandbox are tests/conftest.py's, shared per process."""

from __future__ import annotations

from tests.faults._faults import fault_seed, short_waits  # noqa: F401 (fixtures)
from tests.scenarios.conftest import (  # noqa: F401 (fixtures)
    android,
    ios,
    notifications,
    policy_file,
    shared_clock,
    stack,
)
