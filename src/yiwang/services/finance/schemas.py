"""API schemas of finance. Money is integer fen; times are ISO 8601 (UTC)."""

from __future__ import annotations

from datetime import date, datetime
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
    via: str = Field(default="", description="cash | letter | policy | empty when not satisfied")
    guarantee_no: str | None = None
    guarantee_fen: int = 0


class LotDepositsOut(Schema):
    lot: LotOut
    opened: bool
    accounts: int
    satisfied: int
    held_fen: int | None
    rows: list[DepositOut] | None
    guarantees: int = 0
    guarantee_rows: list[GuaranteeOut] | None = None


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
    deals: list[DealReconOut] = []


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


class DealReconOut(Schema):
    deal_ref: str
    ledger_in_fen: int
    ledger_out_fen: int
    bank_in_fen: int
    bank_out_fen: int
    difference_fen: int


# -- e-guarantees ------------------------------------------------------------------------------------------------------


class IssuerOut(Schema):
    id: int
    entity_id: int
    name: str
    uscc: str
    kind: str = Field(description="bank | insurer | guarantor")
    kind_label: str
    status: str = Field(description="active | suspended")
    status_label: str
    status_reason: str
    certificates: int
    forms: list[str] = Field(description="letter (电子保函) and/or policy (保证保险保单)")


class IssuerIn(Schema):
    entity_id: int = Field(gt=0)
    kind: str = Field(description="bank | insurer | guarantor", max_length=12)
    certificates: list[str] = Field(default=[], max_length=10, description="PEM signing certificates")
    note: str = Field(default="", max_length=300)


class CertificateIn(Schema):
    certificate: str = Field(min_length=20, max_length=20000, description="PEM or base64 DER")


class IssuerStatusIn(Schema):
    status: str = Field(description="active | suspended", max_length=12)
    reason: str = Field(default="", max_length=300)


class GuaranteeApplyIn(Schema):
    entity_id: int = Field(gt=0)
    issuer_id: int = Field(gt=0)
    form: str = Field(default="letter", description="letter (电子保函) | policy (保证保险保单)", max_length=10)


class GuaranteeIssueIn(Schema):
    document: str = Field(
        min_length=2,
        max_length=65536,
        description="the guarantee document: canonical JSON text (spec yiwang-guarantee-v1)",
    )
    signature: str = Field(min_length=8, max_length=4096, description="detached document signature, base64 or hex")
    certificate: str = Field(min_length=20, max_length=20000, description="the signing certificate, PEM")
    letter: str = Field(min_length=4, description="the letter file (PDF/OFD), base64")
    letter_filename: str = Field(default="guarantee.pdf", max_length=200)


class GuaranteeOut(Schema):
    id: int
    application_no: str
    number: str | None
    form: str
    form_label: str
    status: str
    status_label: str
    lot_ref: str
    lot_title: str
    required_fen: int
    opening_at: datetime
    bid_validity_until: datetime | None
    entity_id: int
    entity_name: str
    beneficiary_entity_id: int
    beneficiary_name: str
    issuer_id: int
    issuer_name: str
    issuer_kind_label: str
    amount_fen: int
    cost_fen: int | None
    rate: str | None
    begin_at: datetime | None
    end_at: datetime | None
    letter_time: datetime | None
    md5: str
    sha256: str
    signer_serial: str
    applied_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    release_reason: str
    flagged: bool
    flag_reason: str
    claim_ref: str | None
    claim_status: str | None
    claim_amount_fen: int | None
    claim_paid_at: datetime | None
    issuer_notified_at: datetime | None


class GuaranteeVerificationOut(Schema):
    number: str
    form: str
    form_label: str
    guarantee_type: str
    status: str
    status_label: str
    in_force: bool
    issuer_name: str
    issuer_kind_label: str
    issuer_status: str
    issuer_status_label: str
    amount_fen: int
    lot_ref: str
    lot_title: str
    beneficiary_name: str
    begin_at: datetime | None
    end_at: datetime | None
    letter_time: datetime | None
    md5: str
    sha256: str
    verified_at: datetime | None
    signer_serial: str
    flagged: bool
    opened: bool
    applicant_name: str | None = Field(description="shown from the lot's opening on only")


