"""Reads of the trust layer, and the verification service other contexts call.

For other contexts:

- :func:`verify_signed` — verify a signature over bytes with a certificate (chain, validity, revocation,
  subject, binding, expected entity) → :class:`SignatureCheck` with a reason code on failure;
- :func:`verify_document` — the same for a detached document signature (by SM3/SHA-256 digest);
- :func:`api_signing_input` / :func:`document_signing_input` — what a client signs;
- :func:`session_confirmation` — is this browser session certificate-confirmed (扫码确认), and by which
  certificate (re-validated now);
- :func:`list_valid_certificates_of_entity` — an entity's bound certificates that validate now;
- :func:`list_trusted_cas` — the trust list (CA互认名单), public.

Signed API requests (replay window and nonces) are checked by
:func:`yiwang.identity.ca.actions.accept_signed_api_request`, and legally relevant signatures are recorded by
:func:`yiwang.identity.ca.actions.do_record_signature`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest

from yiwang.identity.ca import trust
from yiwang.identity.ca.domain import signing
from yiwang.identity.ca.domain.errors import CaNotFound, CaRefused
from yiwang.identity.ca.domain.mapping import PRESETS
from yiwang.identity.ca.domain.signing import SignatureCheck, api_signing_input, document_signing_input
from yiwang.identity.ca.domain.x509 import Certificate, parse_certificate
from yiwang.identity.ca.models import (
    BindingStatus,
    CaStatus,
    CaStatusChange,
    CertificateAuthority,
    CertificateBinding,
    RevocationList,
    SignatureRecord,
    SigningChallenge,
    SubjectKind,
)
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.crypto import hash_by_name, verify_signature
from yiwang.kernel.crypto.errors import CryptoError
from yiwang.kernel.errors import InvalidInput, PermissionDenied
from yiwang.platform.clock import now
from yiwang.registry import queries as registry

__all__ = [
    "PRESETS",
    "SESSION_KEY",
    "BindingView",
    "CaView",
    "CertificateConfirmation",
    "SignatureCheck",
    "api_signing_input",
    "document_signing_input",
    "get_binding_for",
    "get_ca",
    "get_challenge_for",
    "list_bindings_for",
    "list_crls",
    "list_signatures_of",
    "list_status_changes",
    "list_trusted_cas",
    "list_valid_certificates_of_entity",
    "session_confirmation",
    "verify_document",
    "verify_signed",
]

SESSION_KEY = "yiwang.ca.confirmed"
READER_ROLES = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)


# -- the trust list ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaView:
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
    crl_this_update: datetime | None = None
    crl_next_update: datetime | None = None
    crl_number: str = ""
    crl_stale: bool = False
    certificate_pem: str = ""
    effective_status: str = ""  # the CA's own status, or a worse one inherited from a CA above it
    effective_status_label: str = ""
    inherited_from: int | None = None  # the CA above whose status this CA inherits


def _pem(der: bytes) -> str:
    body = base64.b64encode(bytes(der)).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


_SEVERITY = {CaStatus.ACTIVE: 0, CaStatus.SUSPENDED: 1, CaStatus.REMOVED: 2}


def _effective(row: CertificateAuthority, by_id: dict[int, CertificateAuthority]) -> tuple[str, int | None]:
    """A CA is no more trusted than the CAs above it: the worst status on its way up, and whose it is."""
    status, source, seen = row.status, None, {row.pk}
    parent = by_id.get(row.parent_id) if row.parent_id else None
    while parent is not None and parent.pk not in seen:
        seen.add(parent.pk)
        if _SEVERITY[CaStatus(parent.status)] > _SEVERITY[CaStatus(status)]:
            status, source = parent.status, parent.pk
        parent = by_id.get(parent.parent_id) if parent.parent_id else None
    return status, source


def _ca_view(
    row: CertificateAuthority,
    latest: RevocationList | None,
    moment: datetime,
    by_id: dict[int, CertificateAuthority] | None = None,
) -> CaView:
    effective, source = _effective(row, by_id or {})
    return CaView(
        id=row.pk,
        name=row.name,
        kind=row.kind,
        kind_label=row.get_kind_display(),
        algorithm=row.algorithm,
        algorithm_label=row.get_algorithm_display(),
        status=row.status,
        status_label=row.get_status_display(),
        subject=row.subject,
        issuer=row.issuer,
        serial=row.serial,
        fingerprint_sha256=row.fingerprint_sha256,
        fingerprint_sm3=row.fingerprint_sm3,
        not_before=row.not_before,
        not_after=row.not_after,
        parent_id=row.parent_id,
        mapping=row.mapping,
        crl_policy=row.crl_policy,
        note=row.note,
        registered_at=row.registered_at,
        version=row.version,
        crl_this_update=latest.this_update if latest else None,
        crl_next_update=latest.next_update if latest else None,
        crl_number=latest.crl_number if latest else "",
        crl_stale=bool(latest and latest.next_update and latest.next_update < moment),
        certificate_pem=_pem(row.certificate_der),
        effective_status=effective,
        effective_status_label=CaStatus(effective).label,
        inherited_from=source,
    )


def _latest_crls(ca_ids: list[int]) -> dict[int, RevocationList]:
    latest: dict[int, RevocationList] = {}
    rows = RevocationList.objects.filter(ca_id__in=ca_ids).defer("der").order_by("ca_id", "-this_update", "-pk")
    for row in rows:
        latest.setdefault(row.ca_id, row)
    return latest


def list_trusted_cas(*, include_removed: bool = False) -> list[CaView]:
    """The trust list (CA互认名单), public: roots first, then intermediates; removed CAs only on request."""
    every = list(CertificateAuthority.objects.order_by("pk"))
    by_id = {r.pk: r for r in every}
    rows = every if include_removed else [r for r in every if r.status != CaStatus.REMOVED]
    latest = _latest_crls([r.pk for r in rows])
    moment = now()
    rows.sort(key=lambda r: (r.kind != "root", r.name, r.pk))
    return [_ca_view(r, latest.get(r.pk), moment, by_id) for r in rows]


def get_ca(ca_id: int) -> CaView:
    by_id = {r.pk: r for r in CertificateAuthority.objects.defer("certificate_der")}
    row = CertificateAuthority.objects.filter(pk=ca_id).first()
    if row is None:
        raise CaNotFound("ca.ca_not_found", ca_id=ca_id)
    return _ca_view(row, _latest_crls([row.pk]).get(row.pk), now(), by_id)


@dataclass(frozen=True)
class CrlView:
    id: int
    ca_id: int
    this_update: datetime
    next_update: datetime | None
    crl_number: str
    revoked_count: int
    sha256: str
    imported_at: datetime
    imported_by: str


def list_crls(ca_id: int, *, limit: int = 20) -> list[CrlView]:
    rows = RevocationList.objects.filter(ca_id=ca_id).defer("der").order_by("-this_update", "-pk")[:limit]
    return [
        CrlView(
            r.pk,
            r.ca_id,
            r.this_update,
            r.next_update,
            r.crl_number,
            r.revoked_count,
            r.sha256,
            r.imported_at,
            r.imported_by,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class StatusChangeView:
    old_status: str
    new_status: str
    new_status_label: str
    reason: str
    actor_label: str
    changed_at: datetime


def list_status_changes(ca_id: int) -> list[StatusChangeView]:
    return [
        StatusChangeView(c.old_status, c.new_status, c.get_new_status_display(), c.reason, c.actor_label, c.changed_at)
        for c in CaStatusChange.objects.filter(ca_id=ca_id).order_by("changed_at", "pk")
    ]


# -- verification -----------------------------------------------------------------------------------------------


def _certificate(certificate: bytes | str | Certificate) -> Certificate:
    return certificate if isinstance(certificate, Certificate) else parse_certificate(certificate)


def _default_algorithm(cert: Certificate) -> str:
    return {"sm2": "sm2-sm3", "ecdsa": "ecdsa-p256-sha256", "rsa": "rsa-pss-sha256"}[cert.key_family]


def _active_binding(fingerprint: str) -> CertificateBinding | None:
    return CertificateBinding.objects.filter(fingerprint_sha256=fingerprint, status=BindingStatus.ACTIVE).first()


def decode_signature(value: str) -> bytes:
    """A signature sent as base64 (standard or URL-safe) or hex → bytes; ``ca.malformed`` otherwise."""
    text = (value or "").strip()
    if not text or len(text) > 4096:
        raise CaRefused("ca.malformed", reason="empty or too long signature")
    try:
        if all(c in "0123456789abcdefABCDEF" for c in text) and len(text) % 2 == 0:
            return bytes.fromhex(text)
        padded = text + "=" * (-len(text) % 4)
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (ValueError, binascii.Error):
        raise CaRefused("ca.malformed", reason="signature is neither base64 nor hex") from None


def verify_signed(
    payload_bytes: bytes,
    signature: bytes,
    certificate: bytes | str | Certificate,
    *,
    expected_entity_id: int | None = None,
    expected_uscc: str | None = None,
    at: datetime | None = None,
    require_binding: bool = True,
    algorithm: str | None = None,
    _digest: tuple[str, bytes] | None = None,
) -> SignatureCheck:
    """Verify ``signature`` over ``payload_bytes`` made with ``certificate``'s key, at ``at`` (default: now).

    Checks, in order, each with its reason: the certificate parses (``ca.malformed``); its chain reaches an
    active root of the trust list, every link valid and unrevoked at ``at`` (``ca.unknown_issuer``,
    ``ca.untrusted``, ``ca.ca_suspended``, ``ca.expired``, ``ca.not_yet_valid``, ``ca.revoked``,
    ``ca.bad_chain_signature``, ``ca.crl_*``); its subject maps to a USCC or resident ID
    (``ca.subject_unmapped``); the signature verifies (``ca.signature_invalid``); the certificate's entity is
    ``expected_entity_id`` when given, and its USCC is ``expected_uscc`` when given — for organisations that are
    not registry entities, such as sub-platform operators (``ca.wrong_entity``); and, with ``require_binding``, the
    certificate is
    bound on this platform (``ca.not_bound``). ``algorithm`` defaults to the key's (SM2 → ``sm2-sm3``,
    P-256 → ``ecdsa-p256-sha256``, RSA → ``rsa-pss-sha256``; ``rsa-pkcs1v15-sha256`` on request).

    Never raises for a bad signature or certificate; call :meth:`SignatureCheck.raise_for_failure` to refuse.
    """
    moment = at or now()
    try:
        cert = _certificate(certificate)
    except CaRefused as exc:
        return SignatureCheck(False, exc.code, exc.details)
    sig_algorithm = algorithm or _default_algorithm(cert)
    if _digest is None:
        digest_algorithm = signing.digest_algorithm_for(cert.key_family)
        digest = hash_by_name(digest_algorithm, payload_bytes)
    else:
        digest_algorithm, digest = _digest
    known: dict[str, Any] = {
        "fingerprint": cert.fingerprint_sha256,
        "serial": cert.serial_hex,
        "issuer": cert.issuer_text,
        "subject_name": cert.display_name,
        "algorithm": sig_algorithm,
        "digest_algorithm": digest_algorithm,
        "digest": digest.hex(),
    }
    validation = trust.validate_certificate(cert, at=moment)
    issuer = validation.issuer
    known["ca_id"] = issuer.id if issuer else None
    known["warnings"] = validation.warnings
    if not validation.ok:
        return SignatureCheck(False, validation.reason, validation.details, **known)
    subject = validation.subject
    assert subject is not None
    if subject.kind == SubjectKind.ENTITY:
        known["uscc"] = subject.identifier
    else:
        known["person"] = subject.masked
    try:
        verify_signature(cert.public_key, sig_algorithm, payload_bytes, bytes(signature))
    except CryptoError as exc:
        return SignatureCheck(False, "ca.signature_invalid", {"algorithm": sig_algorithm, **exc.details}, **known)
    binding = _active_binding(cert.fingerprint_sha256)
    entity_id = None
    if subject.kind == SubjectKind.ENTITY:
        ref = registry.find_entity_by_uscc(subject.identifier)
        entity_id = ref.id if ref else None
    if binding is not None:
        known["binding_id"] = binding.pk
        known["account_id"] = binding.account_id
        if binding.entity_id is not None:
            entity_id = binding.entity_id
    known["entity_id"] = entity_id
    if expected_entity_id is not None and entity_id != expected_entity_id:
        return SignatureCheck(
            False, "ca.wrong_entity", {"expected_entity_id": expected_entity_id, "entity_id": entity_id}, **known
        )
    if expected_uscc is not None and known.get("uscc") != expected_uscc.strip().upper():
        return SignatureCheck(
            False, "ca.wrong_entity", {"expected_uscc": expected_uscc, "uscc": known.get("uscc")}, **known
        )
    if require_binding and binding is None:
        return SignatureCheck(False, "ca.not_bound", {"fingerprint": cert.fingerprint_sha256}, **known)
    return SignatureCheck(True, None, {}, **known)


def verify_document(
    signature: bytes,
    certificate: bytes | str | Certificate,
    *,
    data: bytes | None = None,
    digest: bytes | None = None,
    digest_algorithm: str | None = None,
    expected_entity_id: int | None = None,
    expected_uscc: str | None = None,
    at: datetime | None = None,
    require_binding: bool = True,
) -> SignatureCheck:
    """Verify a detached signature over a document given as ``data`` or as its ``digest`` (SM3 for SM2
    certificates, SHA-256 otherwise). The signed message is :func:`document_signing_input`."""
    try:
        cert = _certificate(certificate)
    except CaRefused as exc:
        return SignatureCheck(False, exc.code, exc.details)
    expected_algorithm = signing.digest_algorithm_for(cert.key_family)
    if digest is None:
        if data is None:
            raise InvalidInput("ca.document_missing", "须提供文件内容或其摘要", "Give the document or its digest")
        digest = hash_by_name(expected_algorithm, data)
    if (digest_algorithm or expected_algorithm) != expected_algorithm:
        return SignatureCheck(
            False, "ca.algorithm_unsupported", {"digest_algorithm": digest_algorithm, "expected": expected_algorithm}
        )
    try:
        message = document_signing_input(expected_algorithm, digest)
    except CaRefused as exc:
        return SignatureCheck(False, exc.code, exc.details)
    return verify_signed(
        message,
        signature,
        cert,
        expected_entity_id=expected_entity_id,
        expected_uscc=expected_uscc,
        at=at,
        require_binding=require_binding,
        _digest=(expected_algorithm, digest),
    )


# -- bindings ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BindingView:
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
    bound_by: str
    unbound_at: datetime | None
    valid_now: bool | None = None
    reason_now: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _binding_view(row: CertificateBinding, *, check_at: datetime | None = None) -> BindingView:
    valid = reason = None
    if check_at is not None and row.status == BindingStatus.ACTIVE:
        validation = trust.validate_certificate(
            trust.parsed(row.certificate_der, row.fingerprint_sha256), at=check_at, map_to_subject=False
        )
        valid, reason = validation.ok, validation.reason
    return BindingView(
        id=row.pk,
        subject_kind=row.subject_kind,
        subject_kind_label=row.get_subject_kind_display(),
        subject_name=row.subject_name,
        subject=row.subject,
        entity_id=row.entity_id,
        uscc=row.uscc,
        account_id=row.account_id,
        person_id_masked=row.person_id_masked,
        serial=row.serial,
        issuer=row.issuer,
        ca_id=row.ca_id,
        algorithm=row.algorithm,
        fingerprint_sha256=row.fingerprint_sha256,
        not_before=row.not_before,
        not_after=row.not_after,
        status=row.status,
        status_label=row.get_status_display(),
        bound_at=row.bound_at,
        bound_by=row.bound_by,
        unbound_at=row.unbound_at,
        valid_now=valid,
        reason_now=reason,
    )


def may_see_binding(actor: Actor, row: CertificateBinding) -> bool:
    if actor.is_system or actor.has_role(*READER_ROLES):
        return True
    if row.entity_id is not None and actor.acts_for(row.entity_id):
        return True
    return actor.kind is ActorKind.ACCOUNT and row.account_id is not None and str(row.account_id) == actor.id


def list_bindings_for(
    actor: Actor, *, entity_id: int | None = None, include_unbound: bool = False, check: bool = True
) -> list[BindingView]:
    """Bindings the actor may see: of ``entity_id`` (its members, staff, regulators, auditors), or, without
    ``entity_id``, the actor's own: personal certificates and those of the entities it acts for."""
    rows = CertificateBinding.objects.order_by("-bound_at", "-pk")
    if not include_unbound:
        rows = rows.filter(status=BindingStatus.ACTIVE)
    if entity_id is not None:
        if not (actor.is_system or actor.has_role(*READER_ROLES) or actor.acts_for(entity_id)):
            raise PermissionDenied(
                "ca.forbidden", "无权查看该主体的证书", "Not allowed to see this entity's certificates"
            )
        rows = rows.filter(entity_id=entity_id)
    else:
        if actor.kind is not ActorKind.ACCOUNT:
            return []
        rows = rows.filter(account_id=int(actor.id)) | rows.filter(entity_id__in=list(actor.entity_ids()))
    moment = now() if check else None
    return [_binding_view(r, check_at=moment) for r in rows[:200]]


