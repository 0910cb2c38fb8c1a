"""State changes of the trust layer. Each is one witnessed transaction; a refusal stores nothing.

- the trust list: :func:`do_register_ca`, :func:`do_change_ca_status`, :func:`do_import_crl` (staff);
- certificates: :func:`do_bind_certificate`, :func:`do_unbind_certificate`;
- signatures: :func:`do_record_signature` (a legally relevant signature: witness entry with serial, issuer,
  algorithm and signed digest) and :func:`accept_signed_api_request` (signed API payloads, replay window);
- the QR / mobile flow: :func:`do_start_challenge`, :func:`do_respond_challenge`.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from yiwang.identity.auth import actor_for_account
from yiwang.identity.ca import lock_objects, queries, trust
from yiwang.identity.ca.domain import challenge as challenge_format
from yiwang.identity.ca.domain.chain import validate_ca_certificate
from yiwang.identity.ca.domain.crl import check_crl_issued_by, parse_crl
from yiwang.identity.ca.domain.errors import CaConflict, CaNotFound, CaRefused
from yiwang.identity.ca.domain.mapping import parse_mapping
from yiwang.identity.ca.domain.signing import SignatureCheck, api_signing_input, parse_timestamp
from yiwang.identity.ca.domain.x509 import parse_certificate
from yiwang.identity.ca.models import (
    BindingStatus,
    CaKind,
    CaStatus,
    CaStatusChange,
    CertificateAuthority,
    CertificateBinding,
    ChallengeStatus,
    CrlPolicy,
    RevocationList,
    RevokedSerial,
    SeenNonce,
    SignatureRecord,
    SigningChallenge,
    SubjectKind,
)
from yiwang.identity.models import Account
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.crypto import sm3
from yiwang.kernel.errors import InvalidInput, PermissionDenied
from yiwang.kernel.ids import region_covers
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import ObjectLike, action, object_ref
from yiwang.platform.clock import now
from yiwang.platform.outbox.feed import Visibility
from yiwang.registry import queries as registry

CHALLENGE_SECONDS_DEFAULT = 180
CHALLENGE_SECONDS_MIN, CHALLENGE_SECONDS_MAX = 120, 300  # 2–5 minutes
SIGNATURE_WINDOW_DEFAULT = 300  # seconds either side of now for signed API requests
STATUS_TRANSITIONS = {
    CaStatus.ACTIVE: {CaStatus.SUSPENDED, CaStatus.REMOVED},
    CaStatus.SUSPENDED: {CaStatus.ACTIVE, CaStatus.REMOVED},
    CaStatus.REMOVED: set(),
}


# -- permissions ------------------------------------------------------------------------------------------------


def _forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied("ca.forbidden", f"无权{what_zh}", f"Not allowed to {what_en}")


def is_trust_admin(actor: Actor) -> bool:
    """Trading-centre staff administrators over the platform's region (and the platform itself)."""
    if actor.is_system:
        return True
    region = settings.YIWANG_PLATFORM_REGION
    return any(g.role is Role.STAFF and g.admin and g.region and region_covers(g.region, region) for g in actor.grants)


def _is_staff(actor: Actor, region: str | None = None) -> bool:
    if actor.is_system:
        return True
    if region is None:
        return actor.has_role(Role.STAFF)
    return actor.covers_region(region, Role.STAFF)


# -- the trust list -------------------------------------------------------------------------------------------------


def _ca_summary(ca: CertificateAuthority) -> dict[str, Any]:
    return {
        "name": ca.name,
        "kind": ca.kind,
        "algorithm": ca.algorithm,
        "subject": ca.subject,
        "issuer": ca.issuer,
        "serial": ca.serial,
        "fingerprint_sha256": ca.fingerprint_sha256,
        "fingerprint_sm3": ca.fingerprint_sm3,
        "not_before": iso_utc(ca.not_before),
        "not_after": iso_utc(ca.not_after),
        "status": ca.status,
    }


