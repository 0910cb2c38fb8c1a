"""State changes of e-guarantees (电子保函) and guarantee insurance policies (保证保险): issuers, applications,
issue and verification, claims, releases, expiry. Re-exported by :mod:`yiwang.services.finance.actions`.

The flow:

1. **Issuers** — staff register a bank, insurer or guarantee company (a registry entity) with its signing
   certificate(s), bound to the entity through identity.ca (:func:`do_register_guarantee_issuer`,
   :func:`do_add_issuer_certificate`); they may suspend it (:func:`do_set_issuer_status`): its new guarantees
   are refused and the guarantees it already gave are flagged, with an alert each.
2. **Application** — a bidder applies for a guarantee for a lot (:func:`do_apply_guarantee`): the amount is the
   lot's deposit requirement, the beneficiary the lot's owner (tenderer, purchaser, seller), the validity must
   cover the bid deadline through the end of the bid validity the lot states.
3. **Issue** — the issuer (one of its users, or its machine client) sends the signed guarantee document and
   the letter file (:func:`do_issue_guarantee`). The platform verifies, in this order, and refuses with the
   first failing reason, storing nothing: the document's form (``finance.guarantee_document_invalid``); the
   signature through identity.ca with the issuer's USCC expected (``ca.signature_invalid``, ``ca.wrong_entity``,
   ``ca.not_bound``, ``ca.revoked`` …); the certificate is one registered for the issuer
   (``finance.issuer_certificate_unknown``); the issuer is active (``finance.issuer_suspended``); the lot is
   still open (``finance.lot_closed``); the contents fit the application and the lot
   (:func:`~yiwang.services.finance.domain.guarantees.check_document`); the number is new
   (``finance.guarantee_duplicate``). Accepted, it is stored (letter in the document store, signature recorded
   and witnessed by identity.ca, cover posted off balance) and satisfies the lot's deposit for that bidder.
4. **Claim** in a forfeiture case (:func:`do_claim_guarantee`, :func:`do_forfeit_security`): a claim with
   its own virtual account is instructed to the issuer (the clock sends it, :func:`send_claim`); the issuer
   pays by bank transfer, and the bank's notice posts the money to the lot's forfeited account once.
5. **Release** at the end (:func:`do_release_guarantees`; ``do_release_deposits`` releases the same bidders'
   guarantees too) or **expiry** (the clock); the issuer is told through its port (:func:`notify_issuer`).

Guarantee events are restricted, like deposits: who holds a guarantee for a lot is secret before the opening.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from yiwang.identity.ca import actions as ca_actions
from yiwang.identity.ca import queries as ca_queries
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.storage import actions as storage_actions
from yiwang.registry import queries as registry
from yiwang.services.finance import bank, issuers, ledger, lock_objects
from yiwang.services.finance.actions import (
    RESTRICTED,
    _check_reason,
    _lot_or_404,
    _NoChange,
    _raise_alert,
    _require_caller,
    _require_staff,
    _unchanged_is_fine,
)
from yiwang.services.finance.domain.deposits import normalise_lot_ref
from yiwang.services.finance.domain.guarantees import (
    Expectation,
    GuaranteeForm,
    GuaranteeStatus,
    IssuerKind,
    check_document,
    check_form_for_issuer,
    normalise_number,
    parse_document,
    require_form,
    require_issuer_kind,
)
from yiwang.services.finance.domain.ledger import AccountKind, JournalKind
from yiwang.services.finance.domain.refunds import ForfeitReason, retry_delay
from yiwang.services.finance.ledger import cr, dr
from yiwang.services.finance.models import (
    AlertKind,
    BankNotice,
    ClaimStatus,
    Deposit,
    Guarantee,
    GuaranteeClaim,
    GuaranteeIssuer,
    IssuerCertificate,
    IssuerStatus,
    JournalEntry,
    Lot,
    NoticeStatus,
)

OWNER_CONTEXT = "services.finance"
SIGNATURE_PURPOSE = "finance.guarantee_issued"
MAX_LETTER_BYTES = 20 << 20


# -- issuers -----------------------------------------------------------------------------------------------------------


def _issuer_or_404(issuer_id: int, *, lock: bool = False) -> GuaranteeIssuer:
    qs = lock_objects.issuer_qs_for_update(issuer_id) if lock else GuaranteeIssuer.objects.filter(pk=issuer_id)
    issuer = qs.first()
    if issuer is None:
        raise NotFound(
            "finance.issuer_not_found", "未找到该保函出具机构", "No such guarantee issuer", {"issuer_id": issuer_id}
        )
    return issuer


def _bind(act: ActionRecorder, issuer: GuaranteeIssuer, certificate: bytes | str) -> IssuerCertificate:
    """Bind an issuer's signing certificate to its entity (identity.ca) and register it for guarantees. A
    certificate the issuer already bound itself is adopted."""
    try:
        binding = ca_actions.do_bind_certificate(actor=act.actor, certificate=certificate, entity_id=issuer.entity_id)
        fingerprint, binding_id = binding.fingerprint_sha256, binding.pk
        serial, algorithm = binding.serial, binding.algorithm
    except Conflict as exc:
        if exc.code != "ca.already_bound":
            raise
        fingerprint = str(exc.details.get("fingerprint_sha256", ""))
        found = [
            b
            for b in ca_queries.list_bindings_for(act.actor, entity_id=issuer.entity_id, check=False)
            if b.fingerprint_sha256 == fingerprint
        ]
        if not found:  # bound, but to another entity or account
            raise
        binding_id, serial, algorithm = found[0].id, found[0].serial, found[0].algorithm
    if IssuerCertificate.objects.filter(issuer=issuer, fingerprint_sha256=fingerprint).exists():
        raise Conflict(
            "finance.issuer_certificate_duplicate",
            "该证书已登记为本机构的签名证书",
            "This certificate is already registered for the issuer",
            {"fingerprint_sha256": fingerprint},
        )
    row = IssuerCertificate.objects.create(
        issuer=issuer,
        fingerprint_sha256=fingerprint,
        binding_id=binding_id,
        serial=serial,
        algorithm=algorithm,
        added_at=act.now,
        added_by=act.actor.ref,
    )
    act.witness(issuer, {"certificate": fingerprint, "serial": serial, "algorithm": algorithm})
    return row


def do_register_guarantee_issuer(
    *, actor: Actor, entity_id: int, kind: str, certificates: Sequence[bytes | str] = (), note: str = ""
) -> GuaranteeIssuer:
    """Staff register a guarantee issuer: a registry entity (bank ``bank``, insurer ``insurer``, guarantee
    company ``guarantor``) with its signing certificates, each bound to the entity through identity.ca.
    Refusals: ``finance.staff_only``, ``finance.entity_not_found``, ``finance.entity_inactive``,
    ``finance.issuer_no_uscc``, ``finance.issuer_exists`` (409), the ``ca.*`` binding reasons."""
    _require_staff(actor)
    issuer_kind = require_issuer_kind(kind)
    entity = registry.get_entity_ref(entity_id)
    if entity is None:
        raise NotFound(
            "finance.entity_not_found", "未找到该市场主体", "No such market entity", {"entity_id": entity_id}
        )
    if not entity.is_active:
        raise Conflict(
            "finance.entity_inactive",
            "该市场主体状态异常",
            "This market entity is not active",
            {"entity_id": entity_id, "status": entity.status},
        )
    if not entity.uscc:
        raise InvalidInput(
            "finance.issuer_no_uscc",
            "保函出具机构须为具有统一社会信用代码的机构",
            "A guarantee issuer must be an organisation with a USCC",
            {"entity_id": entity_id},
        )
    with action(actor, "finance.register_guarantee_issuer") as act:
        if GuaranteeIssuer.objects.filter(entity_id=entity_id).exists():
            raise Conflict(
                "finance.issuer_exists", "该机构已登记", "This issuer is already registered", {"entity_id": entity_id}
            )
        issuer = GuaranteeIssuer.objects.create(
            entity_id=entity_id,
            uscc=entity.uscc,
            name=entity.name[:200],
            kind=issuer_kind.value,
            note=note[:300],
            registered_at=act.now,
            registered_by=actor.ref,
        )
        payload = {"entity_id": entity_id, "uscc": entity.uscc, "name": issuer.name, "kind": issuer_kind.value}
        act.witness(issuer, payload)
        for certificate in certificates:
            _bind(act, issuer, certificate)
        act.emit("finance.guarantee_issuer_registered.v1", issuer, payload)
        return issuer


def do_add_issuer_certificate(*, actor: Actor, issuer_id: int, certificate: bytes | str) -> IssuerCertificate:
    """Staff add a signing certificate to a registered issuer (bound to its entity through identity.ca)."""
    _require_staff(actor)
    with action(actor, "finance.add_issuer_certificate") as act:
        issuer = _issuer_or_404(issuer_id, lock=True)
        return _bind(act, issuer, certificate)


def do_set_issuer_status(*, actor: Actor, issuer_id: int, status: str, reason: str = "") -> GuaranteeIssuer:
    """Staff suspend (``suspended``) or reactivate (``active``) an issuer. Suspended: its new guarantees are
    refused, and every guarantee of it still in force is flagged, with an alert each. ``finance.status_unchanged``
    (409) when it already has that status."""
    _require_staff(actor)
    try:
        wanted = IssuerStatus(status)
    except ValueError:
        raise InvalidInput(
            "finance.issuer_status_invalid",
            "状态应为 active 或 suspended",
            "status must be active or suspended",
            {"field": "status"},
        ) from None
    with action(actor, "finance.set_issuer_status") as act:
        issuer = _issuer_or_404(issuer_id, lock=True)
        if issuer.status == wanted:
            raise Conflict(
                "finance.status_unchanged", "状态未变化", "The issuer already has this status", {"status": wanted}
            )
        issuer.status = wanted
        issuer.status_reason = reason[:300]
        issuer.status_changed_at = act.now
        issuer.version += 1
        issuer.save(update_fields=["status", "status_reason", "status_changed_at", "version"])
        flagged = []
        for g in lock_objects.guarantees_for_update(
            issuer=issuer, status__in=[GuaranteeStatus.VALID, GuaranteeStatus.CLAIMING]
        ):
            if wanted == IssuerStatus.SUSPENDED:
                g.flagged, g.flag_reason = True, f"出具机构已暂停：{reason}"[:200]
                _raise_alert(
                    act,
                    f"issuer_suspended:{g.pk}:{act.now.isoformat()}",
                    AlertKind.ISSUER_SUSPENDED,
                    lot=g.lot,
                    entity_id=g.entity_id,
                    guarantee=g,
                    details={"issuer_id": issuer.pk, "guarantee_no": g.number, "reason": reason[:200]},
                )
            else:
                g.flagged, g.flag_reason = False, ""
            g.version += 1
            g.save(update_fields=["flagged", "flag_reason", "version"])
            flagged.append(g.pk)
        payload = {"status": wanted.value, "reason": reason[:300], "guarantees": flagged}
        act.witness(issuer, payload)
        act.emit("finance.guarantee_issuer_status_changed.v1", issuer, {"status": wanted.value, "reason": reason[:300]})
        return issuer


# -- applications ------------------------------------------------------------------------------------------------------


def _entity_uscc(entity_id: int | None, code: str, zh: str, en: str) -> str:
    ref = registry.get_entity_ref(entity_id) if entity_id else None
    if ref is None or not ref.uscc:
        raise Conflict(code, zh, en, {"entity_id": entity_id})
    return ref.uscc


def do_apply_guarantee(
    *, actor: Actor, lot_ref: str | tuple[str, str], entity_id: int, issuer_id: int, form: str = "letter"
) -> Guarantee:
    """A bidder applies to an issuer for a bid guarantee (``letter``) or a guarantee insurance policy
    (``policy``) for a lot, before its opening. The amount is the lot's requirement; the beneficiary is the
    lot's owner. The bidder's users, staff and the platform may. Refusals: ``finance.forbidden``,
    ``finance.lot_not_found``, ``finance.lot_closed``, ``finance.bid_validity_unknown`` (the lot states no end of
    bid validity), ``finance.guarantee_beneficiary_unknown``, ``finance.guarantee_applicant_no_uscc``,
    ``finance.issuer_not_found``, ``finance.issuer_suspended``, ``finance.guarantee_form_mismatch``."""
    _require_caller(actor)
    ref = normalise_lot_ref(lot_ref)
    wanted = require_form(form)
    if not (actor.is_system or actor.acts_for(entity_id) or actor.has_role(Role.STAFF)):
        raise PermissionDenied(
            "finance.forbidden",
            "只能为本单位申请保函",
            "You may apply for your own entity's guarantees only",
            {"entity_id": entity_id},
        )
    with action(actor, "finance.apply_guarantee") as act:
        issuer = _issuer_or_404(issuer_id)
        if issuer.status != IssuerStatus.ACTIVE:
            raise Conflict(
                "finance.issuer_suspended",
                "该出具机构已暂停，不能申请或出具新的保函",
                "This issuer is suspended: no new guarantees",
                {"issuer_id": issuer_id},
            )
        check_form_for_issuer(wanted, IssuerKind(issuer.kind))
        lot = _lot_or_404(ref, lock=True)
        if act.now >= lot.opening_at:
            raise Conflict(
                "finance.lot_closed",
                "已过投标截止时间，不能再申请保函",
                "The lot's deadline has passed; no new guarantees",
                {"lot_ref": ref},
            )
        if lot.bid_validity_until is None:
            raise Conflict(
                "finance.bid_validity_unknown",
                "该标段未载明投标有效期，暂不能以保函缴纳保证金",
                "The lot states no end of bid validity; guarantees cannot be sized yet",
                {"lot_ref": ref},
            )
        _entity_uscc(
            lot.owner_entity_id,
            "finance.guarantee_beneficiary_unknown",
            "该标段未登记招标人（采购人、出让方）主体，无法确定保函受益人",
            "The lot's owner is not known: no beneficiary for a guarantee",
        )
        _entity_uscc(
            entity_id,
            "finance.guarantee_applicant_no_uscc",
            "申请人须为具有统一社会信用代码的市场主体",
            "The applicant must be a registered organisation with a USCC",
        )
        guarantee = Guarantee.objects.create(
            application_no=f"YWGA{secrets.token_hex(8).upper()}",
            form=wanted.value,
            lot=lot,
            entity_id=entity_id,
            beneficiary_entity_id=lot.owner_entity_id,
            issuer=issuer,
            amount_fen=lot.required_fen,
            applied_at=act.now,
            applied_by=actor.ref,
        )
        payload = {
            "application_no": guarantee.application_no,
            "lot_ref": ref,
            "entity_id": entity_id,
            "issuer_id": issuer.pk,
            "form": wanted.value,
            "amount_fen": guarantee.amount_fen,
        }
        act.witness(guarantee, payload)
        act.emit("finance.guarantee_applied.v1", guarantee, payload, visibility=RESTRICTED)
        return guarantee


def _no_application(application_no: str) -> NotFound:
    return NotFound(
        "finance.guarantee_application_not_found",
        "未找到该保函申请",
        "No such guarantee application",
        {"application_no": (application_no or "")[:40]},
    )


def _application_or_404(application_no: str, *, lock: bool = False) -> Guarantee:
    qs = (
        lock_objects.guarantees_for_update(application_no=application_no)
        if lock
        else Guarantee.objects.filter(application_no=application_no)
    )
    found = qs.first()
    if found is None:
        raise _no_application(application_no)
    return found


def do_cancel_guarantee_application(*, actor: Actor, application_no: str) -> Guarantee:
    """The bidder withdraws an application the issuer has not answered yet. ``finance.guarantee_not_pending``."""
    _require_caller(actor)
    with action(actor, "finance.cancel_guarantee_application") as act:
        g = _application_or_404(application_no, lock=True)
        if not (actor.is_system or actor.acts_for(g.entity_id) or actor.has_role(Role.STAFF)):
            raise _no_application(application_no)  # the same answer as for an unknown application
        if g.status != GuaranteeStatus.APPLIED:
            raise Conflict(
                "finance.guarantee_not_pending",
                "该保函申请已处理，不能撤销",
                "This application was already answered",
                {"status": g.status},
            )
        g.status = GuaranteeStatus.CANCELLED
        g.closed_at = act.now
        g.version += 1
        g.save(update_fields=["status", "closed_at", "version"])
        act.witness(g, {"status": g.status})
        return g


# -- issue and verification --------------------------------------------------------------------------------------------


def _signature_bytes(signature: bytes | str) -> bytes:
    if isinstance(signature, bytes | bytearray):
        return bytes(signature)
    return ca_queries.decode_signature(signature)


def do_issue_guarantee(
    *,
    actor: Actor,
    application_no: str,
    document: bytes,
    signature: bytes | str,
    certificate: bytes | str,
    letter: bytes,
    letter_filename: str = "guarantee.pdf",
) -> Guarantee:
    """The issuer answers an application with the signed guarantee document (canonical JSON, see
    :mod:`~yiwang.services.finance.domain.guarantees`), its detached signature (identity.ca document
    signature, base64/hex or bytes), the signing certificate and the letter file. Verified as described in the
    module docstring; any refusal stores nothing. The issuer's users (or machine client) and the platform may."""
    _require_caller(actor)
    if not isinstance(letter, bytes | bytearray) or not letter or len(letter) > MAX_LETTER_BYTES:
        raise InvalidInput(
            "finance.guarantee_letter_missing",
            "须提交保函文件（不超过 20 MiB）",
            "The letter file is required (at most 20 MiB)",
            {"field": "letter"},
        )
    letter = bytes(letter)
    sig = _signature_bytes(signature)
    doc = parse_document(bytes(document))
    pending = _application_or_404(application_no)
    if not (actor.is_system or actor.acts_for(pending.issuer.entity_id)):
        raise _no_application(application_no)  # applications are visible to their issuer only
    with action(actor, "finance.issue_guarantee") as act:
        issuer = _issuer_or_404(pending.issuer_id, lock=True)
        lot = _lot_or_404(pending.lot.ref, lock=True)
        g = _application_or_404(application_no, lock=True)
        if g.status != GuaranteeStatus.APPLIED:
            raise Conflict(
                "finance.guarantee_not_pending",
                "该保函申请已处理",
                "This application was already answered",
                {"status": g.status},
            )
        check = ca_queries.verify_document(
            sig, certificate, data=bytes(document), expected_uscc=issuer.uscc, at=act.now
        ).raise_for_failure()
        if not IssuerCertificate.objects.filter(issuer=issuer, fingerprint_sha256=check.fingerprint).exists():
            raise Conflict(
                "finance.issuer_certificate_unknown",
                "签名证书不是该出具机构在平台登记的签名证书",
                "The signing certificate is not registered for this issuer",
                {"fingerprint": check.fingerprint},
            )
        if issuer.status != IssuerStatus.ACTIVE:
            raise Conflict(
                "finance.issuer_suspended",
                "该出具机构已暂停，不能出具新的保函",
                "This issuer is suspended: no new guarantees",
                {"issuer_id": issuer.pk},
            )
        if act.now >= lot.opening_at:
            raise Conflict(
                "finance.lot_closed",
                "已过投标截止时间，保函不再受理",
                "The lot's deadline has passed; the guarantee comes too late",
                {"lot_ref": lot.ref},
            )
        assert lot.bid_validity_until is not None  # checked when applying; never cleared
        expectation = Expectation(
            application_no=g.application_no,
            lot_ref=lot.ref,
            beneficiary_code=_entity_uscc(
                g.beneficiary_entity_id, "finance.guarantee_beneficiary_unknown", "受益人未知", "No beneficiary"
            ),
            applicant_code=_entity_uscc(
                g.entity_id, "finance.guarantee_applicant_no_uscc", "申请人无信用代码", "The applicant has no USCC"
            ),
            issuer_code=issuer.uscc,
            issuer_kind=IssuerKind(issuer.kind),
            form=GuaranteeForm(g.form),
            required_fen=lot.required_fen,
            opening_at=lot.opening_at,
            validity_until=lot.bid_validity_until,
            now=act.now,
        )
        check_document(
            doc,
            expectation,
            file_md5=hashlib.md5(letter, usedforsecurity=False).hexdigest(),
            file_sha256=hashlib.sha256(letter).hexdigest(),
        )
        if Guarantee.objects.filter(number=doc.number).exists():
            raise Conflict(
                "finance.guarantee_duplicate",
                "该保函（保单）编号已在平台登记",
                "This guarantee number is already on the platform",
                {"guarantee_no": doc.number},
            )
        stored = storage_actions.do_store_document(
            actor=actor,
            owner=storage_actions.Owner(OWNER_CONTEXT, f"guarantee:{g.pk}"),
            title=f"{'保单' if doc.form is GuaranteeForm.POLICY else '保函'} {doc.number}",
            kind="attachment",
            stream=io.BytesIO(letter),
            filename=letter_filename or "guarantee.pdf",
        )
        record = ca_actions.do_record_signature(
            actor=actor, check=check, signature=sig, purpose=SIGNATURE_PURPOSE, obj=g
        )
        memo = ledger.ensure_account(
            f"guarantee_memo:{g.pk}", AccountKind.GUARANTEE_MEMO, act.now, lot=lot, entity_id=g.entity_id
        )
        contra = ledger.ensure_account(
            f"guarantee_contra:{g.pk}", AccountKind.GUARANTEE_CONTRA, act.now, lot=lot, entity_id=g.entity_id
        )
        entry = ledger.post(
            kind=JournalKind.GUARANTEE_ISSUED,
            key=f"guarantee:{g.pk}",
            legs=[dr(memo, doc.amount_fen), cr(contra, doc.amount_fen)],
            effective_at=act.now,
            recorded_at=act.now,
            actor_ref=actor.ref,
            lot=lot,
            memo=f"保函开立（备查）{doc.number}",
            source=("finance.guarantee", str(g.pk)),
        )
        g.number = doc.number
        g.amount_fen = doc.amount_fen
        g.cost_fen = doc.cost_fen
        g.rate = doc.rate
        g.begin_at, g.end_at, g.letter_time = doc.begin_at, doc.end_at, doc.letter_time
        g.url = doc.url
        g.md5, g.sha256 = doc.md5, doc.sha256
        g.document_json = bytes(document).decode("utf-8")
        g.document_sha256 = hashlib.sha256(bytes(document)).hexdigest()
        g.letter_document_id = stored.document.pk
        g.letter_version = stored.number
        g.signature = sig
        g.signer_fingerprint, g.signer_serial = check.fingerprint, check.serial
        g.signature_record_id = record.pk
        g.status = GuaranteeStatus.VALID
        g.accepted_at = act.now
        g.memo_account, g.contra_account = memo, contra
        g.version += 1
        g.save()
        payload = {
            "application_no": g.application_no,
            "guarantee_no": g.number,
            "form": g.form,
            "lot_ref": lot.ref,
            "entity_id": g.entity_id,
            "issuer_id": issuer.pk,
            "amount_fen": g.amount_fen,
            "begin_at": iso_utc(doc.begin_at),
            "end_at": iso_utc(doc.end_at),
            "md5": g.md5,
            "sha256": g.sha256,
            "document_sha256": g.document_sha256,
            "signer_serial": check.serial,
            "entry": entry.key,
        }
        act.witness(g, payload)
        act.emit("finance.guarantee_accepted.v1", g, payload, visibility=RESTRICTED)
        return g


