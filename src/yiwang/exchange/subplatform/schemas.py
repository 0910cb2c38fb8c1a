"""API schemas of the sub-platform exchange."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class FieldErrorOut(Schema):
    code: str = Field(description="exchange.field_required, exchange.too_long, exchange.bad_code …")
    field: str = Field(description="the field path in the record (spec name), empty for the whole record")
    message_zh: str
    message_en: str
    details: dict[str, Any] = {}


class ItemOut(Schema):
    index: int = Field(description="position in the request (0 for a single record)")
    dataset: str
    key: str | None = Field(description="the record key: key field values joined by |")
    outcome: str = Field(description="created | updated | deleted | unchanged | refused")
    version: int | None = None
    record_id: int | None = None
    errors: list[FieldErrorOut] = []


class PushOut(Schema):
    receipt_id: int | None = Field(description="the receipt of the stored versions (none when nothing was stored)")
    accepted: int
    unchanged: int
    refused: int
    results: list[ItemOut]


class BatchItemIn(Schema):
    dataset: str = Field(description="dataset table name, e.g. TENDER_PROJECT")
    record: dict[str, Any] = Field(description="the record with the spec's field names, DATA_TYPE 1/2/3")


class BatchIn(Schema):
    records: list[BatchItemIn] = Field(description="1–1000 records, applied in order")


class FieldDefOut(Schema):
    name: str
    name_zh: str
    type: str
    max_length: int
    mandatory: bool
    code_table: str | None
    inferred: bool
    public: bool


class DatasetOut(Schema):
    table: str
    data_no: str
    name_zh: str
    category: str
    keys: list[str]
    parent: str | None
    notice: bool
    personal_data: bool
    feed_type: str = Field(description="the feed event type of this dataset's records (GET /feed?type=…)")
    fields: list[FieldDefOut]


class CertificateOut(Schema):
    fingerprint: str
    subject: str
    added_at: datetime
    removed_at: datetime | None


class SubPlatformOut(Schema):
    platform_code: str
    catalog_key: str
    name: str
    client_id: str
    region_code: str
    is_active: bool
    registered_at: datetime
    certificates: list[CertificateOut]


class SubPlatformIn(Schema):
    platform_code: str = Field(description="交易系统标识码: the operator's USCC, listed in the 平台目录")
    client_id: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    region_code: str = Field(description="the region the sub-platform serves (GB/T 2260)")
    certificate: str = Field(description="its signing certificate: PEM or base64 DER")
    name: str = Field("", max_length=200)


class SubPlatformCreatedOut(SubPlatformOut):
    client_secret: str = Field(description="shown once; the hub stores only its hash")


class RecordOut(Schema):
    id: int
    dataset: str
    key: str
    platform_code: str
    title: str
    version: int
    data_type: str
    data_timestamp: str
    deleted: bool
    digest: str
    received_at: datetime
    full: bool = Field(description="false: only the dataset's public fields are shown")
    content: dict[str, Any]


class QualityOut(Schema):
    platform_code: str
    name: str
    accepted: int
    refused: int
    rate: float | None = Field(description="accepted / (accepted + refused); null when nothing was pushed")
    top_codes: list[list[Any]] = Field(description="the most frequent refusal codes: [code, count]")
    completeness: float | None = Field(description="mean share of the datasets' own fields filled (0..1)")
    mean_lag_hours: float | None = Field(description="mean hours from the event's own time to the hub's receipt")


class DayOut(Schema):
    platform_code: str
    dataset: str
    day: str
    count: int
    live: int
    deleted: int
    digest: str = Field(description="SHA-256 of the canonical JSON of the sorted [key, DATA_TIMESTAMP, digest] rows")


class ThresholdOut(Schema):
    rule_id: str
    title_zh: str
    value: str = Field(description="decimal text")
    unit: str = Field(description="percent | hour")
    kind: str = Field(description="minimum | cap | max_delay")
    source: str
    centre_setting: bool = Field(description="true: the centre's own figure (no national figure exists)")


class MeasureOut(Schema):
    measure: str = Field(description="acceptance | completeness | timeliness | consistency | duplicates")
    name_zh: str
    numerator: int
    denominator: int
    value: str | None = Field(description="percent with 2 decimals; null when nothing was measured")
    threshold: ThresholdOut | None
    passed: bool | None = Field(description="null: nothing measured or no threshold")
    note: str


class FindingOut(Schema):
    measure: str
    rule: str = Field(description="quality.stage_missing | quality.stage_order | quality.duplicate_content | …")
    dataset: str
    key: str = Field(description="the record key (sha256:… for datasets with personal data)")
    record_id: int | None
    message_zh: str
    related: list[list[str]] = Field(description="[dataset, key] of the other records concerned")
    value: str


class TrendOut(Schema):
    month: str
    measures: list[MeasureOut]


class MonthlyReportOut(Schema):
    platform_code: str
    name: str
    month: str = Field(description="yyyy-MM, Beijing time")
    passed: bool | None
    measures: list[MeasureOut]
    timely_within: ThresholdOut | None
    findings: list[FindingOut] = Field(description="every finding of the month, by measure")
    trend: list[TrendOut] = Field(description="earlier months since registration, oldest first")
    disclosure: str = Field(description="the disclosure rate is not computed: why")