def _check_policy(crl_policy: str) -> str:
    if crl_policy not in CrlPolicy.values:
        raise InvalidInput(
            "ca.crl_policy", "吊销列表策略须为 fail 或 warn", "crl_policy must be fail or warn", {"field": "crl_policy"}
        )
    return crl_policy


def do_register_ca(
    *,
    actor: Actor,
    certificate: bytes | str,
    name: str = "",
    mapping: Any = None,
    crl_policy: str = CrlPolicy.FAIL,
    note: str = "",
) -> CertificateAuthority:
    """Put a CA certificate on the trust list (staff administrators). A self-signed certificate is a root; any
    other must chain to a registered, active root (through registered intermediates)."""
    if not is_trust_admin(actor):
        raise _forbidden("管理CA互认名单", "manage the CA trust list")
    cert = parse_certificate(certificate)
    parsed_mapping = parse_mapping(mapping)
    crl_policy = _check_policy(crl_policy)
    name = (name or cert.display_name).strip()[:200]
    note = (note or "").strip()[:500]
    with action(actor, "ca.register_ca") as act:
        if CertificateAuthority.objects.filter(fingerprint_sha256=cert.fingerprint_sha256).exists():
            raise CaConflict("ca.duplicate", fingerprint_sha256=cert.fingerprint_sha256)
        path = validate_ca_certificate(cert, trust.load_trust_list(), at=act.now)
        try:
            with transaction.atomic():
                ca = CertificateAuthority.objects.create(
                    name=name,
                    kind=CaKind.ROOT if not path else CaKind.INTERMEDIATE,
                    algorithm=cert.key_family,
                    certificate_der=cert.der,
                    fingerprint_sha256=cert.fingerprint_sha256,
                    fingerprint_sm3=cert.fingerprint_sm3,
                    subject=cert.subject_text[:1000],
                    subject_key=cert.subject_key,
                    issuer=cert.issuer_text[:1000],
                    serial=cert.serial_hex,
                    subject_key_id=(cert.subject_key_id or b"").hex(),
                    not_before=cert.not_before,
                    not_after=cert.not_after,
                    parent_id=path[0].id if path else None,
                    status=CaStatus.ACTIVE,
                    mapping=parsed_mapping.as_config() if not parsed_mapping.is_empty else {},
                    crl_policy=crl_policy,
                    note=note,
                    registered_at=act.now,
                    registered_by=actor.ref,
                    status_changed_at=act.now,
                )
        except IntegrityError:
            raise CaConflict("ca.duplicate", fingerprint_sha256=cert.fingerprint_sha256) from None
        CaStatusChange.objects.create(
            ca=ca,
            old_status="",
            new_status=CaStatus.ACTIVE,
            reason="登记 registered",
            actor_ref=actor.ref,
            actor_label=actor.label[:200],
            changed_at=act.now,
        )
        summary = _ca_summary(ca)
        act.witness(ca, {**summary, "parent_id": ca.parent_id, "mapping": ca.mapping, "crl_policy": crl_policy})
        act.emit("ca.authority_registered.v1", ca, summary)
        return ca


def do_change_ca_status(
    *, actor: Actor, ca_id: int, status: str, reason: str = "", expected_version: int | None = None
) -> CertificateAuthority:
    """Suspend, reinstate or remove a CA (removal is final). Takes effect for the very next validation."""
    if not is_trust_admin(actor):
        raise _forbidden("管理CA互认名单", "manage the CA trust list")
    if status not in CaStatus.values:
        raise InvalidInput("ca.status", "状态须为 active、suspended 或 removed", "Unknown status", {"field": "status"})
    reason = (reason or "").strip()
    if status != CaStatus.ACTIVE and not reason:
        raise InvalidInput("ca.reason_required", "暂停或移出须说明原因", "A reason is required", {"field": "reason"})
    with action(actor, "ca.change_ca_status") as act:
        ca = lock_objects.lock_ca(ca_id).first()
        if ca is None:
            raise CaNotFound("ca.ca_not_found", ca_id=ca_id)
        check_version(ca.version, expected_version)
        old = ca.status
        if status not in STATUS_TRANSITIONS[CaStatus(old)]:
            raise CaConflict("ca.status_transition", current=old, requested=status)
        ca.status = status
        ca.status_changed_at = act.now
        ca.version += 1
        ca.save(update_fields=["status", "status_changed_at", "version"])
        CaStatusChange.objects.create(
            ca=ca,
            old_status=old,
            new_status=status,
            reason=reason[:500],
            actor_ref=actor.ref,
            actor_label=actor.label[:200],
            changed_at=act.now,
        )
        act.witness(ca, {"old_status": old, "new_status": status, "reason": reason[:500]})
        act.emit("ca.authority_status_changed.v1", ca, {"old_status": old, "new_status": status, "name": ca.name})
        return ca