# -- claims ------------------------------------------------------------------------------------------------------------


def _guarantee_or_404(number: str, *, lock: bool = False) -> Guarantee:
    qs = lock_objects.guarantees_for_update(number=number) if lock else Guarantee.objects.filter(number=number)
    found = qs.first() if number else None
    if found is None:
        raise NotFound(
            "finance.guarantee_not_found", "未找到该保函", "No such guarantee", {"guarantee_no": (number or "")[:64]}
        )
    return found


def _forfeit_reason(reason: str) -> ForfeitReason:
    try:
        return ForfeitReason(reason)
    except ValueError:
        raise InvalidInput(
            "finance.reason_unknown",
            f"索赔原因“{reason}”无法识别",
            f"unknown claim reason {reason!r}",
            {"field": "reason", "allowed": [r.value for r in ForfeitReason]},
        ) from None


def _reverse_memo(g: Guarantee) -> list[ledger.Leg]:
    assert g.memo_account is not None
    assert g.contra_account is not None
    return [dr(g.contra_account, g.amount_fen), cr(g.memo_account, g.amount_fen)]


def _claim(act: ActionRecorder, g: Guarantee, why: ForfeitReason, note: str) -> GuaranteeClaim:
    lot = g.lot
    if g.end_at is not None and g.end_at <= act.now:
        raise Conflict(
            "finance.guarantee_expired",
            "保函已过有效期，不能索赔",
            "The guarantee has expired",
            {"guarantee_no": g.number},
        )
    claim = GuaranteeClaim.objects.create(
        guarantee=g,
        ref=f"YWGC{secrets.token_hex(6).upper()}",
        reason=why.value,
        note=note[:200],
        amount_fen=min(g.amount_fen, lot.required_fen),
        bank_code=lot.bank_code,
        virtual_account=f"pending:{g.pk}",
        requested_at=act.now,
        requested_by=act.actor.ref,
        next_attempt_at=act.now,
    )
    claim.virtual_account = bank.gateway().virtual_account_number(lot.bank_code, bank.CLAIM_SERIALS + claim.pk)
    claim.save(update_fields=["virtual_account"])
    g.status = GuaranteeStatus.CLAIMING
    g.closed_at = act.now
    g.version += 1
    g.save(update_fields=["status", "closed_at", "version"])
    payload = {
        "lot_ref": lot.ref,
        "entity_id": g.entity_id,
        "guarantee_no": g.number,
        "claim_ref": claim.ref,
        "amount_fen": claim.amount_fen,
        "reason": why.value,
        "note": note[:200],
    }
    act.witness(g, payload)
    act.emit("finance.guarantee_claimed.v1", g, payload, visibility=RESTRICTED)
    return claim


