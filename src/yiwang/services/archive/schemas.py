"""API schemas of the archive. Times are ISO 8601 (UTC); digests lower-case hex."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from yiwang.platform.api.types import checked_str
from yiwang.services.archive.domain.refs import parse_project_ref


def _ref(value: str) -> str:
    return str(parse_project_ref(value))


ProjectRefStr = checked_str(_ref)


class StatsOut(Schema):
    archives: int = Field(description="projects archived at least once")
    versions: int
    disposed_versions: int
    archives_on_hold: int


class VersionOut(Schema):
    number: int
    created_at: datetime
    created_by: str
    category: str
    reason: str
    package_size: int
    package_sha256: str
    package_sm3: str
    manifest_sha256: str
    head_size: int = Field(description="the signed tree head the witness entries are proved against")
    item_count: int
    entry_count: int
    retention_years: int
    retention_until: datetime = Field(description="disposal is possible from this instant on (exclusive end)")
    status: str = Field(description="kept | eligible | disposed")
    status_label: str
    eligible_since: datetime | None
    disposed_at: datetime | None
    disposed_by: str
    disposal_reason: str
    disposable_now: bool


class HoldOut(Schema):
    id: int
    reason: str
    placed_at: datetime
    placed_by: str
    released_at: datetime | None
    released_by: str
    release_reason: str
    active: bool


class ArchiveOut(Schema):
    id: int
    project_ref: str
    title: str
    region: str
    current_version: int
    created_at: datetime
    updated_at: datetime
    active_holds: int
    on_hold: bool
    disposable_versions: list[int]
    versions: list[VersionOut]
    holds: list[HoldOut]


class ArchiveListOut(Schema):
    total: int
    limit: int
    offset: int
    items: list[ArchiveOut]


class ArchiveIn(Schema):
    project_ref: ProjectRefStr = Field(description="<object type>:<object id>, e.g. tender.project:12")  # type: ignore[valid-type]
    reason: str = Field(description="why the archive is made now (project ended, on request …)")
    category: str = Field("", description="trading category (works, gp …): chooses the retention rules")
    title: str = ""
    region: str = Field("", description="GB/T 2260 code limiting which staff see the archive")


class HoldIn(Schema):
    project_ref: ProjectRefStr  # type: ignore[valid-type]
    reason: str
    region: str = ""


class ReasonIn(Schema):
    reason: str


class DisposeIn(Schema):
    reason: str
    version: int | None = Field(None, description="one version; default: every version past retention")


class ManifestOut(Schema):
    manifest_sha256: str
    manifest: dict[str, Any]
    signature: dict[str, Any]


class LinkOut(Schema):
    url: str
    expires_at: datetime
