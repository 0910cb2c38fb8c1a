"""API schemas of the OCDS context (the OCDS documents themselves are returned as they are)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema


class DayOut(Schema):
    date: date
    releases: int
    processes: int
    latest: datetime
    url: str


class PublishOut(Schema):
    read: int
    added: int
    existing: int
    cursor: int


class ImportOut(Schema):
    id: int
    label: str
    format: str
    size: int
    sha256: str
    added: int
    duplicates: int
    conflicts: int
    imported_at: datetime
    summary: dict[str, Any]
