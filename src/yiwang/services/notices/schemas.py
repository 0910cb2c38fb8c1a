"""API schemas of the notices context (request bodies and responses)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class NoticeIn(Schema):
    owner: str = Field(description="the caller's reference of what the notice is about, e.g. tender.section:34")
    notice_type: str = Field(description="code table notice_type: tender_notice, candidates, award_result …")
    category: str = Field(description="trading category: works, gp, land, state_assets …")
    region_code: str = Field(description="GB/T 2260 region code, e.g. 310112")
    title: str
    body_html: str = Field(description="HTML; sanitised (scripts, event handlers, styles, iframes removed)")
    fields: dict[str, Any] = Field({}, description="the type's structured fields under data-spec names")
    attachments: list[str] = Field([], description="ids of your uploads (/api/v1/files) to attach")
    deal_code: str | None = Field(None, description="统一交易标识码")
    stage: str | None = Field(None, description="stage code; inferred from the disclosure list when omitted")
    publisher_entity_id: int | None = Field(None, description="registry entity publishing it (tenderer, agency)")
    publish: bool = Field(False, description="publish (now, or at publish_at) instead of saving a draft")
    publish_at: datetime | None = Field(None, description="scheduled publication time (with publish=true)")


class NoticePatch(Schema):
    title: str | None = None
    body_html: str | None = None
    fields: dict[str, Any] | None = None
    attachments: list[str] | None = None
    deal_code: str | None = None
    stage: str | None = None


class PublishIn(Schema):
    publish_at: datetime | None = Field(None, description="omit to publish now")


class CorrectionIn(Schema):
    reason: str = Field(description="更正事项/理由")
    title: str | None = None
    body_html: str | None = None
    fields: dict[str, Any] | None = Field(None, description="the full corrected fields (omitted: unchanged)")
    attachments: list[str] | None = None
    publish_at: datetime | None = None


class ReasonIn(Schema):
    reason: str


class VersionOut(Schema):
    id: int
    version: int
    status: str
    published_at: datetime | None


class PdfOut(Schema):
    url: str
    sha256: str
    document_id: str


class NoticeOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    data: dict[str, Any] = Field(description="data-spec names; data_sha256 is the SHA-256 of its canonical JSON")
    data_sha256: str | None
    publish_at: datetime | None
    published_at: datetime | None
    withdrawn_at: datetime | None
    withdraw_reason: str | None
    superseded_by: int | None
    versions: list[VersionOut]
    url: str
    pdf: PdfOut | None
    publisher_entity_id: int | None
    version: int = Field(description="the row's version (ETag)")


class NoticeSummaryOut(Schema):
    id: int
    number: str
    title: str
    notice_type: str
    type_label: str
    category: str
    region_code: str
    stage: str
    status: str
    version: int
    published_at: datetime | None
    amount_fen: int | None
    url: str


class NoticeListOut(Schema):
    items: list[NoticeSummaryOut]
    total: int
    page: int
    size: int
    pages: int


class NoticeListParams(Schema):
    category: str | None = None
    type: str | None = Field(None, description="notice type code")
    region: str | None = Field(None, description="region code (a prefix: 310000 is all of Shanghai)")
    from_: date | None = Field(None, alias="from", description="published on or after this day (Shanghai)")
    to: date | None = Field(None, description="published on or before this day (Shanghai)")
    page: int = Field(1, ge=1, le=100_000)
    size: int = Field(20, ge=1, le=100)


class ObligationIn(Schema):
    owner: str
    category: str
    stage: str
    anchor_at: datetime = Field(description="when the event the deadline counts from happened")
    region_code: str
    occurrence: str = ""
    due_at: datetime | None = Field(None, description="overrides the deadline computed from the rule")
    publisher_entity_id: int | None = None


class ObligationOut(Schema):
    id: int
    owner: str
    occurrence: str
    category: str
    stage: str
    region_code: str
    requirement_key: str
    requirement_title: str
    notice_types: list[str]
    due_rule: str
    rule_kind: str
    anchor_at: datetime
    due_at: datetime | None
    notice_id: int | None
    published_at: datetime | None


class TallyOut(Schema):
    required: int
    on_time: int
    late: int
    missing: int
    pending: int
    rate: str | None = Field(description="on-time share in percent, one decimal (信息公开率)")


class GroupOut(Schema):
    key: str
    label: str
    tally: TallyOut


class ReportRowOut(Schema):
    obligation: ObligationOut
    outcome: str
    outcome_label: str
    late_by_seconds: int | None
    overdue_by_seconds: int | None


class DisclosureOut(Schema):
    date_from: date
    date_to: date
    as_of: datetime
    category: str | None
    region: str | None
    tally: TallyOut
    by_category: list[GroupOut]
    by_requirement: list[GroupOut]
    late: list[ReportRowOut]
    missing: list[ReportRowOut]


class DisclosureParams(Schema):
    from_: date = Field(alias="from", description="first day (Shanghai)")
    to: date = Field(description="last day (Shanghai), inclusive")
    category: str | None = None
    region: str | None = None


class SubscriptionIn(Schema):
    name: str
    query: str = ""
    categories: list[str] = []
    notice_types: list[str] = []
    stages: list[str] = []
    region: str = ""
    min_amount_fen: int | None = None
    max_amount_fen: int | None = None
    email: str = Field("", description="also e-mail new matches to this address")


class SubscriptionPatch(Schema):
    name: str | None = None
    query: str | None = None
    categories: list[str] | None = None
    notice_types: list[str] | None = None
    stages: list[str] | None = None
    region: str | None = None
    min_amount_fen: int | None = None
    max_amount_fen: int | None = None
    email: str | None = None
    active: bool | None = None


class SubscriptionOut(Schema):
    id: int
    name: str
    query: str
    categories: list[str]
    notice_types: list[str]
    stages: list[str]
    region: str
    min_amount_fen: int | None
    max_amount_fen: int | None
    email: str
    active: bool
    created_at: datetime
    version: int
