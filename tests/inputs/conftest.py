"""The scenario fixtures (one Prefect test server and one sandbox per test process), for the
flow-level half of the bad-input suite."""

from tests.scenarios.conftest import (  # noqa: F401 - fixtures
    android,
    policy_file,
    prefect_server,
    sandbox_server,
    stack,
)