@_unchanged_is_fine
def do_claim_guarantee(*, actor: Actor, guarantee_no: str, reason: str, note: str = "") -> GuaranteeClaim:
    """Claim (索赔) on a guarantee in a forfeiture case (``reneged``, ``late_withdrawal``, ``refused_contract``):
    platform or staff. The claim (the lot's requirement, at most the guaranteed amount) is sent to the issuer by
    the clock. Idempotent: a guarantee already claimed returns its claim. ``finance.guarantee_not_claimable``
    (released, expired …), ``finance.guarantee_expired``."""
    _require_staff(actor)
    why = _forfeit_reason(reason)
    with action(actor, "finance.claim_guarantee") as act:
        found = _guarantee_or_404(normalise_number(guarantee_no))
        lock_objects.lot_qs_for_update(found.lot.ref).first()
        g = _guarantee_or_404(found.number or "", lock=True)
        existing = GuaranteeClaim.objects.filter(guarantee=g).first()
        if existing is not None:
            raise _NoChange(existing)
        if g.status != GuaranteeStatus.VALID:
            raise Conflict(
                "finance.guarantee_not_claimable",
                "该保函当前状态不能索赔",
                "This guarantee cannot be claimed in its current status",
                {"guarantee_no": g.number, "status": g.status},
            )
        return _claim(act, g, why, note)


