"""API shapes of the catalog context."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class VersionSummary(Schema):
    list: str
    number: int
    status: str
    status_label: str
    effective_from: date
    title: str
    note: str
    source: str
    created_at: datetime
    created_by: str
    published_at: datetime | None
    published_by: str
    based_on: int | None
    etag_version: int


class ItemOut(Schema):
    key: str
    item_type: str
    title_zh: str
    sort: int
    data: dict[str, Any]


class VersionOut(VersionSummary):
    items: list[ItemOut]


class ListOut(Schema):
    list: str
    label_zh: str
    description_zh: str
    in_effect: VersionSummary | None
    draft: int | None


class DraftIn(Schema):
    effective_from: date
    title: str = Field("", max_length=200)
    note: str = Field("", max_length=4000)


class DraftPatch(Schema):
    effective_from: date | None = None
    title: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=4000)


class ItemIn(Schema):
    key: str = Field(..., max_length=80)
    item_type: str = Field(..., max_length=20)
    title_zh: str = Field(..., max_length=200)
    sort: int = 0
    data: dict[str, Any] = {}


class ChangeOut(Schema):
    key: str
    change: str
    title_zh: str
    fields: list[list[Any]]


class RuleOut(Schema):
    rule_id: str
    value: int | str
    value_text: str
    unit: str
    kind: str
    anchor: str
    title_zh: str
    source: str
    document: str
    article: str
    version: int
    effective_from: date


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None


class CodeEntryOut(Schema):
    code: str
    label_zh: str
    label_en: str


class CodeTableOut(Schema):
    name: str
    title_zh: str
    title_en: str
    spec_ref: str
    note: str
    entries: list[CodeEntryOut] = []


class HolidayDayOut(Schema):
    day: date
    kind: str
    name: str


class HolidayYearOut(Schema):
    year: int
    provisional: bool
    notice: str
    source: str
    note: str
    revision: int
    updated_at: datetime
    updated_by: str
    days: list[HolidayDayOut] = []


class HolidayYearIn(Schema):
    off: str = Field(..., max_length=4000, description="每行 YYYY-MM-DD[..YYYY-MM-DD] 名称")
    makeup: str = Field("", max_length=4000)
    provisional: bool = False
    notice: str = Field("", max_length=200)
    source: str = Field("", max_length=300)
    note: str = Field("", max_length=4000)


class PeriodOut(Schema):
    start: datetime
    amount: int
    unit: str
    kind: str
    rule_id: str | None
    result: datetime
    last_day: date
    calendar_years: list[int]
    provisional_years: list[int]


class PeriodQuery(Schema):
    start: datetime = Field(..., description="起算时刻（ISO 8601；无时区的按上海时间）")
    amount: int | None = None
    unit: str | None = None
    kind: str = "max_delay"
    rule: str | None = Field(None, description="规则目录中的规则键；给出时使用其数值、单位和类型")
