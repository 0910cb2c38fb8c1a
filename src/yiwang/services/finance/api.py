"""Finance API (``/api/v1/finance``): the bank-notification endpoint, bidders' deposits, staff views and the
public fee schedule.

- ``POST /bank/{bank_code}/notices``: a bank (the simulated one for now) posts a signed notice: the raw JSON
  body, signed in ``X-Bank-Signature`` (``hmac-sha256=<hex>``). Idempotent by the bank's reference: a
  duplicate answers 200 with ``duplicate: true`` and posts nothing. A bad signature is refused (401) and
  nothing is stored.
- Deposits: a bidder's users see their own; before the opening nobody else does (404, the same answer as
  for a deposit that does not exist). Staff, regulators and auditors see a lot's counts before the opening
  and its rows after.
- E-guarantees: the public list of issuers; a bidder applies (``POST /lots/{lot_ref}/guarantees``), the issuer
  answers with the signed document (``POST /guarantee-applications/{no}/issue``), anyone verifies a number
  (``GET /guarantees/{no}/verification``); staff claim and release.
- Settlements of deal prices, and invoices of fees.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from yiwang.kernel.errors import InvalidInput
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.routing import acts, creates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS
from yiwang.services.finance import actions, queries
from yiwang.services.finance.bank import SIGNATURE_HEADER
from yiwang.services.finance.schemas import (
    AlertOut,
    AssignIn,
    CertificateIn,
    ClaimIn,
    ClaimOut,
    DepositOut,
    FeeQuoteOut,
    FeeScheduleOut,
    GuaranteeApplyIn,
    GuaranteeIssueIn,
    GuaranteeOut,
    GuaranteeVerificationOut,
    InvoiceOut,
    IssuerIn,
    IssuerOut,
    IssuerStatusIn,
    LateRefundOut,
    LotDepositsOut,
    LotOut,
    NoteIn,
    NoticeReceiptOut,
    OpenDepositIn,
    ReconciliationOut,
    ReleaseIn,
    ReversalIn,
    ReversalOut,
    SatisfactionOut,
    SettlementIn,
    SettlementOut,
    SuspenseOut,
)

router = Router(tags=["finance 金融服务"])
PUBLIC = ActorAuth(required=False)
BASE = "/api/v1/finance"

_NOTICE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["bank", "ref", "kind", "amount_fen", "currency", "booked_at"],
                    "properties": {
                        "bank": {"type": "string"},
                        "ref": {"type": "string", "maxLength": 64},
                        "kind": {"type": "string", "enum": ["credit", "payout"]},
                        "virtual_account": {"type": "string"},
                        "instruction_ref": {"type": "string"},
                        "amount_fen": {"type": "integer", "minimum": 1},
                        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                        "payer_account": {"type": "string"},
                        "payer_name": {"type": "string"},
                        "payer_bank": {"type": "string"},
                        "booked_at": {"type": "string", "format": "date-time"},
                    },
                }
            }
        },
    },
    "parameters": [
        {
            "in": "header",
            "name": SIGNATURE_HEADER,
            "required": True,
            "schema": {"type": "string"},
            "description": "银行签名 hmac-sha256=<hex>（信任层上线后改为 SM2 证书签名）",
        }
    ],
}


@creates(
    router,
    "/bank/{bank_code}/notices",
    auth=PUBLIC,
    response={200: NoticeReceiptOut, 201: NoticeReceiptOut, **CREATE_ERRORS},
    openapi_extra=_NOTICE_BODY,
)
def bank_notice(request: HttpRequest, response: HttpResponse, bank_code: str):
    """银行到账/退款确认通知. 201 when stored (and posted), 200 for a duplicate of a stored notice.
    Errors: ``finance.bad_signature`` (401), ``finance.bank_unknown`` (404), ``finance.notice_invalid`` (422),
    ``finance.notice_ref_reused`` (409)."""
    received = actions.receive_bank_notice(
        bank_code=bank_code, body=request.body, signature=request.headers.get(SIGNATURE_HEADER, "")
    )
    notice = received.notice
    out = {
        "notice_id": notice.pk,
        "bank_ref": notice.bank_ref,
        "status": notice.status,
        "duplicate": received.duplicate,
    }
    return Status(200 if received.duplicate else 201, out)


# -- lots and deposits -------------------------------------------------------------------------------------------------


@router.get("/lots/{lot_ref}", auth=PUBLIC, response={200: LotOut, **ERRORS})
def get_lot(request: HttpRequest, lot_ref: str):
    """A lot's deposit requirement (public: amount, the rules applied, the opening instant)."""
    return queries.get_lot(lot_ref)