@dataclass(frozen=True)
class ForfeitOutcome:
    entry: JournalEntry | None  # the forfeiture of cash held, if any
    claims: list[GuaranteeClaim]  # claims on the bidder's guarantees for the lot


def do_forfeit_security(
    *, actor: Actor, lot_ref: str | tuple[str, str], entity_id: int, reason: str, note: str = ""
) -> ForfeitOutcome:
    """Forfeit whatever secures a bidder's deposit for a lot, by rule: the cash held (as
    :func:`~yiwang.services.finance.actions.do_forfeit_deposit`) **and** a claim on each guarantee in force.
    For the trading contexts, which need not know how the bidder paid. ``finance.nothing_to_forfeit`` when
    neither exists."""
    from yiwang.services.finance import actions as deposit_actions

    _require_staff(actor)
    ref = normalise_lot_ref(lot_ref)
    why = _forfeit_reason(reason)
    with action(actor, "finance.forfeit_security") as act:
        lot = _lot_or_404(ref, lock=True)
        entry = None
        deposit = Deposit.objects.filter(lot=lot, entity_id=entity_id).first()
        if deposit is not None and ledger.balance_of(deposit.account) > 0:
            entry = deposit_actions.do_forfeit_deposit(
                actor=actor, lot_ref=ref, entity_id=entity_id, reason=why.value, note=note
            )
        claims = [
            _claim(act, g, why, note)
            for g in lock_objects.guarantees_for_update(lot=lot, entity_id=entity_id, status=GuaranteeStatus.VALID)
        ]
        if entry is None and not claims:
            raise Conflict(
                "finance.nothing_to_forfeit",
                "该投标人没有可没收的保证金或可索赔的保函",
                "Nothing secures this bidder's deposit: no cash held, no guarantee in force",
                {"lot_ref": ref, "entity_id": entity_id},
            )
        act.witness(
            lot,
            {
                "entity_id": entity_id,
                "reason": why.value,
                "cash_entry": entry.key if entry else None,
                "claims": [c.ref for c in claims],
            },
        )
        return ForfeitOutcome(entry, claims)


