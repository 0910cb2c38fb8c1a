"""Shapes of the files API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, ErrorOut

# Uploads may also be refused as too large (413), of a refused type (415), stale (412), or because the
# virus scanner is down (503).
READ_ERRORS: dict[int, Any] = {**ERRORS, 503: ErrorOut}
UPLOAD_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 412: ErrorOut, 413: ErrorOut, 415: ErrorOut, 503: ErrorOut}


class VersionOut(Schema):
    id: int
    number: int
    filename: str
    mime_type: str = Field(description="sniffed from the content (magic bytes), never the client's claim")
    size: int = Field(description="bytes")
    sha256: str = Field(description="SHA-256 of the content, hex; the blob's address")
    sm3: str = Field(description="SM3 (GB/T 32905) of the content, hex")
    uploaded_by: str
    uploaded_at: datetime
    note: str


class DocumentOut(Schema):
    id: UUID
    title: str
    kind: str
    owner_context: str
    owner_ref: str
    public: bool
    current_version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    versions: list[VersionOut]


class LinkIn(Schema):
    ttl_seconds: int | None = Field(None, ge=1, description="lifetime in seconds (default and maximum from settings)")
    purpose: Literal["download", "view"] = Field("download", description="download: attachment; view: inline")


class LinkOut(Schema):
    url: str = Field(description="path of the signed link, /files/<token>")
    expires_at: datetime
    version_id: int