@creates(router, "/lots/{lot_ref}/deposits", response={201: DepositOut, **CREATE_ERRORS})
def open_deposit(request: HttpRequest, response: HttpResponse, lot_ref: str, payload: OpenDepositIn):
    """Open (or get) the caller's entity's deposit sub-account for the lot: returns its virtual account number."""
    actor = actor_of(request)
    deposit = actions.do_open_deposit_account(actor=actor, lot_ref=lot_ref, entity_id=payload.entity_id)
    response["Location"] = f"{BASE}/lots/{deposit.lot.ref}/deposits/{deposit.entity_id}"
    return Status(201, queries.get_deposit_for(actor, deposit.lot.ref, deposit.entity_id))


@router.get("/lots/{lot_ref}/deposits", response={200: LotDepositsOut, **ERRORS})
def lot_deposits(request: HttpRequest, lot_ref: str):
    """A lot's deposits (staff, regulators, auditors): counts before the opening, rows after it."""
    return queries.get_lot_deposits_for(actor_of(request), lot_ref)


@router.get("/lots/{lot_ref}/deposits/{entity_id}", auth=PUBLIC, response={200: DepositOut, **ERRORS})
def get_deposit(request: HttpRequest, lot_ref: str, entity_id: int):
    """One bidder's deposit and refunds: the bidder; privileged viewers after the opening; 404 otherwise."""
    return queries.get_deposit_for(actor_of(request), lot_ref, entity_id)


class AtQuery(Schema):
    at: datetime | None = None


@router.get("/lots/{lot_ref}/deposits/{entity_id}/satisfaction", auth=PUBLIC, response={200: SatisfactionOut, **ERRORS})
def satisfaction(request: HttpRequest, lot_ref: str, entity_id: int, filters: Query[AtQuery]):
    """Has the bidder satisfied the deposit at ``at`` (default now)? Visible like the deposit itself."""
    return queries.get_deposit_satisfaction_for(actor_of(request), lot_ref, entity_id, filters.at)


class MineQuery(Schema):
    entity_id: int | None = None


@router.get("/deposits/mine", response={200: list[DepositOut], **ERRORS})
def my_deposits(request: HttpRequest, filters: Query[MineQuery]):
    """我的保证金与退款: the deposits of the entities the caller acts for."""
    return queries.list_my_deposits_for(actor_of(request), filters.entity_id)


# -- staff -------------------------------------------------------------------------------------------------------------


@router.get("/reconciliation", response={200: ReconciliationOut, **ERRORS})
def reconciliation(request: HttpRequest):
    """Trial balance, suspense, ledger vs bank statement per bank and per lot, late refunds."""
    return queries.get_reconciliation_for(actor_of(request))


@router.get("/suspense", response={200: list[SuspenseOut], **ERRORS})
def suspense(request: HttpRequest):
    """Receipts that could not be attributed (held in suspense, never lost)."""
    return queries.list_suspense_for(actor_of(request))


@creates(router, "/suspense/{notice_id}/assignment", response={201: NoticeReceiptOut, **CREATE_ERRORS})
def assign_suspense(request: HttpRequest, response: HttpResponse, notice_id: int, payload: AssignIn):
    """Staff attribute a suspense receipt to a bidder's deposit for a lot."""
    notice = actions.do_assign_suspense(
        actor=actor_of(request),
        notice_id=notice_id,
        lot_ref=payload.lot_ref,
        entity_id=payload.entity_id,
        note=payload.note,
    )
    return Status(
        201, {"notice_id": notice.pk, "bank_ref": notice.bank_ref, "status": notice.status, "duplicate": False}
    )