@_unchanged_is_fine
def do_instruct_claim(*, actor: Actor, claim_id: int) -> issuers.ClaimInstruction | None:
    """Prepare (or re-send, after its retry delay) the instruction of an unpaid claim; ``None`` when there is
    nothing to send now."""
    with action(actor, "finance.instruct_claim") as act:
        claim = lock_objects.claim_qs_for_update(claim_id).first()
        if claim is None or claim.status == ClaimStatus.PAID or claim.next_attempt_at > act.now:
            raise _NoChange(None)
        g = claim.guarantee
        if claim.status == ClaimStatus.PENDING:
            claim.status = ClaimStatus.INSTRUCTED
            claim.instructed_at = act.now
        claim.attempts += 1
        claim.next_attempt_at = act.now + retry_delay(claim.attempts)
        claim.save(update_fields=["status", "instructed_at", "attempts", "next_attempt_at"])
        act.witness(claim, {"claim_ref": claim.ref, "attempt": claim.attempts, "amount_fen": claim.amount_fen})
        beneficiary = registry.get_entity_ref(g.beneficiary_entity_id)
        return issuers.ClaimInstruction(
            issuer_uscc=g.issuer.uscc,
            issuer_name=g.issuer.name,
            guarantee_no=g.number or "",
            claim_ref=claim.ref,
            amount_fen=claim.amount_fen,
            reason=claim.reason,
            lot_ref=g.lot.ref,
            beneficiary_name=beneficiary.name if beneficiary else "",
            bank_code=claim.bank_code,
            pay_to_virtual_account=claim.virtual_account,
            pay_to_name=bank.bank_name(claim.bank_code),
        )


