"""No Prefect task retries around a client that already retries: one retry layer per request."""

from __future__ import annotations

import importlib
import pkgutil

from prefect import Task

import tasks


def _tasks() -> list[Task]:
    found: list[Task] = []
    for module in pkgutil.iter_modules(tasks.__path__):
        loaded = importlib.import_module(f"tasks.{module.name}")
        found.extend(v for v in vars(loaded).values() if isinstance(v, Task))
    return found


def test_no_task_stacks_prefect_retries_on_the_clients_own():
    found = _tasks()
    assert len(found) >= 15, [t.name for t in found]  # the scan does see the tasks
    assert {t.name: t.retries for t in found if t.retries} == {}
