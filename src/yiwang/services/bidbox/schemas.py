"""API schemas of the bid box. Times are ISO 8601 (UTC); binary values are base64 or hex as stated."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, ErrorOut

UPLOAD_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 413: ErrorOut, 415: ErrorOut, 503: ErrorOut}
ACT_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 503: ErrorOut}
READ_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}


class CeremonyIn(Schema):
    threshold: int = Field(ge=2, le=255, description="k: shares needed to recover the opening key")
    custodians: list[str] = Field(min_length=2, max_length=255, description="one name per share (n = length)")
    label: str = Field("", max_length=200)
    algorithm: str = Field("sm2", pattern="^(sm2|ec-p256)$")


class CustodianShareOut(Schema):
    index: int
    name: str
    share: str = Field(description="YWSS1-… — shown once, never stored: hand it to the custodian now")


class OpeningKeyOut(Schema):
    id: int
    key_id: str
    algorithm: str
    threshold: int
    total: int
    custodians: list[dict[str, Any]]
    label: str
    public_key_pem: str
    created_at: datetime


class CeremonyOut(Schema):
    key: OpeningKeyOut
    shares: list[CustodianShareOut]


class BoxIn(Schema):
    owner_context: str = Field(max_length=60, description="the owning context, dotted (tender.section)")
    owner_ref: str = Field(max_length=120, description="that context's reference of the owner object")
    title: str = Field(max_length=200)
    deadline: datetime = Field(description="投标截止时间 (aware)")
    opening_key: str = Field(description="the opening key's id or key id (from a ceremony)")
    min_bidders_rule: str = Field(description="rules-catalogue id of the minimum, e.g. tender.min_bidders")
    opening_rule: str = Field("tender.opening_at_deadline", description="rule giving the opening time")
    max_bytes: int | None = Field(None, ge=1024)
    decryption_window_minutes: int | None = Field(None, ge=1, le=10080)
    project_code: str | None = Field(None, max_length=128)
    section_code: str | None = Field(None, max_length=128)
    region: str = Field("", max_length=6)
    require_confirmed_session: bool = False
    fallback_policy: str = Field("attributed", pattern="^(attributed|all_pending)$")
    readout_fields: list[str] = Field([], max_length=32)
    auto_start: bool = True


class PostponementOut(Schema):
    old_deadline: datetime
    new_deadline: datetime
    reason: str
    at: datetime


class BoxOut(Schema):
    id: int
    title: str
    owner_context: str
    owner_ref: str
    project_code: str
    section_code: str
    region: str
    deadline: datetime
    opening_at: datetime
    status: str
    status_label: str
    outcome: str
    min_bidders: int
    min_bidders_source: str
    max_bytes: int
    decryption_window_seconds: int
    opening_key_id: str
    opening_key_pem: str
    require_confirmed_session: bool
    fallback_policy: str
    readout_fields: list[str]
    opening_started_at: datetime | None
    decryption_ends_at: datetime | None
    closed_at: datetime | None
    version: int
    postponements: list[PostponementOut]
    submission_count: int | None = Field(
        None, description="current envelopes: staff at any time, everybody once the opening has started"
    )


class PostponeIn(Schema):
    new_deadline: datetime
    reason: str = Field(min_length=1, max_length=500)


class ReceiptOut(Schema):
    submission_id: UUID
    box_id: int
    box_title: str
    receipt_id: str
    received_at: datetime
    envelope_sm3: str
    envelope_sha256: str
    size: int
    plaintext_sm3: str
    plaintext_sha256: str
    file_name: str
    receipt_key_id: str
    receipt: str = Field(description="base64 of the RCPT and RSIG sections: append them to the envelope")
    status: str
    status_label: str
    opening_status: str
    opening_status_label: str
    superseded_by: str
    claim: bool


class ContentKeyIn(Schema):
    content_key: str = Field(description="hex of the content key from `yiwang bidbox unwrap` (32 or 64 digits)")


class DecryptOut(Schema):
    submission_id: UUID
    receipt_id: str
    opening_status: str
    opening_status_label: str
    fault: str
    claim: bool
    code: str | None = Field(None, description="the failure's code when the envelope's fate was decided")


class FallbackIn(Schema):
    reason: str = Field(description="platform_outage | ca_failure | network_failure | other_external")
    note: str = Field("", max_length=500)


class ShareIn(Schema):
    share: str = Field(min_length=8, max_length=2000, description="the custodian's share text YWSS1-…")


class ShareOut(Schema):
    entered: int
    threshold: int
    opened: list[str]
    failed: list[dict[str, str]]
    error: dict[str, Any] | None = Field(None, description="set when the shares did not combine (discarded)")


class HallEntryOut(Schema):
    number: int
    opening_status: str
    opening_status_label: str
    decrypted_at: datetime | None
    mine: bool
    submission_id: UUID | None
    fallback_allowed: bool


class HallOut(Schema):
    box_id: int
    status: str
    decryption_ends_at: datetime | None
    pending_shares: int
    threshold: int
    counts: dict[str, int]
    entries: list[HallEntryOut]


class CountOut(Schema):
    box_id: int
    submissions: int


class RecordOut(Schema):
    record: dict[str, Any]