def do_import_crl(*, actor: Actor, crl: bytes | str, ca_id: int | None = None) -> RevocationList:
    """Import a CRL (DER or PEM). It must be signed by a CA of the list (found by issuer name and key
    identifier; ``ca_id`` may say which) and newer than the CA's latest imported CRL. Revocations take effect
    for the very next validation."""
    if not _is_staff(actor):
        raise _forbidden("导入吊销列表", "import revocation lists")
    parsed = parse_crl(crl)
    with action(actor, "ca.import_crl") as act:
        candidates = CertificateAuthority.objects.filter(subject_key=parsed.issuer_key).exclude(status=CaStatus.REMOVED)
        if ca_id is not None:
            candidates = candidates.filter(pk=ca_id)
        issuer = None
        last_error: CaRefused | None = None
        for row in candidates.order_by("pk"):
            try:
                check_crl_issued_by(parsed, trust.parsed(row.certificate_der, row.fingerprint_sha256))
            except CaRefused as exc:
                last_error = exc
                continue
            issuer = row
            break
        if issuer is None:
            raise last_error or CaRefused("ca.crl_unknown_issuer", crl_issuer=parsed.issuer_text, ca_id=ca_id)
        if RevocationList.objects.filter(ca=issuer, sha256=parsed.sha256).exists():
            raise CaConflict("ca.crl_duplicate", ca_id=issuer.pk, sha256=parsed.sha256)
        latest = RevocationList.objects.filter(ca=issuer).order_by("-this_update", "-pk").first()
        if latest is not None and not parsed.is_newer_than(
            int(latest.crl_number) if latest.crl_number else None, latest.this_update
        ):
            raise CaConflict(
                "ca.crl_outdated",
                ca_id=issuer.pk,
                current_crl_number=latest.crl_number,
                current_this_update=iso_utc(latest.this_update),
            )
        try:
            with transaction.atomic():
                row = RevocationList.objects.create(
                    ca=issuer,
                    der=parsed.der,
                    sha256=parsed.sha256,
                    this_update=parsed.this_update,
                    next_update=parsed.next_update,
                    crl_number=str(parsed.crl_number) if parsed.crl_number is not None else "",
                    revoked_count=len(parsed.entries),
                    imported_at=act.now,
                    imported_by=actor.ref,
                )
        except IntegrityError:  # the same CRL imported concurrently
            raise CaConflict("ca.crl_duplicate", ca_id=issuer.pk, sha256=parsed.sha256) from None
        RevokedSerial.objects.bulk_create(
            [
                RevokedSerial(crl=row, serial=format(e.serial, "X"), revoked_at=e.revoked_at, reason=e.reason)
                for e in parsed.entries
            ],
            batch_size=1000,
        )
        summary = {
            "ca_id": issuer.pk,
            "crl_number": row.crl_number,
            "this_update": iso_utc(row.this_update),
            "next_update": iso_utc(row.next_update) if row.next_update else None,
            "revoked_count": row.revoked_count,
            "sha256": row.sha256,
        }
        act.witness(row, summary)
        act.emit("ca.crl_imported.v1", issuer, summary)
        return row