@router.get("/refunds/late", response={200: list[LateRefundOut], **ERRORS})
def late_refunds(request: HttpRequest):
    """Refunds paid after their legal deadline and unpaid refunds already past it."""
    return queries.list_late_refunds_for(actor_of(request))


class AlertQuery(Schema):
    kind: str | None = None
    open_only: bool = False


@router.get("/alerts", response={200: list[AlertOut], **ERRORS})
def alerts(request: HttpRequest, filters: Query[AlertQuery]):
    """Alerts for supervision: payer mismatch, shared payer account, suspense, late refunds, missing rules."""
    return queries.list_alerts_for(actor_of(request), kind=filters.kind, open_only=filters.open_only)


# -- public fee schedule -----------------------------------------------------------------------------------------------


def _fee_out(item) -> dict:
    return {
        "code": item.code,
        "title_zh": item.title_zh,
        "method": item.method,
        "basis": item.basis,
        "applies_to": item.applies_to,
        "fixed_fen": item.fixed_fen,
        "note": item.note,
        "confidence": item.confidence,
        "bands": [{"upper_fen": b.upper_fen, "rate_percent": str(b.rate_percent)} for b in item.bands],
    }


@router.get("/fees", auth=PUBLIC, response={200: FeeScheduleOut, **ERRORS})
def fee_schedule(request: HttpRequest):
    """收费标准: the fees of the 服务清单 in effect and the fee table with its sources (public)."""
    return {
        "note": queries.fee_note(),
        "services": queries.catalogue_service_fees(),
        "items": [_fee_out(i) for i in queries.fee_items()],
    }


class QuoteQuery(Schema):
    base_fen: int | None = None


@router.get("/fees/{code}/quote", auth=PUBLIC, response={200: FeeQuoteOut, **ERRORS})
def fee_quote(request: HttpRequest, code: str, filters: Query[QuoteQuery]):
    """The fee of item ``code`` for a base amount (tiered items need ``base_fen``)."""
    return {"code": code, "base_fen": filters.base_fen, "fee_fen": queries.compute_fee(code, filters.base_fen)}


# -- e-guarantees ------------------------------------------------------------------------------------------------------


def _base64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (ValueError, binascii.Error):
        raise InvalidInput(
            "finance.base64_invalid", f"{field} 须为 base64 编码", f"{field} must be base64", {"field": field}
        ) from None


@router.get("/guarantee-issuers", auth=PUBLIC, response={200: list[IssuerOut], **ERRORS})
def guarantee_issuers(request: HttpRequest):
    """保函出具机构名单: the banks, insurers and guarantee companies whose e-guarantees are accepted (public)."""
    return queries.list_guarantee_issuers()


@creates(router, "/guarantee-issuers", response={201: IssuerOut, **CREATE_ERRORS})
def register_issuer(request: HttpRequest, response: HttpResponse, payload: IssuerIn):
    """Staff register an issuer (a registry entity) with its signing certificates (bound via identity.ca)."""
    issuer = actions.do_register_guarantee_issuer(
        actor=actor_of(request),
        entity_id=payload.entity_id,
        kind=payload.kind,
        certificates=payload.certificates,
        note=payload.note,
    )
    response["Location"] = f"{BASE}/guarantee-issuers/{issuer.pk}"
    return Status(201, queries.get_guarantee_issuer(issuer.pk))


@creates(router, "/guarantee-issuers/{issuer_id}/certificates", response={201: IssuerOut, **CREATE_ERRORS})
def add_issuer_certificate(request: HttpRequest, response: HttpResponse, issuer_id: int, payload: CertificateIn):
    """Staff add a signing certificate to an issuer."""
    actions.do_add_issuer_certificate(actor=actor_of(request), issuer_id=issuer_id, certificate=payload.certificate)
    return Status(201, queries.get_guarantee_issuer(issuer_id))


@acts(router, "/guarantee-issuers/{issuer_id}/status", response={200: IssuerOut, **CREATE_ERRORS})
def set_issuer_status(request: HttpRequest, issuer_id: int, payload: IssuerStatusIn):
    """Staff suspend or reactivate an issuer (suspended: new guarantees refused, existing ones flagged)."""
    actions.do_set_issuer_status(
        actor=actor_of(request), issuer_id=issuer_id, status=payload.status, reason=payload.reason
    )
    return queries.get_guarantee_issuer(issuer_id)