def send_claim(claim_id: int, *, actor: Actor | None = None) -> bool:
    """Send one due claim to its issuer and post the bank notices that come back. True when it was sent."""
    from yiwang.services.finance.actions import receive_bank_notice

    instruction = do_instruct_claim(actor=actor or Actor.system("clock"), claim_id=claim_id)
    if instruction is None:
        return False
    for notice in issuers.port().send_claim(instruction):
        receive_bank_notice(bank_code=notice.bank_code, body=notice.body, signature=notice.signature)
    return True


def post_claim_credit(act: ActionRecorder, notice: BankNotice, claim_id: int, bank_account) -> bool:
    """Post a bank receipt into a claim's virtual account (called while posting the notice). Returns False
    when the receipt is not the expected payment (wrong amount or currency, or the claim is already paid): the
    caller then holds it in suspense with an alert."""
    claim = lock_objects.claim_qs_for_update(claim_id).first()
    if claim is None or claim.status == ClaimStatus.PAID:
        return False
    if notice.amount_fen != claim.amount_fen or notice.currency != "CNY":
        return False
    g = lock_objects.guarantees_for_update(pk=claim.guarantee_id).get()
    lot = g.lot
    forfeit = ledger.ensure_account(ledger.forfeit_code(lot.ref), AccountKind.FORFEITED, act.now, lot=lot)
    entry = ledger.post(
        kind=JournalKind.GUARANTEE_CLAIMED,
        key=f"claim:{claim.pk}",
        legs=[dr(bank_account, claim.amount_fen), cr(forfeit, claim.amount_fen), *_reverse_memo(g)],
        effective_at=notice.booked_at,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        lot=lot,
        memo=f"保函索赔款到账 {g.number}",
        source=("finance.banknotice", str(notice.pk)),
    )
    claim.status = ClaimStatus.PAID
    claim.paid_at = entry.effective_at
    claim.entry = entry
    claim.save(update_fields=["status", "paid_at", "entry"])
    g.status = GuaranteeStatus.CLAIMED
    g.version += 1
    g.save(update_fields=["status", "version"])
    notice.status = NoticeStatus.POSTED
    notice.entry = entry
    payload = {
        "lot_ref": lot.ref,
        "entity_id": g.entity_id,
        "guarantee_no": g.number,
        "claim_ref": claim.ref,
        "amount_fen": claim.amount_fen,
        "entry": entry.key,
    }
    act.witness(g, payload)
    act.emit("finance.guarantee_claim_paid.v1", g, payload, visibility=RESTRICTED)
    return True


