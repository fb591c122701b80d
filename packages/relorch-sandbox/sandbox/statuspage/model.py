"""Statuspage state: pages with components (and groups), scheduled maintenances and incidents.

Maintenances move on their own as on a real page with auto-transitions on: `scheduled` becomes
`in_progress` at `scheduled_for`, and `in_progress` becomes `completed` at `scheduled_until`.
Each transition fires once; a maintenance set to `verifying` (or back to `in_progress`) stays
there past its window until told otherwise: the overrun the freeze policy has to catch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
IMPACTS = ("none", "minor", "major", "critical")
MAINTENANCE_IMPACTS = (*IMPACTS, "maintenance")
UPCOMING = ("scheduled",)
ACTIVE = ("in_progress", "verifying")
UNRESOLVED = ("investigating", "identified", "monitoring")

UPDATE_BODIES = {
    "scheduled": "We will be performing scheduled maintenance during this window.",
    "in_progress": "Scheduled maintenance is currently in progress. We will provide updates as "
    "necessary.",
    "verifying": "Verification is currently underway for the maintenance items.",
    "completed": "The scheduled maintenance has been completed.",
    "investigating": "We are investigating this issue.",
    "identified": "The issue has been identified and a fix is being implemented.",
    "monitoring": "A fix has been implemented and we are monitoring the results.",
    "resolved": "This incident has been resolved.",
    "postmortem": "A postmortem has been published.",
}

# The default world. Group -> member components, in page order; a None group is top level.
CLOUDFLARE_LAYOUT: list[tuple[str | None, list[str]]] = [
    ("Cloudflare Sites and Services", ["Workers", "API", "Dashboard", "CDN/Cache"]),
    ("Oceania", ["Sydney, Australia - (SYD)", "Melbourne, Australia - (MEL)"]),
    ("Europe", ["London, United Kingdom - (LHR)"]),
]
GITHUB_LAYOUT: list[tuple[str | None, list[str]]] = [
    (None, ["Git Operations", "API Requests", "Actions", "Pull Requests"]),
]
PAGES = {
    # key: (page id, name, url, time zone, layout)
    "cloudflare": (
        "yh6f0r4529hb",
        "Cloudflare",
        "https://www.cloudflarestatus.com",
        "Etc/UTC",
        CLOUDFLARE_LAYOUT,
    ),
    # A non-UTC zone on purpose: its timestamps carry a -07:00/-08:00 offset.
    "github": (
        "kctbh9vrtdwd",
        "GitHub",
        "https://www.githubstatus.com",
        "America/Los_Angeles",
        GITHUB_LAYOUT,
    ),
}

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def page_object_id(page_id: str, kind: str, number: int) -> str:
    """A stable 12-character lowercase id, Statuspage style."""
    value = int(hashlib.sha1(f"{page_id}:{kind}:{number}".encode()).hexdigest(), 16)
    chars = []
    for _ in range(12):
        value, digit = divmod(value, 36)
        chars.append(_BASE36[digit])
    return "".join(chars)


@dataclass
class Component:
    id: str
    name: str
    status: str
    position: int
    group_id: str | None
    group: bool
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    children: list[str] = field(default_factory=list)  # member ids, for a group


@dataclass
class Update:
    id: str
    status: str
    body: str
    at: datetime


@dataclass
class Event:
    """An incident, or (with `scheduled_for`) a scheduled maintenance: one schema on Statuspage."""

    id: str
    name: str
    status: str
    impact: str
    created_at: datetime
    updated_at: datetime
    component_ids: list[str]
    shortlink: str
    updates: list[Update] = field(default_factory=list)
    started_at: datetime | None = None
    monitoring_at: datetime | None = None
    resolved_at: datetime | None = None
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    auto_transition: bool = True
    # Each auto-transition fires once, when the clock passes its time; a status the admin sets
    # afterwards stands until the next one is due.
    start_fired: bool = False
    end_fired: bool = False

    @property
    def is_maintenance(self) -> bool:
        return self.scheduled_for is not None


@dataclass
class Page:
    key: str
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: datetime
    components: dict[str, Component] = field(default_factory=dict)  # page order
    maintenances: dict[str, Event] = field(default_factory=dict)
    incidents: dict[str, Event] = field(default_factory=dict)
    counter: int = 0

    def new_id(self, kind: str) -> str:
        self.counter += 1
        return page_object_id(self.id, kind, self.counter)

    def shortlink(self, ident: str) -> str:
        return f"https://stspg.io/{ident[:5]}"

    def find_component(self, name_or_id: str) -> Component | None:
        found = self.components.get(name_or_id)
        if found is not None:
            return found
        return next((c for c in self.components.values() if c.name == name_or_id), None)

    # -- changes -----------------------------------------------------------------------------

    def add_component(
        self, name: str, now: datetime, *, group: bool = False, group_id: str | None = None
    ) -> Component:
        component = Component(
            id=self.new_id("component"),
            name=name,
            status="operational",
            position=len(self.components) + 1,
            group_id=group_id,
            group=group,
            created_at=now,
            updated_at=now,
        )
        self.components[component.id] = component
        if group_id is not None:
            self.components[group_id].children.append(component.id)
        return component

    def set_component_status(self, component: Component, status: str, now: datetime) -> None:
        if component.group:
            for child in component.children:  # a group's status is its members'
                self.set_component_status(self.components[child], status, now)
        if component.status != status:
            component.status = status
            component.updated_at = self.updated_at = now

    def record(self, event: Event, status: str, at: datetime, body: str | None = None) -> None:
        """Move `event` to `status` at `at`, with an update as the page would post it."""
        event.status = status
        event.updated_at = self.updated_at = max(event.updated_at, at)
        if status in ("in_progress", "identified", "investigating") and event.started_at is None:
            event.started_at = at
        if status == "monitoring":
            event.monitoring_at = at
        if status in ("completed", "resolved", "postmortem"):
            event.resolved_at = event.resolved_at or at
        else:
            event.resolved_at = None
        update_id = self.new_id("update")
        event.updates.append(Update(update_id, status, body or UPDATE_BODIES[status], at))

    def advance(self, now: datetime) -> None:
        """Apply the auto-transitions that are due by `now`."""
        for event in self.maintenances.values():
            if not event.auto_transition:
                continue
            assert event.scheduled_for is not None and event.scheduled_until is not None
            if not event.start_fired and now >= event.scheduled_for:
                event.start_fired = True
                if event.status == "scheduled":
                    self.record(event, "in_progress", max(event.scheduled_for, event.created_at))
            if not event.end_fired and now >= event.scheduled_until:
                event.end_fired = True
                if event.status == "in_progress":
                    self.record(event, "completed", max(event.scheduled_until, event.created_at))


def default_page(key: str, now: datetime) -> Page:
    page_id, name, url, time_zone, layout = PAGES[key]
    page = Page(key=key, id=page_id, name=name, url=url, time_zone=time_zone, updated_at=now)
    for group_name, members in layout:
        group_id = None
        if group_name is not None:
            group_id = page.add_component(group_name, now, group=True).id
        for member in members:
            page.add_component(member, now, group_id=group_id)
    return page


@dataclass
class StatuspageStore:
    pages: dict[str, Page]

    @classmethod
    def default(cls, now: datetime) -> StatuspageStore:
        return cls({key: default_page(key, now) for key in PAGES})

    def page(self, key: str, now: datetime) -> Page | None:
        """The page called `key`, brought up to date with `now`."""
        page = self.pages.get(key)
        if page is not None:
            page.advance(now)
        return page
