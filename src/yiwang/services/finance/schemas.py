"""API schemas of finance. Money is integer fen; times are ISO 8601 (UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class NoticeReceiptOut(Schema):
    notice_id: int
    bank_ref: str
    status: str = Field(description="received | posted | suspense | assigned | held | ignored")
    duplicate: bool = Field(description="true when this (bank, reference) had already been received")


class LotOut(Schema):
    ref: str
    title: str
    regime: str
    regime_label: str
    required_fen: int
    base_fen: int | None
    rate: str | None
    opening_at: datetime
    bank_code: str
    bank_name: str
    rules: dict[str, Any]


class RefundOut(Schema):
    id: int
    reason: str
    reason_label: str
    amount_fen: int
    interest_fen: int
    anchor_at: datetime
    due_at: datetime | None
    rule_id: str
    status: str
    status_label: str
    paid_at: datetime | None
    late: bool
    overdue: bool


class DepositOut(Schema):
    id: int
    lot: LotOut
    entity_id: int
    entity_name: str
    virtual_account: str
    bank_code: str
    bank_name: str
    required_fen: int
    paid_fen: int
    balance_fen: int
    status: str
    status_label: str
    satisfied: bool
    opened_at: datetime
    first_paid_at: datetime | None
    satisfied_at: datetime | None
    closed_at: datetime | None
    payer_mismatch: bool
    refunds: list[RefundOut]
    flags: list[str]


class OpenDepositIn(Schema):
    entity_id: int = Field(gt=0)


class SatisfactionOut(Schema):
    lot_ref: str
    entity_id: int
    at: datetime
    required_fen: int
    held_fen: int
    satisfied: bool


class LotDepositsOut(Schema):
    lot: LotOut
    opened: bool
    accounts: int
    satisfied: int
    held_fen: int | None
    rows: list[DepositOut] | None


class SuspenseOut(Schema):
    notice_id: int
    bank_code: str
    bank_ref: str
    virtual_account: str
    amount_fen: int
    currency: str
    payer_account: str
    payer_name: str
    booked_at: datetime
    received_at: datetime


class AssignIn(Schema):
    lot_ref: str = Field(min_length=3, max_length=120)
    entity_id: int = Field(gt=0)
    note: str = Field(default="", max_length=200)


class LateRefundOut(Schema):
    refund: RefundOut
    lot_ref: str
    entity_id: int


class AlertOut(Schema):
    id: int
    kind: str
    kind_label: str
    lot_ref: str | None
    entity_id: int | None
    details: dict[str, Any]
    raised_at: datetime
    resolved_at: datetime | None


class TrialRowOut(Schema):
    kind: str
    label: str
    accounts: int
    debit_fen: int
    credit_fen: int
    balance_fen: int


class BankReconOut(Schema):
    bank_code: str
    ledger_balance_fen: int
    statement_balance_fen: int
    interest_paid_fen: int
    difference_fen: int


class LotReconOut(Schema):
    lot_ref: str
    ledger_in_fen: int
    ledger_out_fen: int
    bank_in_fen: int
    bank_out_fen: int
    difference_fen: int


class ReconciliationOut(Schema):
    at: datetime
    balanced: bool
    reconciled: bool
    total_debit_fen: int
    total_credit_fen: int
    trial_balance: list[TrialRowOut]
    negative_accounts: list[tuple[str, int]]
    suspense_fen: int
    suspense_items: int
    unposted_notices: int
    held_notices: int
    banks: list[BankReconOut]
    lots: list[LotReconOut]
    late_refunds: int
    overdue_unpaid: int


class FeeBandOut(Schema):
    upper_fen: int | None
    rate_percent: str


class FeeItemOut(Schema):
    code: str
    title_zh: str
    method: str
    basis: str
    applies_to: str
    fixed_fen: int | None
    bands: list[FeeBandOut]
    note: str
    confidence: str


class ServiceFeeOut(Schema):
    key: str
    title_zh: str
    provider: str
    fee: str
    basis: str


class FeeScheduleOut(Schema):
    note: str
    services: list[ServiceFeeOut]
    items: list[FeeItemOut]


class FeeQuoteOut(Schema):
    code: str
    base_fen: int | None
    fee_fen: int
