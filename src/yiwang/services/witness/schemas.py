"""API shapes of on-site witness records."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import AwareDatetime

from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS

READ_ERRORS: dict[int, Any] = ERRORS
ACT_ERRORS: dict[int, Any] = CREATE_ERRORS

KINDS = (
    "opening_start 开标开始 · opening_end 开标结束 · evaluation_start 评标开始 · evaluation_end 评标结束 · "
    "irregularity 异常情况 · onsite_objection 现场质疑 · equipment_failure 设备故障 · other 其他"
)


class RecordIn(Schema):
    kind: str = Field(description=KINDS)
    description: str
    region_code: str = Field(description="发生地（场所）行政区划代码")
    occurred_at: AwareDatetime | None = Field(None, description="发生时间（缺省为记录时刻，不得晚于当前）")
    owner_ref: str = Field("", description="业务对象引用，如 tender.section:12")
    booking_ref: str = Field("", description="场所预约引用，如 venues.booking:7")
    title: str = ""
    place: str = ""
    report: bool | None = Field(None, description="是否报送监管（缺省：异常情况、现场质疑报送）")
    document_ids: list[UUID] = Field([], description="先经 /api/v1/files 上传的附件")


class CorrectionIn(Schema):
    reason: str
    description: str
    kind: str | None = None
    occurred_at: AwareDatetime | None = None
    report: bool | None = None
    keep_attachments: bool = True
    document_ids: list[UUID] = []


class AttachmentOut(Schema):
    document_id: str
    filename: str
    mime_type: str
    size: int
    sha256: str
    sm3: str
    url: str


class RecordOut(Schema):
    id: int
    kind: str
    kind_label: str
    description: str
    occurred_at: datetime
    recorded_at: datetime
    region_code: str
    owner_ref: str
    booking_ref: str
    title: str
    place: str
    flagged: bool = Field(description="已报送监管")
    corrects_id: int | None
    corrected_by_id: int | None
    correction_reason: str
    recorded_by_label: str
    attachments: list[AttachmentOut]


class RecordQuery(Schema):
    region: str | None = None
    owner_ref: str | None = None
    booking_ref: str | None = None
    kind: str | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    current_only: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class PeriodQuery(Schema):
    region: str
    start: AwareDatetime
    end: AwareDatetime