# -- bindings -------------------------------------------------------------------------------------------------------


def _refuse_validation(validation) -> None:
    if not validation.ok:
        raise CaRefused(validation.reason or "ca.untrusted", validation.details)


def do_bind_certificate(
    *,
    actor: Actor,
    certificate: bytes | str,
    entity_id: int | None = None,
    account_id: int | None = None,
) -> CertificateBinding:
    """Bind a certificate: an organisation certificate to the registry entity its USCC names (the entity's
    administrators, or staff over its region); a personal certificate to an account (staff only, after checking
    the person's identity document — accounts carry no verified identity number yet)."""
    cert = parse_certificate(certificate)
    moment = now()
    validation = trust.validate_certificate(cert, at=moment)
    _refuse_validation(validation)
    subject = validation.subject
    assert subject is not None
    assert validation.issuer is not None
    entity = account = None
    if subject.kind == SubjectKind.ENTITY:
        if account_id is not None:
            raise CaRefused("ca.binding_subject", subject_kind=subject.kind)
        ref = registry.find_entity_by_uscc(subject.identifier)
        if ref is None or ref.status == "cancelled":
            raise CaRefused("ca.entity_not_registered", uscc=subject.identifier)
        if entity_id is not None and entity_id != ref.id:
            raise CaRefused("ca.wrong_entity", expected_entity_id=entity_id, entity_id=ref.id, uscc=subject.identifier)
        if not (actor.acts_for(ref.id, admin=True) or _is_staff(actor, ref.region_code)):
            raise _forbidden("为该主体绑定证书", "bind certificates for this entity")
        entity = ref
    else:
        if entity_id is not None:
            raise CaRefused("ca.binding_subject", subject_kind=subject.kind)
        if not _is_staff(actor):
            raise _forbidden(
                "绑定个人证书（须由交易中心工作人员核验身份后办理）", "bind personal certificates (staff only)"
            )
        if account_id is None:
            raise InvalidInput(
                "ca.account_required",
                "个人证书须指定绑定的账户",
                "Name the account to bind to",
                {"field": "account_id"},
            )
        account = Account.objects.filter(pk=account_id, is_active=True).first()
        if account is None:
            raise CaNotFound("ca.account_not_found", account_id=account_id)
    with action(actor, "ca.bind_certificate") as act:
        if lock_objects.lock_active_bindings(cert.fingerprint_sha256).filter(status=BindingStatus.ACTIVE).exists():
            raise CaConflict("ca.already_bound", fingerprint_sha256=cert.fingerprint_sha256)
        try:
            with transaction.atomic():
                binding = CertificateBinding.objects.create(
                    certificate_der=cert.der,
                    fingerprint_sha256=cert.fingerprint_sha256,
                    fingerprint_sm3=cert.fingerprint_sm3,
                    serial=cert.serial_hex,
                    issuer=cert.issuer_text[:1000],
                    ca_id=validation.issuer.id,
                    algorithm=cert.key_family,
                    subject=cert.subject_text[:1000],
                    subject_name=subject.name[:200],
                    not_before=cert.not_before,
                    not_after=cert.not_after,
                    subject_kind=subject.kind,
                    entity_id=entity.id if entity else None,
                    uscc=subject.identifier if entity else "",
                    account=account,
                    person_id_digest=sm3(subject.identifier.encode()).hex() if account else "",
                    person_id_masked=subject.masked if account else "",
                    status=BindingStatus.ACTIVE,
                    bound_at=act.now,
                    bound_by=actor.ref,
                )
        except IntegrityError:
            raise CaConflict("ca.already_bound", fingerprint_sha256=cert.fingerprint_sha256) from None
        payload = {
            "subject_kind": subject.kind,
            "entity_id": binding.entity_id,
            "uscc": binding.uscc or None,
            "account_id": binding.account_id,
            "person": binding.person_id_masked or None,
            "serial": binding.serial,
            "issuer": binding.issuer,
            "ca_id": binding.ca_id,
            "algorithm": binding.algorithm,
            "fingerprint_sha256": binding.fingerprint_sha256,
            "not_after": iso_utc(binding.not_after),
        }
        act.witness(binding, payload)
        act.emit(
            "ca.certificate_bound.v1",
            binding,
            {k: payload[k] for k in ("subject_kind", "entity_id", "serial", "issuer", "algorithm")},
            visibility=Visibility.RESTRICTED,
        )
        return binding


