"""A process worker serving prefect.yaml's deployments against the test harness's server — the
same shape as `make run` — for scenarios that need runs started by the server itself
(scheduled continuations, REST triggers)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from relctl.trigger import PrefectApi

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def served_deployments(extra_env: dict[str, str], workers: int = 1) -> Iterator[PrefectApi]:
    from prefect.settings import PREFECT_API_URL

    api_url = str(PREFECT_API_URL.value())
    env = {
        **os.environ,
        **extra_env,
        "PREFECT_API_URL": api_url,
        "RELORCH_HOME": str(ROOT),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "2",
    }

    def prefect(*args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "prefect", *args],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    if not _deployed(api_url):  # a server keeps its deployments: deploy once, not per test
        prefect("work-pool", "create", "release-local", "--type", "process", "--overwrite")
        prefect("--no-prompt", "deploy", "--all")
        PrefectApi(api_url).refuse_unknown_parameters()  # as `make run` does after deploying
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "worker",
                "start",
                "--pool",
                "release-local",
                "--name",
                f"release-worker-{n}",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(1, workers + 1)
    ]
    api = PrefectApi(api_url)
    try:
        yield api
    finally:
        for worker in started:
            worker.terminate()
        for worker in started:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        api.close()


def _deployed(api_url: str) -> bool:
    """Every deployment in prefect.yaml is already on this server, in the local pool."""
    import httpx
    import yaml

    wanted = len(yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"])
    query = {"work_pools": {"name": {"any_": ["release-local"]}}}
    with httpx.Client(base_url=api_url.rstrip("/") + "/", timeout=30) as http:
        answer = http.post("deployments/filter", json=query)
    return answer.status_code == 200 and len(answer.json()) >= wanted


def wait_for(predicate: Any, timeout: float, poll: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"condition not met within {timeout} s")