@creates(router, "/lots/{lot_ref}/guarantees", response={201: GuaranteeOut, **CREATE_ERRORS})
def apply_guarantee(request: HttpRequest, response: HttpResponse, lot_ref: str, payload: GuaranteeApplyIn):
    """A bidder applies to an issuer for an e-guarantee (letter) or guarantee insurance policy (policy)."""
    actor = actor_of(request)
    g = actions.do_apply_guarantee(
        actor=actor, lot_ref=lot_ref, entity_id=payload.entity_id, issuer_id=payload.issuer_id, form=payload.form
    )
    response["Location"] = f"{BASE}/guarantees/{g.application_no}"
    return Status(201, queries.get_guarantee_for(actor, g.application_no))


@router.get("/guarantees/mine", response={200: list[GuaranteeOut], **ERRORS})
def my_guarantees(request: HttpRequest, filters: Query[MineQuery]):
    """我的保函: the guarantees and applications of the entities the caller acts for."""
    return queries.list_my_guarantees_for(actor_of(request), filters.entity_id)


class PendingQuery(Schema):
    pending_only: bool = False


@router.get("/guarantee-applications", response={200: list[GuaranteeOut], **ERRORS})
def issuer_applications(request: HttpRequest, filters: Query[PendingQuery]):
    """For issuers: the applications and guarantees addressed to the issuer(s) the caller acts for."""
    return queries.list_issuer_applications_for(actor_of(request), pending_only=filters.pending_only)


@acts(router, "/guarantee-applications/{application_no}/issue", response={200: GuaranteeOut, **CREATE_ERRORS})
def issue_guarantee(request: HttpRequest, application_no: str, payload: GuaranteeIssueIn):
    """The issuer answers an application: the signed guarantee document, its signature, the signing
    certificate and the letter file. Verified at once (identity.ca, issuer status, amount, beneficiary, lot,
    validity, digests); a refusal answers with its code and stores nothing."""
    actor = actor_of(request)
    g = actions.do_issue_guarantee(
        actor=actor,
        application_no=application_no,
        document=payload.document.encode("utf-8"),
        signature=payload.signature,
        certificate=payload.certificate,
        letter=_base64(payload.letter, "letter"),
        letter_filename=payload.letter_filename,
    )
    return queries.get_guarantee_for(actor, g.application_no)


@acts(router, "/guarantee-applications/{application_no}/cancellation", response={200: GuaranteeOut, **CREATE_ERRORS})
def cancel_guarantee_application(request: HttpRequest, application_no: str):
    """The bidder withdraws an application the issuer has not answered."""
    actor = actor_of(request)
    g = actions.do_cancel_guarantee_application(actor=actor, application_no=application_no)
    return queries.get_guarantee_for(actor, g.application_no)


@router.get("/guarantees/{number}/verification", auth=PUBLIC, response={200: GuaranteeVerificationOut, **ERRORS})
def verify_guarantee(request: HttpRequest, number: str):
    """保函真伪查验 (public): status, issuer, amount, lot, validity and digests of a guarantee by its number.
    The bidder is shown from the lot's opening on only."""
    return queries.get_guarantee_verification(number)


@router.get("/guarantees/{key}", response={200: GuaranteeOut, **ERRORS})
def get_guarantee(request: HttpRequest, key: str):
    """One guarantee by its number or application number: the bidder, its issuer, privileged viewers after
    the opening (404 otherwise)."""
    return queries.get_guarantee_for(actor_of(request), key)


def _claim_out(claim) -> dict:
    return {
        "ref": claim.ref,
        "guarantee_no": claim.guarantee.number or "",
        "amount_fen": claim.amount_fen,
        "reason": claim.reason,
        "status": claim.status,
        "virtual_account": claim.virtual_account,
        "requested_at": claim.requested_at,
        "paid_at": claim.paid_at,
    }