def do_unbind_certificate(*, actor: Actor, binding_id: int, reason: str = "") -> CertificateBinding:
    """Unbind a certificate (it stops working at once): the entity's administrators or staff; a personal
    certificate also by its own account."""
    with action(actor, "ca.unbind_certificate") as act:
        binding = lock_objects.lock_binding(binding_id).first()
        if binding is None or not queries.may_see_binding(actor, binding):
            raise CaNotFound("ca.binding_not_found", binding_id=binding_id)
        if binding.entity_id is not None:
            ref = registry.get_entity_ref(binding.entity_id)
            allowed = actor.acts_for(binding.entity_id, admin=True) or _is_staff(
                actor, ref.region_code if ref else None
            )
        else:
            allowed = _is_staff(actor) or (actor.kind is ActorKind.ACCOUNT and actor.id == str(binding.account_id))
        if not allowed:
            raise _forbidden("解绑该证书", "unbind this certificate")
        if binding.status != BindingStatus.ACTIVE:
            raise CaConflict("ca.status_transition", current=binding.status, requested=BindingStatus.UNBOUND)
        binding.status = BindingStatus.UNBOUND
        binding.unbound_at = act.now
        binding.unbound_by = actor.ref
        binding.unbind_reason = (reason or "").strip()[:300]
        binding.version += 1
        binding.save(update_fields=["status", "unbound_at", "unbound_by", "unbind_reason", "version"])
        act.witness(binding, {"serial": binding.serial, "issuer": binding.issuer, "reason": binding.unbind_reason})
        act.emit(
            "ca.certificate_unbound.v1",
            binding,
            {"entity_id": binding.entity_id, "serial": binding.serial},
            visibility=Visibility.RESTRICTED,
        )
        return binding


# -- signatures -----------------------------------------------------------------------------------------------------


def do_record_signature(
    *,
    actor: Actor,
    check: SignatureCheck,
    signature: bytes,
    purpose: str,
    obj: ObjectLike,
) -> SignatureRecord:
    """Record a verified, legally relevant signature over ``obj`` (a model instance or ``(type, id)``): a
    :class:`SignatureRecord` and a witness entry on ``obj`` naming the certificate serial, issuer, algorithm and
    the signed digest. Refuses a failed check with its reason (nothing stored). Call it inside the action that
    accepts the signed thing (bid submission, evaluation signature …) so both commit together."""
    check.raise_for_failure()
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > 80:
        raise InvalidInput("ca.purpose", "须说明签名用途（≤80 字符）", "purpose is required (≤ 80 characters)")
    object_type, object_id = object_ref(obj)
    with action(actor, "ca.record_signature") as act:
        record = SignatureRecord.objects.create(
            purpose=purpose,
            object_type=object_type,
            object_id=object_id,
            entity_id=check.entity_id,
            account_id=check.account_id,
            binding_id=check.binding_id,
            fingerprint=check.fingerprint,
            serial=check.serial,
            issuer=check.issuer[:1000],
            algorithm=check.algorithm,
            digest_algorithm=check.digest_algorithm,
            digest=check.digest,
            signature=bytes(signature),
            recorded_at=act.now,
            recorded_by=actor.ref,
        )
        act.witness(
            (object_type, object_id),
            {
                "signature_record": record.pk,
                "purpose": purpose,
                "serial": check.serial,
                "issuer": check.issuer,
                "algorithm": check.algorithm,
                "digest_algorithm": check.digest_algorithm,
                "digest": check.digest,
                "fingerprint_sha256": check.fingerprint,
                "entity_id": check.entity_id,
                "account_id": check.account_id,
            },
        )
        return record


