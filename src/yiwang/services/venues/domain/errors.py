"""The refusals of the venues context: one function per situation, each with a stable ``venues.*`` code and
Chinese and English messages. Times in ``details`` are UTC ISO strings.

Pure Python: no Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied

_WHAT = {
    "site": ("场所", "site"),
    "room": ("房间", "room"),
    "seat": ("席位", "seat"),
    "booking": ("预约", "booking"),
    "session": ("远程异地评标场次", "remote evaluation session"),
    "maintenance": ("维护时段", "maintenance window"),
    "organisation": ("交易中心", "trading centre"),
}


def not_found(what: str, key: Any) -> NotFound:
    zh, en = _WHAT[what]
    return NotFound(f"venues.{what}_not_found", f"{zh}不存在", f"No such {en}", {f"{what}_id": str(key)[:40]})


def sign_in_required() -> PermissionDenied:
    return PermissionDenied("venues.sign_in_required", "请先登录", "Sign in first")


def forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied("venues.forbidden", f"无权{what_zh}", f"Not allowed to {what_en}")


def invalid(field: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput("venues.invalid", zh, en, {"field": field, **details})


def reason_required(field: str = "reason") -> InvalidInput:
    return InvalidInput("venues.reason_required", "请填写原因", "A reason is required", {"field": field})


# -- sites and rooms -----------------------------------------------------------------------------------------------


def not_a_trading_centre(organisation_id: int) -> InvalidInput:
    return InvalidInput(
        "venues.not_a_trading_centre",
        "场所须属于交易中心（分中心）",
        "A site belongs to a trading centre",
        {"field": "organisation_id", "organisation_id": organisation_id},
    )


def region_outside_centre(region: str, centre_region: str) -> InvalidInput:
    return InvalidInput(
        "venues.region_outside_centre",
        "场所所在区域不在该交易中心的服务区域内",
        "The site's region is outside the trading centre's area",
        {"field": "region_code", "region_code": region, "centre_region": centre_region},
    )


def room_exists(code: str) -> Conflict:
    return Conflict(
        "venues.room_exists", f"该场所已有编号为 {code} 的房间", f"The site already has room {code}", {"field": "code"}
    )


def seat_exists(numbers: Sequence[str]) -> Conflict:
    return Conflict(
        "venues.seat_exists",
        "席位编号已存在：" + "、".join(numbers),
        "Seat numbers already exist: " + ", ".join(numbers),
        {"field": "numbers", "numbers": list(numbers)},
    )


def room_not_seated(kind: str) -> InvalidInput:
    return InvalidInput(
        "venues.room_not_seated",
        "只有评标室和远程评标席位区设编号席位",
        "Only evaluation rooms and remote-evaluation areas have numbered seats",
        {"kind": kind},
    )


def room_inactive() -> Conflict:
    return Conflict("venues.room_inactive", "该房间已停用", "The room is out of use", {"field": "room_id"})


def site_inactive() -> Conflict:
    return Conflict("venues.site_inactive", "该场所已停用", "The site is out of use", {"field": "room_id"})


# -- time windows -----------------------------------------------------------------------------------------------


def naive_time() -> InvalidInput:
    return InvalidInput("venues.time_zone_required", "时间须带时区", "Times must carry a time zone", {"field": "start"})


def end_before_start(start: datetime, end: datetime) -> InvalidInput:
    return InvalidInput(
        "venues.end_before_start",
        "结束时间须晚于开始时间",
        "The end must be after the start",
        {"field": "end", "start": iso_utc(start), "end": iso_utc(end)},
    )


def too_long(max_hours: int) -> InvalidInput:
    return InvalidInput(
        "venues.booking_too_long",
        f"单次预约不得超过 {max_hours} 小时",
        f"A booking lasts at most {max_hours} hours",
        {"field": "end", "max_hours": max_hours},
    )


def start_in_past(start: datetime, moment: datetime) -> InvalidInput:
    return InvalidInput(
        "venues.start_in_past",
        "开始时间已过，不能预约",
        "The start time has passed",
        {"field": "start", "start": iso_utc(start), "server_time": iso_utc(moment)},
    )


# -- conflicts -----------------------------------------------------------------------------------------------------


def room_conflict(clashing: Sequence[tuple[datetime, datetime]]) -> Conflict:
    """The room is taken. ``details.clashes`` lists the other bookings' meeting times (never their owner or
    title)."""
    return Conflict(
        "venues.room_conflict",
        "该时段房间已被预约（含布场/清场缓冲时间）",
        "The room is booked at that time (set-up and clearing buffers included)",
        {
            "field": "start",
            "clashes": [{"start": iso_utc(s), "end": iso_utc(e)} for s, e in clashing],
        },
    )


def room_in_maintenance(windows: Sequence[tuple[datetime, datetime, str]]) -> Conflict:
    return Conflict(
        "venues.room_in_maintenance",
        "该时段房间处于维护期",
        "The room is under maintenance at that time",
        {
            "field": "start",
            "maintenance": [{"start": iso_utc(s), "end": iso_utc(e), "reason": r} for s, e, r in windows],
        },
    )


def maintenance_conflict(clashing: Sequence[tuple[datetime, datetime]]) -> Conflict:
    return Conflict(
        "venues.maintenance_conflict",
        "维护时段与已有预约冲突，请先调整或取消这些预约",
        "The maintenance window overlaps bookings; move or cancel them first",
        {"field": "start", "clashes": [{"start": iso_utc(s), "end": iso_utc(e)} for s, e in clashing]},
    )


def purpose_mismatch(kind: str, purpose: str) -> InvalidInput:
    return InvalidInput(
        "venues.purpose_mismatch",
        "该类型的房间不能用于此用途",
        "This kind of room does not serve that purpose",
        {"field": "purpose", "kind": kind, "purpose": purpose},
    )


def seats_exceed(requested: int, available: int) -> InvalidInput:
    return InvalidInput(
        "venues.seats_exceed",
        f"申请 {requested} 个席位，超过房间可用的 {available} 个",
        f"{requested} seats requested, the room has {available}",
        {"field": "seats", "requested": requested, "available": available},
    )


def wrong_status(current: str, target: str) -> Conflict:
    return Conflict(
        "venues.wrong_status",
        "预约当前状态不允许此操作",
        "The booking's status does not allow this",
        {"status": current, "target": target},
    )


def not_finished(end: datetime) -> Conflict:
    return Conflict(
        "venues.not_finished",
        "预约时段结束后方可办结",
        "A booking is completed after its end",
        {"end": iso_utc(end)},
    )


# -- remote sessions -----------------------------------------------------------------------------------------------


def session_booking() -> Conflict:
    return Conflict(
        "venues.session_booking",
        "远程异地评标场次中的预约须通过场次办理",
        "Bookings of a remote-evaluation session are changed through the session",
    )


def secondary_not_elsewhere(room_id: int) -> InvalidInput:
    return InvalidInput(
        "venues.secondary_not_elsewhere",
        "副场须为主场以外其他交易中心的场所",
        "A secondary site is a site of another trading centre than the main site's",
        {"field": "secondary", "room_id": room_id},
    )


def session_pending(booking_ids: Sequence[int]) -> Conflict:
    return Conflict(
        "venues.session_pending",
        "尚有副场预约待审批，审批通过后方可安排席位",
        "Secondary bookings still await approval; seat the committee once they are approved",
        {"pending": list(booking_ids)},
    )


def committee_empty() -> InvalidInput:
    return InvalidInput(
        "venues.committee_empty", "请提供评标委员会专家名单", "The committee is empty", {"field": "committee"}
    )


def duplicate_expert(expert_ref: str) -> InvalidInput:
    return InvalidInput(
        "venues.duplicate_expert",
        "专家名单中有重复",
        "An expert appears twice in the committee",
        {"field": "committee", "expert_ref": expert_ref},
    )


def not_enough_seats(short: list[dict[str, int]]) -> Conflict:
    return Conflict(
        "venues.not_enough_seats",
        "席位不足：分配到该场所的专家多于其预约的席位",
        "Not enough seats: a site has more experts than the seats it booked",
        {"field": "committee", "sites": short},
    )


def seating_locked() -> Conflict:
    return Conflict(
        "venues.seating_locked",
        "已有专家签到，席位安排不能整体重排",
        "Experts have checked in: the seating can no longer be redone",
    )


# -- check-in and access -------------------------------------------------------------------------------------------


def not_expected(expert_ref: str) -> NotFound:
    return NotFound(
        "venues.not_expected",
        "该专家不在本场预约的名单中",
        "This expert is not expected at this booking",
        {"field": "expert_ref", "expert_ref": expert_ref[:100]},
    )


def already_checked_in(at: datetime) -> Conflict:
    return Conflict("venues.already_checked_in", "该专家已签到", "Already checked in", {"checked_in_at": iso_utc(at)})


def check_in_not_open(opens: datetime) -> Conflict:
    return Conflict(
        "venues.check_in_not_open",
        "尚未到签到时间",
        "Check-in has not opened yet",
        {"opens_at": iso_utc(opens)},
    )


def booking_not_active(status: str) -> Conflict:
    return Conflict(
        "venues.booking_not_active",
        "该预约未审核通过或已结束",
        "The booking is not approved or is over",
        {"status": status},
    )


def check_in_code_wrong() -> PermissionDenied:
    return PermissionDenied(
        "venues.check_in_code_wrong", "现场签到码不正确", "The on-site check-in code is wrong", {"field": "code"}
    )


def room_not_isolated() -> Conflict:
    return Conflict(
        "venues.room_not_isolated",
        "只有隔离评标区记录进出",
        "Entries and exits are logged for isolated evaluation areas only",
    )


def devices_not_deposited() -> InvalidInput:
    return InvalidInput(
        "venues.devices_not_deposited",
        "进入隔离评标区前须存放手机等通讯设备",
        "Phones and other devices must be deposited before entering the isolated area",
        {"field": "devices_deposited"},
    )


def access_outside_booking(start: datetime, end: datetime) -> Conflict:
    return Conflict(
        "venues.access_outside_booking",
        "只能在预约时段（含布场/清场时间）内记录进出",
        "Access is recorded within the booking's blocked time only",
        {"from": iso_utc(start), "until": iso_utc(end)},
    )


def already_inside(person_ref: str) -> Conflict:
    return Conflict(
        "venues.already_inside",
        "此人已在隔离区内",
        "This person is already inside",
        {"field": "person_ref", "person_ref": person_ref[:100]},
    )


def not_inside(person_ref: str) -> Conflict:
    return Conflict(
        "venues.not_inside",
        "此人不在隔离区内，无法记录离开",
        "This person is not inside",
        {"field": "person_ref", "person_ref": person_ref[:100]},
    )


def no_show_not_due(due: datetime) -> Conflict:
    return Conflict(
        "venues.no_show_not_due",
        "尚未到记录未到的时间",
        "It is too early to flag experts as not arrived",
        {"due_at": iso_utc(due)},
    )
