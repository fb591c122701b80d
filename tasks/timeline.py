"""When each step of a mobile rollout happened, kept in a Prefect Variable per rollout.

The stores say where a rollout is, not since when; soaks and phase days need the "since". This is
the only thing remembered outside the store, and the core (`procedure.android.decide`,
`procedure.ios.decide`) reads a missing entry as "just now" — a lost record delays a step, never
hurries one. One serialisation for every kind of timeline: pydantic's, from the dataclass.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from prefect.variables import Variable
from pydantic import TypeAdapter, ValidationError

from procedure.android import Timeline
from procedure.ios import IosTimeline
from tasks.prefect_writes import conflict_client, write_variable

__all__ = [
    "android_timelines",
    "has_ios_timeline",
    "load_android_timelines",
    "read_all_timelines",
    "ios_timelines",
    "load_ios_timeline",
    "load_timeline",
    "save_ios_timeline",
    "save_timeline",
    "variable_name",
]

T = TypeVar("T")


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(kind: type[T]) -> TypeAdapter[T]:
    if kind not in _ADAPTERS:
        _ADAPTERS[kind] = TypeAdapter(kind)
    return _ADAPTERS[kind]


def variable_name(app: str, version: int | str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", f"rollout_{app}_{version}".lower())


async def _load(kind: type[T], name: str) -> T:
    read: Callable[..., Awaitable[object]] = Variable.aget  # typed as returning None in 3.9
    raw = await read(name, default=None)
    if not isinstance(raw, dict):
        return kind()
    try:
        return _adapter(kind).validate_python(raw)
    except ValidationError:  # unreadable: as if lost — the core waits, it never hurries
        return kind()


async def _save(name: str, timeline: Any) -> None:
    value = _adapter(type(timeline)).dump_python(timeline, mode="json")
    async with conflict_client() as client:  # a save right after a task ends meets a conflict
        await write_variable(client, name, value)


async def load_timeline(app: str, version_code: int) -> Timeline:
    return await _load(Timeline, variable_name(app, version_code))


async def save_timeline(app: str, version_code: int, timeline: Timeline) -> None:
    await _save(variable_name(app, version_code), timeline)


def _ios_name(app: str, version: str, build: str) -> str:
    return variable_name(f"ios_{app}", f"{version}_{build}")


async def load_ios_timeline(app: str, version: str, build: str) -> IosTimeline:
    return await _load(IosTimeline, _ios_name(app, version, build))


async def save_ios_timeline(app: str, version: str, build: str, timeline: IosTimeline) -> None:
    await _save(_ios_name(app, version, build), replace(timeline, version=version, build=build))


PAGE = 200  # the server's default page limit


async def load_android_timelines(app: str) -> dict[int, Timeline]:
    """Every Android timeline stored for `app`, by version code. See `read_all_timelines`."""
    return android_timelines(await read_all_timelines(), app)


async def read_all_timelines() -> dict[str, object]:
    """Every stored rollout timeline's raw value by variable name, in one paged bulk read (a few
    requests for a thousand rollouts instead of one per rollout)."""
    from prefect.client.orchestration import get_client

    found: dict[str, object] = {}
    async with get_client() as client:
        offset = 0
        while True:
            response = await client.request(
                "POST",
                "/variables/filter",
                json={
                    "variables": {"name": {"like_": "rollout_"}},
                    "sort": "NAME_ASC",
                    "offset": offset,
                    "limit": PAGE,
                },
            )
            page = response.json()
            found.update({v["name"]: v["value"] for v in page if v["name"].startswith("rollout_")})
            if len(page) < PAGE:
                return found
            offset += PAGE


def android_timelines(raw: dict[str, object], app: str) -> dict[int, Timeline]:
    """The Android timelines of `app` in a bulk read: names `variable_name(app, <code>)`."""
    prefix = variable_name(app, "")
    out: dict[int, Timeline] = {}
    for name, value in raw.items():
        rest = name[len(prefix) :]
        if not name.startswith(prefix) or not rest.isdigit() or not isinstance(value, dict):
            continue
        try:
            out[int(rest)] = _adapter(Timeline).validate_python(value)
        except ValidationError:
            continue  # unreadable: as if lost, and a lost one makes the app be read
    return out


def ios_timelines(raw: dict[str, object], app: str) -> list[IosTimeline] | None:
    """The iOS timelines of `app` in a bulk read, or None when one cannot be read or does not
    say which release it is (written before timelines named their version): the caller reads
    the store then."""
    prefix = variable_name(f"ios_{app}", "")
    out: list[IosTimeline] = []
    for name, value in raw.items():
        if not name.startswith(prefix) or not isinstance(value, dict) or not value:
            continue
        try:
            timeline = _adapter(IosTimeline).validate_python(value)
        except ValidationError:
            return None
        if not timeline.version or not timeline.build:
            return None
        if _ios_name(app, timeline.version, timeline.build) == name:  # not another app's
            out.append(timeline)
    return out


def has_ios_timeline(raw: dict[str, object], app: str) -> bool:
    """Whether a bulk read holds any iOS timeline of `app` (a name clash with an app whose name
    extends this one only makes the caller read the store: the safe side)."""
    prefix = variable_name(f"ios_{app}", "")
    return any(name.startswith(prefix) and isinstance(v, dict) and v for name, v in raw.items())