def _window_seconds() -> int:
    return int(getattr(settings, "YIWANG_CA_SIGNATURE_WINDOW_SECONDS", SIGNATURE_WINDOW_DEFAULT))


def accept_signed_api_request(
    *,
    payload: Any,
    timestamp: str,
    nonce: str,
    signature: bytes,
    certificate: bytes | str,
    expected_entity_id: int | None = None,
    expected_uscc: str | None = None,
    require_binding: bool = False,
    window_seconds: int | None = None,
) -> SignatureCheck:
    """Check a signed API payload (``api_signing_input``): signature, certificate, expected entity, timestamp
    within ± the window (``ca.timestamp_out_of_window``) and a nonce not used before with this certificate
    (``ca.replayed``). The nonce is remembered in the caller's transaction (roll back → forgotten), like an
    idempotency key: technical bookkeeping, not a witnessed act. Returns the :class:`SignatureCheck`."""
    window = timedelta(seconds=window_seconds if window_seconds is not None else _window_seconds())
    try:
        message = api_signing_input(payload, timestamp=timestamp, nonce=nonce)
        stamped = parse_timestamp(timestamp)
    except CaRefused as exc:
        return SignatureCheck(False, exc.code, exc.details)
    check = queries.verify_signed(
        message,
        signature,
        certificate,
        expected_entity_id=expected_entity_id,
        expected_uscc=expected_uscc,
        require_binding=require_binding,
    )
    if not check.ok:
        return check
    moment = now()
    if abs(moment - stamped) > window:
        return _failed(check, "ca.timestamp_out_of_window", timestamp=timestamp, window_seconds=window.seconds)
    key = hashlib.sha256(f"{check.fingerprint}\0{nonce}".encode()).hexdigest()
    try:
        with transaction.atomic():
            SeenNonce.objects.create(key=key, expires_at=max(moment, stamped) + window)
    except IntegrityError:
        return _failed(check, "ca.replayed", nonce=nonce)
    return check


def _failed(check: SignatureCheck, reason: str, **details: Any) -> SignatureCheck:
    fields = {f: getattr(check, f) for f in check.__dataclass_fields__}
    fields.update(ok=False, reason=reason, details=details)
    return SignatureCheck(**fields)


def purge_seen_nonces(moment: datetime) -> int:
    """Clock job: forget nonces whose replay window has passed."""
    deleted, _ = SeenNonce.objects.filter(expires_at__lt=moment).delete()
    return deleted


# -- the QR / mobile signing flow -------------------------------------------------------------------------------------


def challenge_lifetime() -> timedelta:
    seconds = int(getattr(settings, "YIWANG_CA_CHALLENGE_SECONDS", CHALLENGE_SECONDS_DEFAULT))
    return timedelta(seconds=min(max(seconds, CHALLENGE_SECONDS_MIN), CHALLENGE_SECONDS_MAX))


def session_digest(session_key: str | None) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else ""


def do_start_challenge(
    *, actor: Actor, purpose: str = "login_confirm", text: str = "", session_key: str | None = None
) -> SigningChallenge:
    """Start a challenge for the signed-in person: a random nonce, valid 2–5 minutes, tied to the browser
    session that asked for it. The line to sign is stored and shown as a QR code and as text."""
    if actor.kind is not ActorKind.ACCOUNT:
        raise PermissionDenied("ca.account_required", "须以个人账户登录", "A signed-in personal account is required")
    if purpose not in challenge_format.PURPOSES:
        raise InvalidInput("ca.purpose", "未知的签名用途", "Unknown purpose", {"field": "purpose"})
    text = (text or challenge_format.PURPOSES[purpose]).strip()[:200]
    with action(actor, "ca.start_challenge") as act:
        challenge_id = uuid.uuid4().hex
        parsed = challenge_format.Challenge(
            id=challenge_id,
            purpose=purpose,
            nonce=secrets.token_urlsafe(32),
            account=actor.ref,
            platform=settings.YIWANG_PLATFORM_CODE,
            issued_at=act.now,
            expires_at=act.now + challenge_lifetime(),
            respond=f"/api/v1/ca/challenges/{challenge_id}/respond",
            text=text,
        )
        row = SigningChallenge.objects.create(
            id=challenge_id,
            account_id=int(actor.id),
            purpose=purpose,
            text=parsed.encode(),
            session_digest=session_digest(session_key),
            issued_at=parsed.issued_at,
            expires_at=parsed.expires_at,
        )
        act.witness(row, {"purpose": purpose, "expires_at": iso_utc(row.expires_at)})
        return row


