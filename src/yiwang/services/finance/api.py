"""Finance API (``/api/v1/finance``): the bank-notification endpoint, bidders' deposits, staff views and the
public fee schedule.

- ``POST /bank/{bank_code}/notices``: a bank (the simulated one for now) posts a signed notice: the raw JSON
  body, signed in ``X-Bank-Signature`` (``hmac-sha256=<hex>``). Idempotent by the bank's reference: a
  duplicate answers 200 with ``duplicate: true`` and posts nothing. A bad signature is refused (401) and
  nothing is stored.
- Deposits: a bidder's users see their own; before the opening nobody else does (404, the same answer as
  for a deposit that does not exist). Staff, regulators and auditors see a lot's counts before the opening
  and its rows after.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.routing import creates
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS
from yiwang.services.finance import actions, queries
from yiwang.services.finance.bank import SIGNATURE_HEADER
from yiwang.services.finance.schemas import (
    AlertOut,
    AssignIn,
    DepositOut,
    FeeQuoteOut,
    FeeScheduleOut,
    LateRefundOut,
    LotDepositsOut,
    LotOut,
    NoticeReceiptOut,
    OpenDepositIn,
    ReconciliationOut,
    SatisfactionOut,
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


# -- lots and deposits ------------------------------------------------------------------------------------------------


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


# -- staff ------------------------------------------------------------------------------------------------------------


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


# -- public fee schedule ----------------------------------------------------------------------------------------


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