def get_binding_for(actor: Actor, binding_id: int) -> BindingView:
    row = CertificateBinding.objects.filter(pk=binding_id).first()
    if row is None or not may_see_binding(actor, row):
        raise CaNotFound("ca.binding_not_found", binding_id=binding_id)
    return _binding_view(row, check_at=now())


def list_valid_certificates_of_entity(entity_id: int, *, at: datetime | None = None) -> list[BindingView]:
    """The entity's bound certificates that validate at ``at`` (default: now) — chain, validity, revocation."""
    moment = at or now()
    rows = CertificateBinding.objects.filter(entity_id=entity_id, status=BindingStatus.ACTIVE).order_by("pk")
    views = [_binding_view(r, check_at=moment) for r in rows]
    return [v for v in views if v.valid_now]


# -- challenges and the confirmed session ---------------------------------------------------------------------------


def get_challenge_for(actor: Actor, challenge_id: str) -> SigningChallenge:
    """The challenge, for the account that started it (404 for everyone else)."""
    row = SigningChallenge.objects.filter(pk=str(challenge_id)).first()
    if row is None or actor.kind is not ActorKind.ACCOUNT or str(row.account_id) != actor.id:
        raise CaNotFound("ca.challenge_not_found", challenge_id=str(challenge_id)[:40])
    return row


