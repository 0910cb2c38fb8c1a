"""API shapes of the complaints context."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS

READ_ERRORS: dict[int, Any] = ERRORS
ACT_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 412: ERRORS[422]}


class ComplaintIn(Schema):
    track: str = Field(description="works 招标投标 | gp 政府采购")
    matter: str = Field(description="documents | opening | results | process | other")
    complainant_entity_id: int
    respondent: str = Field(description="被投诉人")
    procedure_ref: str = Field(description="被投诉的交易活动（如 tender.section:12）")
    procedure_title: str
    region_code: str = Field(description="受理投诉的监管部门所在行政区划")
    facts: str
    claims: str
    anchor_on: str = Field(description="works: 知道或应当知道之日; gp: 质疑答复期满或答复之日 (YYYY-MM-DD)")
    objection_ref: str = ""
    objection_raised_on: str | None = None
    objection_answered_on: str | None = None


class StepIn(Schema):
    reason: str = ""
    outcome: str = Field("", description="decide: upheld | partly | dismissed")
    pause_kind: str = Field("", description="pause_clock: testing | appraisal | expert_review | correction (gp)")


class ComplaintOut(Schema):
    id: int
    track: str
    track_label: str
    matter: str
    matter_label: str
    complainant_entity_id: int
    complainant_name: str
    respondent: str
    procedure_ref: str
    procedure_title: str
    region_code: str
    facts: str
    claims: str
    anchor_on: date
    objection_ref: str
    filed_at: datetime
    filing_deadline: datetime
    status: str
    status_label: str
    acceptance_due: datetime
    accepted_at: datetime | None
    accepted_late: bool
    decision_due: datetime | None
    rules: dict[str, Any]
    suspended: bool
    suspended_at: datetime | None
    suspension_until: datetime | None
    suspensions: list[dict[str, Any]]
    clock_paused: bool
    clock_paused_at: datetime | None
    clock_pause_kind: str
    clock_pauses: list[dict[str, Any]]
    excluded_units: int
    outcome: str
    outcome_label: str
    decision_text: str
    decided_at: datetime | None
    decided_late: bool
    closing_reason: str
    overdue: list[str]
    allowed: list[str]
    version: int


class ComplaintPageOut(Schema):
    total: int
    complaints: list[ComplaintOut]


class DecisionOut(Schema):
    id: int
    track_label: str
    procedure_title: str
    complainant_name: str
    respondent: str
    matter_label: str
    outcome_label: str
    decision_text: str
    decided_at: datetime