def do_respond_challenge(*, challenge_id: str, signature: bytes, certificate: bytes | str) -> SigningChallenge:
    """Confirm a challenge with a signature over its exact bytes. The certificate must validate now and be bound
    to the challenge's account (personal certificate) or to an entity that account acts for (organisation
    certificate). Single use; expired challenges are refused. The confirmation is witnessed."""
    row = SigningChallenge.objects.filter(pk=str(challenge_id)[:40]).select_related("account").first()
    if row is None:
        raise CaNotFound("ca.challenge_not_found", challenge_id=str(challenge_id)[:40])
    account_actor = actor_for_account(row.account)
    with action(account_actor, "ca.confirm_challenge") as act:
        row = lock_objects.lock_challenge(row.pk).first()
        assert row is not None
        if row.status != ChallengeStatus.PENDING:
            raise CaConflict("ca.challenge_used", challenge_id=row.pk)
        if act.now > row.expires_at:
            raise CaRefused("ca.challenge_expired", expires_at=iso_utc(row.expires_at))
        check = queries.verify_signed(
            challenge_format.signing_bytes(row.text), signature, certificate, at=act.now, require_binding=True
        )
        check.raise_for_failure()
        if check.account_id is not None:
            belongs = check.account_id == row.account_id
        else:
            belongs = check.entity_id is not None and account_actor.acts_for(check.entity_id)
        if not belongs:
            raise CaRefused("ca.wrong_account", binding_id=check.binding_id)
        row.status = ChallengeStatus.CONFIRMED
        row.confirmed_at = act.now
        row.binding_id = check.binding_id
        row.fingerprint = check.fingerprint
        row.serial = check.serial
        row.issuer = check.issuer[:1000]
        row.algorithm = check.algorithm
        row.entity_id = check.entity_id
        row.save()
        payload = {
            "purpose": row.purpose,
            "serial": check.serial,
            "issuer": check.issuer,
            "algorithm": check.algorithm,
            "fingerprint_sha256": check.fingerprint,
            "digest_algorithm": check.digest_algorithm,
            "digest": check.digest,
            "binding_id": check.binding_id,
            "entity_id": check.entity_id,
        }
        act.witness(row, payload)
        act.emit(
            "ca.challenge_confirmed.v1",
            row,
            {"purpose": row.purpose, "serial": check.serial, "entity_id": check.entity_id},
            visibility=Visibility.RESTRICTED,
        )
        return row


def confirmation_for_session(row: SigningChallenge) -> dict[str, Any]:
    """What a page stores in the browser session once it sees its challenge confirmed."""
    return {
        "fingerprint": row.fingerprint,
        "serial": row.serial,
        "issuer": row.issuer,
        "algorithm": row.algorithm,
        "binding_id": row.binding_id,
        "entity_id": row.entity_id,
        "account_id": row.account_id,
        "confirmed_at": row.confirmed_at.isoformat() if row.confirmed_at else None,
        "challenge_id": row.pk,
    }


__all__ = [
    "accept_signed_api_request",
    "confirmation_for_session",
    "do_bind_certificate",
    "do_change_ca_status",
    "do_import_crl",
    "do_record_signature",
    "do_register_ca",
    "do_respond_challenge",
    "do_start_challenge",
    "do_unbind_certificate",
    "is_trust_admin",
    "purge_seen_nonces",
]