# -- release, expiry, notification -------------------------------------------------------------------------------------


def _release(act: ActionRecorder, g: Guarantee, status: GuaranteeStatus, reason: str) -> None:
    entry = ledger.post(
        kind=JournalKind.GUARANTEE_RELEASED,
        key=f"guarantee_release:{g.pk}",
        legs=_reverse_memo(g),
        effective_at=act.now,
        recorded_at=act.now,
        actor_ref=act.actor.ref,
        lot=g.lot,
        memo=f"保函{'释放' if status is GuaranteeStatus.RELEASED else '失效'}（备查）{g.number}",
        source=("finance.guarantee", str(g.pk)),
    )
    g.status = status
    g.closed_at = act.now
    g.release_reason = reason[:20]
    g.notify_next_at = act.now
    g.version += 1
    g.save(update_fields=["status", "closed_at", "release_reason", "notify_next_at", "version"])
    payload = {
        "lot_ref": g.lot.ref,
        "entity_id": g.entity_id,
        "guarantee_no": g.number,
        "status": status.value,
        "reason": reason,
        "entry": entry.key,
    }
    act.witness(g, payload)
    act.emit(f"finance.guarantee_{status.value}.v1", g, payload, visibility=RESTRICTED)


def release_lot_guarantees(
    act: ActionRecorder,
    lot: Lot,
    reason: str,
    entity_ids: Iterable[int] | None = None,
    except_entity_ids: Iterable[int] = (),
) -> list[Guarantee]:
    """Release the guarantees in force of a lot (all, or of ``entity_ids``, minus ``except_entity_ids``) inside
    the caller's action (the lot is locked by the caller)."""
    excluded = set(except_entity_ids)
    filters: dict[str, object] = {"lot": lot, "status": GuaranteeStatus.VALID}
    if entity_ids is not None:
        filters["entity_id__in"] = list(entity_ids)
    released = []
    for g in lock_objects.guarantees_for_update(**filters):
        if g.entity_id in excluded:
            continue
        _release(act, g, GuaranteeStatus.RELEASED, reason)
        released.append(g)
    return released