@acts(router, "/guarantees/{number}/claim", response={200: ClaimOut, **CREATE_ERRORS})
def claim_guarantee(request: HttpRequest, number: str, payload: ClaimIn):
    """Staff claim on a guarantee in a forfeiture case; the issuer is instructed by the clock."""
    claim = actions.do_claim_guarantee(
        actor=actor_of(request), guarantee_no=number, reason=payload.reason, note=payload.note
    )
    return _claim_out(claim)


@acts(router, "/guarantees/{number}/release", response={200: GuaranteeOut, **CREATE_ERRORS})
def release_guarantee(request: HttpRequest, number: str, payload: ReleaseIn):
    """Release a guarantee in force (its issuer is told by the clock)."""
    actor = actor_of(request)
    g = actions.do_release_guarantee(actor=actor, guarantee_no=number, reason=payload.reason)
    return queries.get_guarantee_for(actor, g.number or "")


# -- settlements -------------------------------------------------------------------------------------------------------


@creates(router, "/settlements", response={201: SettlementOut, **CREATE_ERRORS})
def create_settlement(request: HttpRequest, response: HttpResponse, payload: SettlementIn):
    """Staff (or the platform) create the settlement plan of a deal: lump sum or instalments by the rules."""
    actor = actor_of(request)
    s = actions.do_create_settlement(
        actor=actor,
        deal_ref=payload.deal_ref,
        regime=payload.regime,
        buyer_entity_id=payload.buyer_entity_id,
        seller_entity_id=payload.seller_entity_id,
        price_fen=payload.price_fen,
        contract_effective_at=payload.contract_effective_at,
        due_at=payload.due_at,
        schedule=[(i.due_at, i.amount_fen) for i in payload.schedule] if payload.schedule else None,
        lot_ref=payload.lot_ref,
        convert_deposit=payload.convert_deposit,
        fee_code=payload.fee_code,
        fee_fen=payload.fee_fen,
        security=payload.security,
        title=payload.title,
    )
    response["Location"] = f"{BASE}/settlements/{s.deal_ref}"
    return Status(201, queries.get_settlement_for(actor, s.deal_ref))


@router.get("/settlements", response={200: list[SettlementOut], **ERRORS})
def settlements(request: HttpRequest):
    """Settlements where the caller's entity is buyer or seller (all of them for staff, regulators, auditors)."""
    return queries.list_settlements_for(actor_of(request))


@router.get("/settlements/{deal_ref}", response={200: SettlementOut, **ERRORS})
def get_settlement(request: HttpRequest, deal_ref: str):
    """A deal's settlement: plan, payments, releases and payouts, invoices."""
    return queries.get_settlement_for(actor_of(request), deal_ref)


@acts(router, "/settlements/{deal_ref}/transfer-confirmation", response={200: SettlementOut, **CREATE_ERRORS})
def confirm_transfer(request: HttpRequest, deal_ref: str, payload: NoteIn):
    """Staff confirm the transfer (交割): what the buyer paid is released to the seller, fee deducted."""
    actor = actor_of(request)
    s = actions.do_confirm_transfer(actor=actor, deal_ref=deal_ref, note=payload.note)
    return queries.get_settlement_for(actor, s.deal_ref)


# -- invoices ----------------------------------------------------------------------------------------------------------


@router.get("/invoices/mine", response={200: list[InvoiceOut], **ERRORS})
def my_invoices(request: HttpRequest, filters: Query[MineQuery]):
    """我的发票: e-invoices made out to the caller's entities (numbers, amounts, tax)."""
    return queries.list_my_invoices_for(actor_of(request), filters.entity_id)


@acts(router, "/fee-collections/{entry_id}/reversal", response={200: ReversalOut, **CREATE_ERRORS})
def reverse_fee(request: HttpRequest, entry_id: int, payload: ReversalIn):
    """Staff reverse a collected fee; the red-letter invoice negating its invoice follows."""
    actor = actor_of(request)
    reversal = actions.do_reverse_fee(actor=actor, entry_id=entry_id, reason=payload.reason)
    red = next((i for i in queries.list_invoices_for(actor) if i.entry_id == entry_id and i.kind == "red"), None)
    return {"entry_id": entry_id, "reversal_key": reversal.key, "red_invoice": red}
