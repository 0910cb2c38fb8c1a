"""API shapes of the red-flag engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS

READ_ERRORS: dict[int, Any] = ERRORS
ACT_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 412: ERRORS[422], 413: ERRORS[422]}


class ParameterOut(Schema):
    name: str
    default: Any
    kind: str
    description_zh: str
    description_en: str
    value: Any = None


class IndicatorOut(Schema):
    code: str
    name_zh: str
    name_en: str
    family: str
    family_label: str
    units: list[str]
    unit_labels: list[str]
    basis: str
    description_zh: str
    description_en: str
    interpretation_zh: str
    procedures: list[str]
    min_population: int
    needs: list[str]
    weight: float
    parameters: list[ParameterOut]


class PlatformRunIn(Schema):
    region_code: str = Field(description="筛查范围（行政区划代码），须在您的监管范围内")
    codes: list[str] | None = Field(None, description="指标编码（缺省：全部）")
    parameters: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="参数覆盖：{指标编码: {参数: 值}}；“*” 表示所有具有该参数的指标"
    )
    min_alert_score: float = Field(0.5, description="生成预警的综合得分下限（0–1）")
    max_alerts: int = Field(200, ge=0, le=5000)


class RunOut(Schema):
    id: int
    source: str
    source_label: str
    label: str
    region_code: str
    input_digest: str
    input_bytes: int
    frame_counts: dict[str, int]
    indicator_codes: list[str]
    findings_count: int
    alerts_raised: int
    alerts_updated: int
    min_alert_score: float
    seconds_ingest: float
    seconds_compute: float
    started_by_label: str
    started_at: datetime
    finished_at: datetime
    summary: dict[str, Any]
    parameters: dict[str, Any]
    ingest: dict[str, Any] = Field(description="OCDS 读取报告：字节数、项目数、格式错误行（含行号）、MB/s")
    notes: list[str]


class RunFindingOut(Schema):
    code: str
    unit: str
    unit_id: str
    value: float | None
    primary: bool
    severity: float
    ocid: str
    region_code: str
    evidence: dict[str, Any]
    related: list[Any]


class RunFindingsOut(Schema):
    total: int
    findings: list[RunFindingOut]


class AlertRowOut(Schema):
    id: int
    title: str
    score: float
    status: str
    status_label: str
    source: str
    region_code: str
    subject_type: str
    subject_type_label: str
    subject_id: str
    subject_label: str
    ocid: str
    codes: list[str]
    code_names: list[str]
    assignee_label: str
    created_at: datetime
    updated_at: datetime
    version: int


class AlertPageOut(Schema):
    total: int
    limit: int
    offset: int
    alerts: list[AlertRowOut]


class FindingOut(Schema):
    code: str
    indicator: IndicatorOut
    value: float | None
    severity: float
    contribution: float
    evidence: dict[str, Any]
    run_id: int | None
    created_at: datetime


class EventOut(Schema):
    at: datetime
    actor_label: str
    verb: str
    verb_label: str
    from_status: str
    to_status: str
    reason: str


class FeedbackOut(Schema):
    code: str
    name: str
    verdict: str
    verdict_label: str
    note: str
    at: datetime


class AlertOut(AlertRowOut):
    region_name: str
    related: list[list[str]]
    findings: list[FindingOut]
    events: list[EventOut]
    feedback: list[FeedbackOut]
    decision_reason: str
    close_reason: str
    allowed: list[str] = Field(description="您现在可执行的流转：assign investigate confirm dismiss close")
    score_explained: list[list[Any]] = Field(description="[指标编码, 对综合得分的贡献]")


class AlertQuery(Schema):
    status: str | None = None
    open_only: bool = False
    region: str | None = None
    code: str | None = None
    subject_type: str | None = None
    source: str | None = None
    q: str | None = None
    min_score: float | None = None
    mine: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class AssignIn(Schema):
    assignee: str = Field(description="监管人员的用户名；“me” 表示自己")


class ReasonIn(Schema):
    reason: str


class DecisionIn(Schema):
    reason: str
    false_positive_codes: list[str] | None = Field(
        None, description="误报的指标（确认时缺省为无；排除时缺省为该预警的全部指标）"
    )


class FeedbackStatOut(Schema):
    code: str
    name: str
    true_positives: int
    false_positives: int
    factor: float
