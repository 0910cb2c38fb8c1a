"""API shapes of the venues context. Times are ISO 8601 with a zone (stored UTC, shown Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import AwareDatetime

from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS, UPDATE_ERRORS, ErrorOut

READ_ERRORS: dict[int, Any] = ERRORS
ACT_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 412: ErrorOut}
PATCH_ERRORS: dict[int, Any] = UPDATE_ERRORS

KINDS = (
    "opening_hall 开标室 · evaluation_room 评标室 · remote_seats 远程评标席位区 · "
    "negotiation_room 谈判室 · auction_hall 竞价室"
)
PURPOSES = "opening 开标 · evaluation 评标 · negotiation 谈判/磋商 · auction 现场竞价 · other 其他"


# -- sites, rooms, seats ---------------------------------------------------------------------------------------------


class SiteIn(Schema):
    organisation_id: int = Field(description="交易中心（机构）id")
    name: str
    region_code: str = Field(description="场所所在行政区划代码（须在该中心服务区域内）")
    address: str
    phone: str = ""


class SitePatch(Schema):
    name: str | None = None
    address: str | None = None
    phone: str | None = None
    is_active: bool | None = None


class SeatOut(Schema):
    id: int
    number: str
    camera_id: str
    is_active: bool


class RoomOut(Schema):
    id: int
    site_id: int
    site_name: str
    region_code: str
    code: str
    name: str
    kind: str
    kind_label: str
    capacity: int
    isolated: bool
    recording: bool
    video_link: bool
    floor: str
    note: str
    is_active: bool
    version: int
    seated: bool
    seat_count: int
    buffer_before: int = Field(description="布场缓冲（分钟，按房间类型取自设置）")
    buffer_after: int = Field(description="清场缓冲（分钟）")
    seats: list[SeatOut] = []


class SiteOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    name: str
    region_code: str
    region_name: str
    address: str
    phone: str
    is_active: bool
    version: int
    rooms: list[RoomOut]


class RoomIn(Schema):
    site_id: int
    code: str = Field(description="门牌编号，场所内唯一")
    name: str = ""
    kind: str = Field(description=KINDS)
    capacity: int
    isolated: bool | None = Field(
        None, description="隔离区（门禁、存放通讯设备、进出登记）；缺省：评标室与远程席位区为是"
    )
    recording: bool = False
    video_link: bool = False
    floor: str = ""
    note: str = ""


class RoomPatch(Schema):
    name: str | None = None
    capacity: int | None = None
    isolated: bool | None = None
    recording: bool | None = None
    video_link: bool | None = None
    floor: str | None = None
    note: str | None = None
    is_active: bool | None = None


class SeatIn(Schema):
    number: str
    camera_id: str = ""


class SeatsIn(Schema):
    seats: list[SeatIn]


class SeatPatchIn(Schema):
    camera_id: str | None = None
    is_active: bool | None = None


class MaintenanceIn(Schema):
    start: AwareDatetime
    end: AwareDatetime
    reason: str


class MaintenanceOut(Schema):
    id: int
    room_id: int
    start: datetime
    end: datetime
    reason: str
    cancelled: bool


class ReasonIn(Schema):
    reason: str


class NoteIn(Schema):
    note: str = ""


# -- bookings ---------------------------------------------------------------------------------------------------------


class BookingIn(Schema):
    room_id: int
    owner_ref: str = Field(description="调用方的业务对象引用，如 tender.section:12")
    purpose: str = Field(description=PURPOSES)
    start: AwareDatetime
    end: AwareDatetime
    seats: int = Field(0, description="需要的席位（或座位）数")
    title: str = ""
    public_title: str = Field("", description="在“今日开标”公开显示的项目名称（留空则不公开）")


class BookingPatch(Schema):
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    seats: int | None = None
    title: str | None = None
    public_title: str | None = None
    reason: str = Field(description="变更原因")


class HistoryOut(Schema):
    what: str
    what_label: str
    reason: str
    at: datetime
    actor_label: str


class BookingOut(Schema):
    id: int
    room_id: int
    room_name: str
    room_kind: str
    site_id: int
    site_name: str
    region_code: str
    purpose: str
    purpose_label: str
    start: datetime
    end: datetime
    buffer_before: int
    buffer_after: int
    blocked_from: datetime
    blocked_until: datetime
    seats: int
    status: str = Field(
        description="pending 待审批 · approved 审核通过 · rejected 审核不通过 · done 已办理 · cancelled 已取消"
    )
    status_label: str
    apply_type: str = Field(description="venue 场地申请 · change 变更 · cancel 取消")
    apply_type_label: str
    session_id: int | None
    session_role: str
    owner_ref: str
    title: str
    public_title: str
    requested_by_label: str
    decided_at: datetime | None
    decision_note: str
    version: int
    check_in_code: str = Field(description="现场签到码（仅场所工作人员可见）")
    isolated: bool
    history: list[HistoryOut] = []


class SlotOut(Schema):
    earliest_start: datetime
    latest_end: datetime
    minutes: int


class RoomSlotsOut(Schema):
    room: RoomOut
    slots: list[SlotOut]


class AvailabilityQuery(Schema):
    start: AwareDatetime
    end: AwareDatetime
    kind: str | None = Field(None, description=KINDS)
    min_minutes: int = Field(60, ge=1, le=1440)
    region: str | None = None
    site_id: int | None = None
    seats: int = Field(0, ge=0, le=2000)


class BookingQuery(Schema):
    room_id: int | None = None
    site_id: int | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    status: str | None = None
    owner_ref: str | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


# -- remote sessions -----------------------------------------------------------------------------------------------


class SiteSeatsIn(Schema):
    room_id: int
    seats: int


class SessionIn(Schema):
    owner_ref: str
    title: str = ""
    start: AwareDatetime
    end: AwareDatetime
    main: SiteSeatsIn = Field(description="主场（本中心的评标室）")
    secondaries: list[SiteSeatsIn] = Field(description="副场（其他交易中心的评标室或远程评标席位区）")


class MemberIn(Schema):
    expert_ref: str = Field(description="调用方的专家引用，如 experts.seat:88")
    home_region: str = Field(description="专家所在地区（行政区划代码）")
    name: str = ""
    account_id: int | None = Field(None, description="专家账户 id（本人确认签到用）")


class CommitteeIn(Schema):
    committee: list[MemberIn]


class AssignmentOut(Schema):
    expert_ref: str
    booking_id: int
    seat: str | None


class SeatMapEntryOut(Schema):
    seat: str | None
    camera_id: str
    expert_ref: str
    name: str
    home_region: str
    attendance: str
    attendance_label: str
    checked_in_at: datetime | None


class SiteMapOut(Schema):
    booking: BookingOut
    role: str
    role_label: str
    entries: list[SeatMapEntryOut]
    free_seats: list[str]


class SessionOut(Schema):
    id: int
    owner_ref: str
    title: str
    start: datetime
    end: datetime
    cancelled: bool
    created_by_label: str
    ready: bool
    version: int
    sites: list[SiteMapOut]
    experts: int


# -- check-in and access --------------------------------------------------------------------------------------------


class CheckInIn(Schema):
    expert_ref: str
    method: str = Field(
        "staff_scan", description="staff_scan 扫码/读证 · staff_manual 人工核验 · self_confirm 本人确认"
    )
    code: str = Field("", description="现场签到码（本人确认时必填）")


class CheckInOut(Schema):
    booking_id: int
    expert_ref: str
    seat: str | None
    checked_in_at: datetime
    method: str
    late: bool
    attendance: str


class ExpectedExpertOut(Schema):
    assignment_id: int
    expert_ref: str
    name: str
    home_region: str
    seat: str | None
    camera_id: str
    checked_in_at: datetime | None
    method_label: str
    attendance: str = Field(description="expected 待签到 · present 已签到 · late 迟到 · no_show 未到")
    attendance_label: str
    late: bool


class AccessIn(Schema):
    person_ref: str
    person_kind: str = Field(description="expert 评标专家 · staff 工作人员 · supervisor 监督人员 · other 其他")
    direction: str = Field(description="enter 进入 · leave 离开")
    name: str = ""
    method: str = "manual"
    devices_deposited: bool = False
    note: str = ""


class AccessEventOut(Schema):
    id: int
    at: datetime
    person_ref: str
    person_name: str
    person_kind: str
    person_kind_label: str
    direction: str
    direction_label: str
    devices_deposited: bool
    method: str
    note: str


class OccupantOut(Schema):
    person_ref: str
    person_name: str
    person_kind_label: str
    since: datetime
    flagged: bool


class AccessLogOut(Schema):
    booking: BookingOut
    events: list[AccessEventOut]
    inside: list[OccupantOut]
    ended: bool
    flagged: list[OccupantOut]


class OpeningOut(Schema):
    site_name: str
    address: str
    room_name: str
    start: datetime
    end: datetime
    title: str


class TodayQuery(Schema):
    day: date | None = None
    region: str | None = None


class MyCheckInOut(Schema):
    booking_id: int
    site_name: str
    room_name: str
    start: datetime
    end: datetime
    seat: str | None
    expert_ref: str
    checked_in_at: datetime | None