class ClaimIn(Schema):
    reason: str = Field(description="reneged | late_withdrawal | refused_contract", max_length=20)
    note: str = Field(default="", max_length=200)


class ReleaseIn(Schema):
    reason: str = Field(description="loser | winner | withdrawal | terminated", max_length=20)


class ClaimOut(Schema):
    ref: str
    guarantee_no: str
    amount_fen: int
    reason: str
    status: str
    virtual_account: str
    requested_at: datetime
    paid_at: datetime | None


# -- settlements -------------------------------------------------------------------------------------------------------


class ScheduleItemIn(Schema):
    due_at: datetime
    amount_fen: int = Field(gt=0)


class SettlementIn(Schema):
    deal_ref: str = Field(min_length=3, max_length=120)
    regime: str = Field(max_length=20)
    buyer_entity_id: int = Field(gt=0)
    seller_entity_id: int = Field(gt=0)
    price_fen: int = Field(gt=0)
    contract_effective_at: datetime
    due_at: datetime | None = Field(default=None, description="lump sum: the due date")
    schedule: list[ScheduleItemIn] | None = Field(
        default=None, description="instalments: the first is the down payment"
    )
    lot_ref: str | None = Field(default=None, max_length=120, description="convert the buyer's deposit for this lot")
    convert_deposit: bool = True
    fee_code: str | None = Field(default=None, max_length=60)
    fee_fen: int | None = Field(default=None, ge=0)
    security: str = Field(default="", max_length=300)
    title: str = Field(default="", max_length=200)


class NoteIn(Schema):
    note: str = Field(default="", max_length=200)


class InstalmentOut(Schema):
    seq: int
    due_at: datetime
    principal_fen: int
    interest_fen: int
    total_fen: int
    paid_fen: int
    outstanding_fen: int
    paid_at: datetime | None
    overdue: bool


class PayoutOut(Schema):
    id: int
    amount_fen: int
    status: str
    status_label: str
    instruction_ref: str | None
    payee_account: str
    created_at: datetime
    paid_at: datetime | None


class InvoiceOut(Schema):
    id: int
    kind: str = Field(description="blue | red (冲红)")
    kind_label: str
    status: str = Field(description="pending | issued")
    status_label: str
    number: str | None
    code: str
    issued_on: date | None
    item_name: str
    amount_fen: int = Field(description="tax-inclusive; negative on a red-letter invoice")
    net_fen: int
    tax_fen: int
    tax_rate: str
    buyer_entity_id: int | None
    lot_ref: str | None
    deal_ref: str | None
    original_number: str | None
    sha256: str
    entry_id: int


class SettlementOut(Schema):
    deal_ref: str
    title: str
    lot_ref: str | None
    regime: str
    regime_label: str
    buyer_entity_id: int
    buyer_name: str
    seller_entity_id: int
    seller_name: str
    price_fen: int
    interest_fen: int
    total_due_fen: int
    paid_fen: int
    outstanding_fen: int
    deposit_converted_fen: int
    fee_fen: int
    fee_taken_fen: int
    released_fen: int
    paid_out_fen: int
    held_fen: int
    mode: str
    mode_label: str
    interest_rate: str | None
    security: str
    anchor_at: datetime
    virtual_account: str | None
    bank_name: str
    status: str
    status_label: str
    transfer_confirmed_at: datetime | None
    created_at: datetime
    rules: dict[str, Any]
    instalments: list[InstalmentOut]
    payouts: list[PayoutOut]
    invoices: list[InvoiceOut]


class ReversalIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


class ReversalOut(Schema):
    entry_id: int
    reversal_key: str
    red_invoice: InvoiceOut | None


LotDepositsOut.model_rebuild()
ReconciliationOut.model_rebuild()
