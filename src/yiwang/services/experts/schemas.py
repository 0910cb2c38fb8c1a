"""API schemas of the experts context. The actions check every value (with field-located codes); the
schemas only give the shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

Kind = Literal["works", "gp"]


class SpecialtyOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str
    inferred: bool


class PoolStatOut(Schema):
    code: str
    name: str
    active: int


class SpecialtyIn(Schema):
    code: str = Field(..., description="7 位专业代码 MAJOR_CODE, e.g. A080101")
    main: bool = Field(False, description="主专业")


class ExpertIn(Schema):
    """An enrolment (入库). Gender and birth date come from the identity number; the entry conditions of every
    kind (years of practice, age, senior title or equivalent level) are checked from the rules catalogue."""

    name: str
    id_number: str = Field(..., description="居民身份证号码")
    title: str = Field(..., description="职称, e.g. 高级工程师")
    title_level: Literal["full_senior", "senior", "intermediate", "junior", "none"]
    equivalent_level: bool = Field(False, description="具有同等专业水平 (with equivalent_note)")
    equivalent_note: str = ""
    education: str = ""
    kinds: list[Kind] = Field(..., description="works 评标专家 / gp 政府采购评审专家")
    employer_entity_id: int | None = Field(None, description="工作单位: registry entity id")
    employer_uscc: str | None = Field(None, description="工作单位统一社会信用代码 (when not registered)")
    employer_name: str = ""
    position: str = ""
    region_code: str
    practice_since: date = Field(..., description="从事本专业工作起始日期")
    phone: str
    email: str = ""
    notify_channels: list[Literal["in_site", "sms", "voice"]] | None = None
    specialties: list[SpecialtyIn]
    account_id: int | None = Field(None, description="identity account of the expert (for sign-in)")


class ExpertPatch(Schema):
    name: str | None = None
    title: str | None = None
    title_level: Literal["full_senior", "senior", "intermediate", "junior", "none"] | None = None
    equivalent_level: bool | None = None
    equivalent_note: str | None = None
    education: str | None = None
    kinds: list[Kind] | None = None
    employer_entity_id: int | None = None
    employer_uscc: str | None = None
    employer_name: str | None = None
    position: str | None = None
    region_code: str | None = None
    practice_since: date | None = None
    phone: str | None = None
    email: str | None = None
    notify_channels: list[Literal["in_site", "sms", "voice"]] | None = None
    specialties: list[SpecialtyIn] | None = None
    account_id: int | None = None


class ExpertStatusIn(Schema):
    action: Literal["suspend", "reinstate", "retire"]
    reason: str = Field(..., max_length=300)


class ExpertSpecialtyOut(Schema):
    code: str
    name: str
    main: bool


class ExpertSummaryOut(Schema):
    id: int
    name: str
    gender: str
    age: int
    title: str
    title_level: str
    title_level_label: str
    employer_name: str
    employer_linked: bool
    region_code: str
    region_name: str
    status: str
    status_label: str
    kinds: list[str]
    specialties: list[ExpertSpecialtyOut]
    entered_on: date


class ExpertListOut(Schema):
    total: int
    limit: int
    offset: int
    items: list[ExpertSummaryOut]


class StatusChangeOut(Schema):
    action: str
    from_status: str
    to_status: str
    reason: str
    changed_at: datetime
    actor_label: str


class UnavailabilityIn(Schema):
    start_date: date
    end_date: date
    reason: str = ""


class UnavailabilityOut(Schema):
    id: int
    start_date: date
    end_date: date
    reason: str
    declared_at: datetime


class TieIn(Schema):
    """A relationship with a firm: name it by registry id or USCC (recusal matches exactly)."""

    entity_id: int | None = None
    uscc: str | None = None
    name: str = ""
    kind: Literal["relative", "interest", "former_employer", "officer", "owner", "other"]
    description: str = ""
    started_on: date | None = None
    ended_on: date | None = None


class TieOut(Schema):
    id: int
    entity_id: int | None
    uscc: str
    entity_name: str
    kind: str
    kind_label: str
    description: str
    started_on: date | None
    ended_on: date | None
    declared_at: datetime


class SanctionIn(Schema):
    kind: Literal["administrative", "criminal", "suspension", "points", "other"]
    authority: str
    reference: str = ""
    reason: str
    start_date: date
    end_date: date | None = None


class SanctionOut(Schema):
    id: int
    kind: str
    kind_label: str
    authority: str
    reference: str
    reason: str
    start_date: date
    end_date: date | None
    in_force: bool


class SummaryOut(Schema):
    assignments: int
    attended: int
    late: int
    absent: int
    declined: int
    no_answer: int
    complaints: int
    mean_rating: Decimal | None
    mean_deviation: Decimal | None
    attendance_rate: Decimal | None


class ExpertOut(ExpertSummaryOut):
    version: int
    id_number: str = Field(description="full for staff over the region and the expert, masked otherwise")
    birth_date: date | None
    years_of_practice: int
    practice_since: date | None
    equivalent_level: bool
    equivalent_note: str
    education: str
    position: str
    employer_entity_id: int | None
    employer_uscc: str
    phone: str
    email: str
    notify_channels: list[str]
    account_id: int | None
    exited_on: date | None
    exit_reason: str
    can_manage: bool
    is_self: bool
    history: list[StatusChangeOut]
    unavailability: list[UnavailabilityOut]
    ties: list[TieOut]
    sanctions: list[SanctionOut]
    performance: SummaryOut | None


class ReasonIn(Schema):
    reason: str = Field(..., max_length=300)


class LineIn(Schema):
    specialty: str = Field(..., description="specialty code; a code covers its children (A0801 → A080101 …)")
    count: int = Field(..., description="experts to draw")
    reserve: int = Field(1, description="reserves (备选), called in order when a member declines or is absent")
    main_only: bool = Field(False, description="only experts holding it as a main specialty")


class AvoidedFirmIn(Schema):
    entity_id: int | None = Field(None, description="registry entity id")
    uscc: str | None = Field(None, description="USCC (for firms not registered)")
    reason: Literal["1", "2", "3", "4", "9"] = Field(
        ..., description="AVOID_REASON: 1 投标单位 2 招标单位 3 主管部门 4 代理机构 9 其他"
    )


class DrawIn(Schema):
    """A draw request (评标委员会组建申请). ``project_ref``/``section_ref`` are the tendering context's
    references. The tenderer (reason 2) and agency (reason 4) among the avoided firms see counts and status."""

    project_ref: str
    section_ref: str = ""
    title: str = ""
    kind: Kind
    region_code: str = Field(..., description="the project's region: staff over it may draw")
    region_scope: list[str] | None = Field(None, description="pool regions (default: the province)")
    hub: str = Field("local", description="another hub's pool (cross-region draw, via the federation)")
    meeting_start: datetime
    meeting_end: datetime
    venue: str = ""
    lines: list[LineIn]
    avoided_firms: list[AvoidedFirmIn] = []
    avoided_experts: list[int] = []
    representatives: int = Field(0, description="tenderer/purchaser representatives on the committee")
    budget_fen: int | None = Field(None, description="budget in fen (GP: 7 members at or above the threshold)")
    large: bool = Field(False, description="technically complex or of great social impact (GP)")
    confirm_minutes: int = Field(60, description="minutes a drawn expert has to answer")


class LineOut(Schema):
    index: int
    specialty: str
    specialty_name: str
    count: int
    reserve: int
    main_only: bool
    active: int
    confirmed: int
    reserves_left: int
    holders: int | None
    eligible: int | None
    excluded: list[tuple[str, str, int]]


class SeatOut(Schema):
    id: int
    draw_id: int
    line: int
    specialty: str
    specialty_name: str
    role: str
    role_label: str
    rank: int
    status: str
    status_label: str
    expert_id: int | None
    name: str
    phone: str
    employer_name: str
    respond_by: datetime | None
    responded_at: datetime | None
    decline_reason: str
    checked_in_at: datetime | None
    replaces: int | None
    note: str
    performance_version: int | None


class DrawOut(Schema):
    id: int
    project_ref: str
    section_ref: str
    title: str
    kind: str
    kind_label: str
    region_code: str
    meeting_start: datetime
    meeting_end: datetime
    venue: str
    status: str
    status_label: str
    sealed: bool
    unsealed_at: datetime | None
    created_at: datetime
    lines: list[LineOut]
    representatives: int
    full: bool
    names_visible: bool
    can_manage: bool
    seats: list[SeatOut]
    region_scope: list[str]
    avoided_firms: list[dict[str, Any]]
    avoided_experts: list[int]
    rules: dict[str, Any]
    requested_by_label: str
    digests: dict[int, dict[str, Any]]
    supplements: list[int]


class DrawListItemOut(Schema):
    id: int
    project_ref: str
    section_ref: str
    title: str
    meeting_start: datetime
    status: str
    status_label: str
    sealed: bool
    members: int


class AnswerIn(Schema):
    accept: bool
    reason: str = ""


class NoteIn(Schema):
    note: str = ""


class PerformancePatch(Schema):
    evaluation_minutes: int | None = None
    score_deviation: Decimal | None = Field(None, description="mean deviation from the panel, share of max points")
    complaints: int | None = None
    rating: int | None = Field(None, description="1–5")
    notes: str | None = None


class PerformanceOut(Schema):
    seat_id: int
    draw_id: int
    project: str
    meeting_start: datetime
    attendance: str
    attendance_label: str
    evaluation_minutes: int | None
    score_deviation: Decimal | None
    complaints: int
    rating: int | None
    notes: str
    version: int


class PerformanceListOut(Schema):
    summary: SummaryOut
    items: list[PerformanceOut]


class LineResultOut(Schema):
    line: int
    specialty: str
    members: list[int]
    reserves: list[int]


class ReplayOut(Schema):
    draw_id: int
    ok: bool
    commitment_precedes: bool
    commitment_ok: bool
    request_ok: bool
    seed_ok: bool
    candidates_ok: bool
    result_ok: bool
    problems: list[str]
    seed: str
    results: list[LineResultOut]
    candidates: list[list[int]]


class ProblemOut(Schema):
    code: str
    message_zh: str
    message_en: str
    rule_id: str | None


class CommitteeCheckOut(Schema):
    ok: bool
    problems: list[ProblemOut]


class TaskOut(Schema):
    seat_id: int
    draw_id: int
    status: str
    status_label: str
    meeting_start: datetime
    meeting_end: datetime
    venue: str
    specialty: str
    specialty_name: str
    respond_by: datetime | None
    may_answer: bool
    project: str