def challenge_expired(row: SigningChallenge, moment: datetime | None = None) -> bool:
    return (moment or now()) > row.expires_at


@dataclass(frozen=True)
class CertificateConfirmation:
    """A browser session confirmed with a certificate (扫码确认): which certificate, and when."""

    fingerprint: str
    serial: str
    issuer: str
    algorithm: str
    binding_id: int
    entity_id: int | None
    account_id: int
    confirmed_at: datetime
    challenge_id: str


def session_confirmation(
    request: HttpRequest, *, max_age: timedelta | None = None, entity_id: int | None = None
) -> CertificateConfirmation | None:
    """The certificate confirmation of this browser session, if it is still good *now*: same signed-in
    account, not older than ``max_age``, the binding still active, and the certificate still valid (chain,
    validity, revocation). With ``entity_id``, the certificate must be that entity's (or a personal
    certificate of an account acting for it). ``None`` otherwise: pages then ask for a new confirmation."""
    data = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    user = getattr(request, "user", None)
    if not isinstance(data, dict) or user is None or not user.is_authenticated:
        return None
    try:
        confirmation = CertificateConfirmation(
            fingerprint=str(data["fingerprint"]),
            serial=str(data["serial"]),
            issuer=str(data["issuer"]),
            algorithm=str(data["algorithm"]),
            binding_id=int(data["binding_id"]),
            entity_id=int(data["entity_id"]) if data.get("entity_id") is not None else None,
            account_id=int(data["account_id"]),
            confirmed_at=datetime.fromisoformat(str(data["confirmed_at"])),
            challenge_id=str(data["challenge_id"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    moment = now()
    if confirmation.account_id != user.pk:
        return None
    if max_age is not None and moment - confirmation.confirmed_at > max_age:
        return None
    if entity_id is not None and confirmation.entity_id not in (entity_id, None):
        return None
    binding = CertificateBinding.objects.filter(pk=confirmation.binding_id, status=BindingStatus.ACTIVE).first()
    if binding is None or binding.fingerprint_sha256 != confirmation.fingerprint:
        return None
    if entity_id is not None and binding.entity_id is None:
        actor = getattr(request, "actor", None)
        if actor is None or not actor.acts_for(entity_id):
            return None
    validation = trust.validate_certificate(
        trust.parsed(binding.certificate_der, binding.fingerprint_sha256), at=moment, map_to_subject=False
    )
    return confirmation if validation.ok else None


# -- signature records ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureRecordView:
    id: int
    purpose: str
    object_type: str
    object_id: str
    entity_id: int | None
    account_id: int | None
    fingerprint: str
    serial: str
    issuer: str
    algorithm: str
    digest_algorithm: str
    digest: str
    recorded_at: datetime


def list_signatures_of(object_type: str, object_id: str | int) -> list[SignatureRecordView]:
    """The recorded signatures over one object (``tender.bid``, ``42`` …), oldest first."""
    return [
        SignatureRecordView(
            r.pk,
            r.purpose,
            r.object_type,
            r.object_id,
            r.entity_id,
            r.account_id,
            r.fingerprint,
            r.serial,
            r.issuer,
            r.algorithm,
            r.digest_algorithm,
            r.digest,
            r.recorded_at,
        )
        for r in SignatureRecord.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("pk")
    ]
