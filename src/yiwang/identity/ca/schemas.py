"""API shapes of the trust layer. Certificates and CRLs travel as PEM text or base64 DER; signatures as base64."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from yiwang.identity.ca.domain.errors import CaRefused


def pem_or_base64(text: str, label: str = "certificate") -> bytes:
    """PEM text as bytes, or base64 DER decoded; ``ca.malformed`` otherwise."""
    value = (text or "").strip()
    if "-----BEGIN" in value:
        return value.encode("utf-8")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (ValueError, binascii.Error):
        raise CaRefused("ca.malformed", reason=f"{label} must be PEM or base64 DER", field=label) from None


class CaIn(Schema):
    certificate: str = Field(..., min_length=1, max_length=200_000, description="PEM or base64 DER")
    name: str = Field("", max_length=200)
    mapping: dict[str, Any] | str | None = Field(
        None, description="subject mapping: {'rules': […]} or a preset name (demo, gmt0015, ou, cn)"
    )
    crl_policy: Literal["fail", "warn"] = "fail"
    note: str = Field("", max_length=500)


class CaStatusIn(Schema):
    status: Literal["active", "suspended", "removed"]
    reason: str = Field("", max_length=500)


class CaOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    algorithm: str
    algorithm_label: str
    status: str
    status_label: str
    subject: str
    issuer: str
    serial: str
    fingerprint_sha256: str
    fingerprint_sm3: str
    not_before: datetime
    not_after: datetime
    parent_id: int | None
    mapping: dict[str, Any]
    crl_policy: str
    note: str
    registered_at: datetime
    version: int
    crl_this_update: datetime | None
    crl_next_update: datetime | None
    crl_number: str
    crl_stale: bool
    certificate_pem: str
    effective_status: str = Field(description="the CA's status, or a worse one inherited from a CA above it")
    effective_status_label: str
    inherited_from: int | None


class CrlIn(Schema):
    crl: str = Field(..., min_length=1, max_length=40_000_000, description="PEM (X509 CRL) or base64 DER")
    ca_id: int | None = None


class CrlOut(Schema):
    id: int
    ca_id: int
    this_update: datetime
    next_update: datetime | None
    crl_number: str
    revoked_count: int
    sha256: str
    imported_at: datetime


class BindingIn(Schema):
    certificate: str = Field(..., min_length=1, max_length=200_000, description="PEM or base64 DER")
    entity_id: int | None = Field(None, description="the entity the certificate must name (organisation certificates)")
    account_id: int | None = Field(None, description="the account to bind a personal certificate to (staff only)")


class BindingOut(Schema):
    id: int
    subject_kind: str
    subject_kind_label: str
    subject_name: str
    subject: str
    entity_id: int | None
    uscc: str
    account_id: int | None
    person_id_masked: str
    serial: str
    issuer: str
    ca_id: int
    algorithm: str
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    status: str
    status_label: str
    bound_at: datetime
    unbound_at: datetime | None
    valid_now: bool | None
    reason_now: str | None


class VerifyIn(Schema):
    """Give the signed bytes (``payload_base64`` or ``payload_text``), or for a document signature its
    ``document_digest`` (hex, SM3 for SM2 certificates, SHA-256 otherwise) with ``kind = document``."""

    kind: Literal["bytes", "document"] = "bytes"
    payload_base64: str | None = Field(None, max_length=20_000_000)
    payload_text: str | None = Field(None, max_length=5_000_000)
    document_digest: str | None = Field(None, max_length=128)
    signature: str = Field(..., min_length=1, max_length=4096, description="base64 (DER for SM2/ECDSA)")
    certificate: str = Field(..., min_length=1, max_length=200_000)
    expected_entity_id: int | None = None
    require_binding: bool = True
    at: datetime | None = Field(None, description="verify as of this instant (default: now)")


class SignatureCheckOut(Schema):
    ok: bool
    reason: str | None
    message_zh: str
    message_en: str
    details: dict[str, Any]
    entity_id: int | None
    uscc: str | None
    person: str | None
    account_id: int | None
    subject_name: str
    fingerprint: str
    serial: str
    issuer: str
    ca_id: int | None
    binding_id: int | None
    algorithm: str
    digest_algorithm: str
    digest: str
    warnings: list[str]


class ChallengeIn(Schema):
    purpose: Literal["login_confirm", "sign_confirm"] = "login_confirm"
    text: str = Field("", max_length=200, description="what the person confirms (shown in the signing client)")


class ChallengeOut(Schema):
    id: str
    purpose: str
    status: str
    text: str = Field(description="the exact line to sign (also in the QR code)")
    respond: str
    issued_at: datetime
    expires_at: datetime
    expired: bool
    confirmed_at: datetime | None
    serial: str
    algorithm: str


class RespondIn(Schema):
    signature: str = Field(..., min_length=1, max_length=4096, description="base64 signature of the challenge line")
    certificate: str = Field(..., min_length=1, max_length=200_000)
