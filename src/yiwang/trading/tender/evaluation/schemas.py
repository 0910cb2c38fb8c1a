"""API schemas of the evaluation context. The actions check every value (with field-located ``evaluation.*``
codes); these only give the shapes (the evaluation configuration, bids and committee request are documented
in ``docs/evaluation.md`` and ``domain/inputs.py``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema


class StartIn(Schema):
    section_ref: str = Field(..., description="the tender context's section, e.g. tender.section:12")
    kind: Literal["works", "goods", "services", "gp_goods", "gp_services", "gp_works"]
    config: dict[str, Any] = Field(..., description="EvaluationConfig (method, items, price_formula, grounds …)")
    rules_snapshot: dict[str, Any] | None = Field(
        None, description="the procedure's rules snapshot (rule id → value); default: the catalogue in effect"
    )
    bids: list[dict[str, Any]] = Field(..., description="BidInput: entity_id, name, price_fen, pseudonym, uscc …")
    committee_request: dict[str, Any] = Field(..., description="CommitteeRequest: lines, meeting window, parties …")


class MemberOut(Schema):
    id: int
    ordinal: int
    label: str
    kind: str
    kind_label: str
    name: str = Field(..., description="blank for viewers who may not see names yet")
    role: str
    role_label: str
    specialty: str
    is_chair: bool
    is_me: bool
    checked_in: bool
    time_short: bool
    signed: bool
    signed_at: datetime | None
    dissent: str


class DocumentOut(Schema):
    index: int
    title: str
    file_name: str


class BidOut(Schema):
    id: int
    seq: int
    pseudonym: str
    name: str
    uscc: str
    entity_id: int
    price_fen: int
    offered_price_fen: int
    evaluated_price_fen: int
    brand: str
    consortium: bool
    status: str
    rejected_stage: str
    veto_reason: str
    review: dict[str, Any]
    abnormally_low: bool
    price_changes: list[dict[str, Any]]
    scores: dict[str, Any] | None
    total: Decimal | None
    rank: int | None
    tie_unresolved: bool
    brand_excluded: bool
    candidate_rank: int | None
    qualification: dict[str, Any]
    documents: list[DocumentOut]
    hints: dict[str, str]


class SheetOut(Schema):
    id: int
    member_id: int
    member_label: str
    stage: str
    status: str
    status_label: str
    content: dict[str, Any] | None = Field(..., description="null when the viewer may not read it yet")
    comments: str
    submitted_at: datetime | None
    version: int
    returned: list[dict[str, Any]]


class ClarificationOut(Schema):
    id: int
    bid_id: int
    pseudonym: str
    status: str
    status_label: str
    basis: dict[str, Any]
    question: str
    respond_by: datetime | None
    answer: str
    answered_at: datetime | None
    accepted: bool | None
    decision_reason: str
    decided_at: datetime | None


class OutlierOut(Schema):
    member_label: str
    bid_id: int
    pseudonym: str
    item: str
    item_name: str
    score: str
    reference: str
    deviation: str
    methods: list[str]


class CheckOut(Schema):
    code: str
    text: str
    source: str


class ItemOut(Schema):
    code: str
    name: str
    category: str
    category_label: str
    max_points: Decimal
    objective: bool
    guidance: str


class EvaluationOut(Schema):
    id: int
    section_ref: str
    project_ref: str
    title: str
    kind: str
    kind_label: str
    method: str
    method_label: str
    scored: bool
    region_code: str
    status: str
    status_label: str
    outcome: str
    outcome_label: str
    meeting_start: datetime
    meeting_end: datetime
    extended_until: datetime | None
    convened_at: datetime | None
    finalised_at: datetime | None
    version: int
    viewer: str
    can_manage: bool
    is_chair: bool
    names_visible: bool
    names_public: bool
    in_meeting: bool
    me: MemberOut | None
    members: list[MemberOut]
    bids: list[BidOut]
    checks: dict[str, list[CheckOut]]
    items: list[ItemOut]
    my_items: list[str]
    my_sheets: dict[str, SheetOut]
    sheets: list[SheetOut]
    progress: dict[str, list[list[str]]]
    clarifications: list[ClarificationOut]
    outliers: list[OutlierOut]
    provisional_outliers: list[OutlierOut]
    rules: dict[str, Any]
    config: dict[str, Any]
    stage_log: list[dict[str, Any]]
    screen: dict[str, Any] | None
    collusion: list[dict[str, Any]]
    pivotal: list[str]
    report_sha256: str
    report_sm3: str
    report_pdf_document: str | None
    extension_due_at: datetime | None
    time_short: int
    draw_id: int | None
    booking_id: int | None
    cancel_reason: str


class EvaluationListItemOut(Schema):
    id: int
    section_ref: str
    title: str
    status: str
    status_label: str
    meeting_start: datetime
    role: str


class CheckInIn(Schema):
    seat_id: int | None = Field(None, description="an expert: the draw seat (experts service)")
    account_id: int | None = Field(None, description="a representative: the account")
    member_id: int | None = Field(None, description="a representative: the member (instead of the account)")
    method: Literal["staff_scan", "staff_manual", "self_confirm"] = "staff_scan"
    code: str = Field("", description="the room's on-site code (self_confirm)")


class ChairIn(Schema):
    member_id: int


class SheetIn(Schema):
    verdicts: dict[str, dict[str, dict[str, Any]]] | None = Field(
        None, description='review stages: {"<bid id>": {"<check>": {"ok": true|false, "note": "…"}}}'
    )
    scores: dict[str, dict[str, str]] | None = Field(None, description='scoring: {"<bid id>": {"<item>": "8.5"}}')
    comments: str = ""


class ReasonIn(Schema):
    reason: str


class OptionalReasonIn(Schema):
    reason: str = ""


class PriceChangeIn(Schema):
    change: Literal["correction", "final_quote", "adjustment"]
    price_fen: int | None = Field(None, description="correction / final_quote: the new price (分)")
    amount_fen: int | None = Field(None, description="adjustment: ± amount (分)")
    reason: str


class ClarificationIssueIn(Schema):
    question: str
    respond_by: datetime


class ClarificationAnswerIn(Schema):
    answer: str


class ClarificationDecisionIn(Schema):
    accept: bool
    reason: str


class ExtensionIn(Schema):
    until: datetime
    reason: str


class AwardedIn(Schema):
    at: datetime | None = None


class SignatureIn(Schema):
    signature: str = Field(..., description="base64 or hex; over the document signing input of the report digest")
    certificate: str = Field(..., description="the member's certificate, PEM or base64 DER")
    dissent: str = Field("", description="不同意见 (the member signs and records it)")


class ReportOut(Schema):
    report: dict[str, Any] | None
    report_sha256: str
    report_sm3: str
    signing_input_sm3: str = Field(..., description="what an SM2 certificate signs (ASCII)")
    signing_input_sha256: str = Field(..., description="what an ECDSA/RSA certificate signs (ASCII)")
    status: str


class SignedOut(Schema):
    member: str
    signed_at: datetime


class CandidateOut(Schema):
    order: int
    entity_id: int
    name: str
    uscc: str
    price_fen: int
    evaluated_price_fen: int
    total: Decimal | None
    rank: int


class LinkOut(Schema):
    url: str
    expires_in: int


class SeatedOut(Schema):
    seated: bool
