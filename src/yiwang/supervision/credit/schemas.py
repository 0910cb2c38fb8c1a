"""API shapes of the credit context."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS

READ_ERRORS: dict[int, Any] = ERRORS
ACT_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 412: ERRORS[422]}


class RecordIn(Schema):
    entity_id: int = Field(description="主体库中的市场主体编号")
    kind: str = Field(
        description=(
            "penalty 行政处罚 | violation 不良行为 | blacklist 黑名单 | redlist 红名单 | award 表彰 | "
            "performance 履约评价"
        )
    )
    severity: str = Field("", description="失信程度（不良记录必填）：minor | general | serious")
    level: str = Field("", description="履约评价等级：excellent | good | qualified | unqualified")
    title: str = Field(description="事由摘要")
    facts: str = Field(description="违法违规事实或表彰事由")
    decision_number: str = Field("", description="决定文书号")
    authority: str = Field(description="决定（认定）机关")
    basis: str = Field(description="依据（法规名称及条款）")
    source: str = Field("regulator", description="regulator | external | complaint")
    source_ref: str = Field("", description="来源编号（外部平台案号、投诉编号）")
    decided_on: str = Field(description="决定日期 YYYY-MM-DD")
    starts_on: str | None = Field(None, description="有效期起（缺省：决定日期）")
    ends_on: str | None = Field(None, description="有效期止（含当日；缺省：长期）")
    confined_actions: list[str] = Field(
        default_factory=list, description="限制事项：bidding | auction | registration | agency"
    )
    region_code: str = Field(description="录入机关所在行政区划，须在您的管辖范围内")


class RecordOut(Schema):
    id: int
    entity_id: int
    subject_code: str
    subject_name: str
    kind: str
    kind_label: str
    severity: str
    severity_label: str
    level: str
    level_label: str
    title: str
    facts: str
    decision_number: str
    authority: str
    basis: str
    source: str
    source_label: str
    source_ref: str
    decided_on: date
    starts_on: date
    ends_on: date | None
    confined_actions: list[str]
    confined_labels: list[str]
    region_code: str
    public_until: date | None
    repairable_from: date | None
    publication_rules: dict[str, Any]
    status: str
    status_label: str
    status_reason: str
    is_public: bool
    in_force: bool
    recorded_at: datetime
    version: int
    full: bool


class RecordPageOut(Schema):
    total: int
    limit: int
    offset: int
    records: list[RecordOut]


class RecordQuery(Schema):
    entity_id: int | None = None
    kind: str | None = None
    status: str | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class EndIn(Schema):
    how: str = Field(description="revoked 撤销 | removed 移出名单")
    reason: str


class ReasonOut(Schema):
    record_id: int
    kind: str
    kind_label: str
    title: str
    authority: str
    decision_number: str
    basis: str
    starts_on: date
    ends_on: date | None
    actions: list[str]


class RestrictionOut(Schema):
    entity_id: int
    action: str
    on: date
    restricted: bool
    reasons: list[ReasonOut]


class ProfileOut(Schema):
    entity_id: int
    name: str
    uscc: str | None
    region_code: str
    records: list[RecordOut]
    blacklisted: bool
    redlisted: bool
    restrictions: dict[str, list[ReasonOut]]
    grade: dict[str, Any] | None
    full: bool


class SearchHitOut(Schema):
    entity_id: int
    name: str
    uscc: str | None
    region_name: str
    published: int
    blacklisted: bool
    redlisted: bool


class RepairIn(Schema):
    record_id: int
    reason: str = Field(description="纠正失信行为、履行法定义务的情况")
    commitment: str = Field(description="信用承诺")


class DecideIn(Schema):
    approve: bool
    reason: str = ""


class RepairOut(Schema):
    id: int
    record_id: int
    record_title: str
    entity_id: int
    subject_name: str
    region_code: str
    reason: str
    commitment: str
    status: str
    status_label: str
    filed_at: datetime
    due_at: datetime
    due_rule: dict[str, Any]
    overdue: bool
    decided_at: datetime | None
    decision_reason: str
    decided_late: bool
    version: int


class CheckIn(Schema):
    checkpoint: str = Field("manual", description="核查节点（manual、registration、tender.bid_deadline …）")
    owner_ref: str = Field("", description="为哪个交易活动核查（如 tender.section:12）")


class CheckOut(Schema):
    id: int
    entity_id: int
    subject_code: str
    subject_name: str
    checkpoint: str
    owner_ref: str
    checked_at: datetime
    answers: list[dict[str, Any]]
    hit_count: int
    unavailable: int
    digest: str
