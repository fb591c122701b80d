"""What the Google Play clients send and return.

Track, Release, LocalizedText and CountryTargeting mirror the androidpublisher v3 discovery
schemas (Track, TrackRelease, ...): fields are snake_case in Python and camelCase on the wire
(`to_wire()`); version codes are int64, so strings on the wire.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from clients._models import Frozen

__all__ = [
    "AppEdit",
    "Bundle",
    "ChangesInReviewBehavior",
    "CountryTargeting",
    "LocalizedText",
    "Release",
    "ReleaseStatus",
    "Track",
    "TrackReleaseState",
    "VitalsSample",
]

ReleaseStatus = Literal["statusUnspecified", "draft", "inProgress", "halted", "completed"]
ChangesInReviewBehavior = Literal[
    "CHANGES_IN_REVIEW_BEHAVIOR_TYPE_UNSPECIFIED",
    "CANCEL_IN_REVIEW_AND_SUBMIT",
    "ERROR_IF_IN_REVIEW",
]

_STAGED = ("inProgress", "halted")  # the only statuses a userFraction may go with


class _Wire(Frozen):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object the API takes: camelCase names, unset (None) fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class LocalizedText(_Wire):
    language: str  # BCP-47, e.g. "en-US"
    text: str


class CountryTargeting(_Wire):
    countries: tuple[str, ...] = ()
    include_rest_of_world: bool | None = Field(default=None, alias="includeRestOfWorld")


class Release(_Wire):
    """A TrackRelease. `user_fraction` (0 < f < 1) only with status inProgress or halted."""

    name: str | None = None
    version_codes: tuple[str, ...] = Field(alias="versionCodes")
    status: ReleaseStatus
    user_fraction: float | None = Field(default=None, alias="userFraction")
    release_notes: tuple[LocalizedText, ...] = Field(default=(), alias="releaseNotes")
    country_targeting: CountryTargeting | None = Field(default=None, alias="countryTargeting")
    in_app_update_priority: int | None = Field(
        default=None, alias="inAppUpdatePriority", ge=0, le=5
    )

    @field_validator("version_codes", mode="before")
    @classmethod
    def _codes_as_strings(cls, value: Any) -> Any:
        if isinstance(value, str | int):
            value = (value,)
        if isinstance(value, list | tuple):
            return tuple(
                str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value
            )
        return value

    @field_validator("version_codes")
    @classmethod
    def _codes_are_int64(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not code.isdigit() or int(code) >= 2**63:
                raise ValueError(f"version code {code!r} is not a positive int64")
        return value

    @model_validator(mode="after")
    def _fraction_fits_status(self) -> Release:
        if self.user_fraction is not None:
            if not 0 < self.user_fraction < 1:
                raise ValueError("user_fraction must be strictly between 0 and 1")
            if self.status not in _STAGED:
                raise ValueError("user_fraction goes only with status inProgress or halted")
        return self

    @property
    def codes(self) -> frozenset[int]:
        return frozenset(int(code) for code in self.version_codes)

    def to_wire(self) -> dict[str, Any]:
        wire = super().to_wire()
        if not self.release_notes:
            wire.pop("releaseNotes", None)  # absent, as in Google's own examples
        return wire


class Track(_Wire):
    """In a read: every active release of the track. In an update: the releases wanted."""

    track: str
    releases: tuple[Release, ...] = ()

    def release_with(self, version_codes: tuple[str, ...] | frozenset[int]) -> Release | None:
        """The release carrying exactly these version codes, if the track has one."""
        wanted = frozenset(int(code) for code in version_codes)
        return next((r for r in self.releases if r.codes == wanted), None)

    def to_wire(self) -> dict[str, Any]:
        return {"track": self.track, "releases": [r.to_wire() for r in self.releases]}


class AppEdit(Frozen):
    id: str
    expiry_time_seconds: int | None  # seconds since the epoch; None when not reported


class Bundle(Frozen):
    version_code: int
    sha1: str | None
    sha256: str | None


class TrackReleaseState(Frozen):
    """One release of `GET applications/{pkg}/tracks/{track}/releases` (no edit needed).

    `lifecycle_state` is the API's value as is: RELEASE_LIFECYCLE_STATE_DRAFT, _NOT_SENT_FOR_REVIEW,
    _IN_REVIEW, _APPROVED_NOT_PUBLISHED, _NOT_APPROVED, _PUBLISHED (or _UNSPECIFIED).
    """

    release_name: str | None
    track: str
    version_codes: tuple[int, ...]
    lifecycle_state: str

    @property
    def state(self) -> str:
        """`lifecycle_state` without its RELEASE_LIFECYCLE_STATE_ prefix, e.g. "IN_REVIEW"."""
        return self.lifecycle_state.removeprefix("RELEASE_LIFECYCLE_STATE_")


class VitalsSample(Frozen):
    """Android vitals of one version code over a window, from the Play Developer Reporting API.

    Rates are the API's values (a fraction of distinct users), averaged over the window's
    periods weighted by each period's distinct users. `distinct_users` is the largest count of
    any one period: the API forbids adding them up (a user is counted in every period they were
    active). All None when the API had no rows: no data, which is not a pass.
    """

    crash_rate: float | None
    user_perceived_crash_rate: float | None
    anr_rate: float | None
    user_perceived_anr_rate: float | None
    distinct_users: int | None

    @property
    def has_data(self) -> bool:
        return any(
            value is not None
            for value in (
                self.crash_rate,
                self.user_perceived_crash_rate,
                self.anr_rate,
                self.user_perceived_anr_rate,
                self.distinct_users,
            )
        )