def do_release_guarantees(
    *,
    actor: Actor,
    lot_ref: str | tuple[str, str],
    reason: str,
    entity_ids: Iterable[int] | None = None,
    except_entity_ids: Iterable[int] = (),
) -> list[Guarantee]:
    """Release a lot's guarantees in force (``reason`` as for deposits: ``loser`` | ``winner`` | ``withdrawal`` |
    ``terminated``); each issuer is told by the clock. ``do_release_deposits`` does this as well."""
    _require_caller(actor)
    ref = normalise_lot_ref(lot_ref)
    why = _check_reason(reason)
    with action(actor, "finance.release_guarantees") as act:
        lot = _lot_or_404(ref, lock=True)
        released = release_lot_guarantees(act, lot, why.value, entity_ids, except_entity_ids)
        act.witness(lot, {"reason": why.value, "guarantees": [g.number for g in released]})
        return released


def do_release_guarantee(*, actor: Actor, guarantee_no: str, reason: str) -> Guarantee:
    """Release one guarantee in force. ``finance.guarantee_not_releasable`` when it is not in force."""
    _require_caller(actor)
    why = _check_reason(reason)
    with action(actor, "finance.release_guarantee") as act:
        found = _guarantee_or_404(normalise_number(guarantee_no))
        lock_objects.lot_qs_for_update(found.lot.ref).first()
        g = _guarantee_or_404(found.number or "", lock=True)
        if g.status != GuaranteeStatus.VALID:
            raise Conflict(
                "finance.guarantee_not_releasable",
                "该保函当前状态不能释放",
                "This guarantee is not in force",
                {"guarantee_no": g.number, "status": g.status},
            )
        _release(act, g, GuaranteeStatus.RELEASED, why.value)
        return g


@_unchanged_is_fine
def do_expire_guarantees(*, actor: Actor, now: datetime, limit: int = 200) -> int:
    """The clock: guarantees in force whose validity ended become expired (cover reversed, issuer told); each
    raises an alert, since it ended before the procedure released it."""
    ids = list(
        Guarantee.objects.filter(status=GuaranteeStatus.VALID, end_at__lte=now)
        .order_by("end_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    done = 0
    with action(actor, "finance.expire_guarantees") as act:
        for g in lock_objects.guarantees_for_update(pk__in=ids, status=GuaranteeStatus.VALID):
            _release(act, g, GuaranteeStatus.EXPIRED, "expired")
            _raise_alert(
                act,
                f"guarantee_expired:{g.pk}",
                AlertKind.GUARANTEE_EXPIRED,
                lot=g.lot,
                entity_id=g.entity_id,
                guarantee=g,
                details={"guarantee_no": g.number, "end_at": iso_utc(g.end_at) if g.end_at else None},
            )
            done += 1
        if not done:
            raise _NoChange(0)
        return done


@_unchanged_is_fine
def do_record_issuer_notified(*, actor: Actor, guarantee_id: int, delivered: bool) -> Guarantee | None:
    """Record the outcome of telling an issuer about a release or expiry (retried after a delay if it failed)."""
    with action(actor, "finance.record_issuer_notified") as act:
        g = lock_objects.guarantees_for_update(pk=guarantee_id).first()
        if g is None or g.issuer_notified_at is not None:
            raise _NoChange(g)
        g.notify_attempts += 1
        if delivered:
            g.issuer_notified_at = act.now
            g.notify_next_at = None
        else:
            g.notify_next_at = act.now + retry_delay(g.notify_attempts)
        g.save(update_fields=["notify_attempts", "issuer_notified_at", "notify_next_at"])
        act.witness(g, {"issuer_notified": delivered, "attempt": g.notify_attempts, "status": g.status})
        return g


def notify_issuer(guarantee_id: int, *, actor: Actor | None = None) -> bool:
    """Tell the issuer that its guarantee was released or expired (the clock calls this). True if delivered."""
    runner = actor or Actor.system("clock")
    g = Guarantee.objects.select_related("issuer").filter(pk=guarantee_id).first()
    if (
        g is None
        or g.issuer_notified_at is not None
        or g.status not in (GuaranteeStatus.RELEASED, GuaranteeStatus.EXPIRED)
    ):
        return False
    notice = issuers.ReleaseNotice(
        issuer_uscc=g.issuer.uscc,
        guarantee_no=g.number or "",
        status=g.status,
        reason=g.release_reason,
        at=iso_utc(g.closed_at) if g.closed_at else "",
    )
    try:
        issuers.port().notify_release(notice)
    except Exception:
        do_record_issuer_notified(actor=runner, guarantee_id=guarantee_id, delivered=False)
        raise
    do_record_issuer_notified(actor=runner, guarantee_id=guarantee_id, delivered=True)
    return True
