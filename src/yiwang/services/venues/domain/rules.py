"""The rules of rooms and bookings: kinds, purposes, statuses, blocked intervals, free slots, attendance.

A booking of ``[start, end)`` *blocks* its room for ``[start − buffer_before, end + buffer_after)``: the
buffers are set-up and clearing time taken from the operator's settings per room kind (they are operating
choices of the trading centre, not legal numbers). Two bookings that hold a room conflict when their blocked
intervals overlap, so the gap between two meetings is at least the first one's clearing time plus the
second one's set-up time. Intervals are half-open: a booking may block from the very instant another
stops blocking.

Pure Python: no Django here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from yiwang.services.venues.domain import errors


class RoomKind(StrEnum):
    OPENING_HALL = "opening_hall"  # 开标室
    EVALUATION_ROOM = "evaluation_room"  # 评标室（隔离区）
    REMOTE_SEATS = "remote_seats"  # 远程评标席位区
    NEGOTIATION_ROOM = "negotiation_room"  # 谈判室
    AUCTION_HALL = "auction_hall"  # 竞价室


ROOM_KIND_LABELS_ZH: dict[RoomKind, str] = {
    RoomKind.OPENING_HALL: "开标室",
    RoomKind.EVALUATION_ROOM: "评标室",
    RoomKind.REMOTE_SEATS: "远程评标席位区",
    RoomKind.NEGOTIATION_ROOM: "谈判室",
    RoomKind.AUCTION_HALL: "竞价室",
}

# Kinds whose seats are numbered and assigned to experts one by one.
SEATED_KINDS = frozenset({RoomKind.EVALUATION_ROOM, RoomKind.REMOTE_SEATS})
# Kinds that are isolated areas by default (access-controlled entry, phones and devices deposited).
ISOLATED_BY_DEFAULT = frozenset({RoomKind.EVALUATION_ROOM, RoomKind.REMOTE_SEATS})


class Purpose(StrEnum):
    OPENING = "opening"  # 开标
    EVALUATION = "evaluation"  # 评标（评审）
    NEGOTIATION = "negotiation"  # 谈判/磋商
    AUCTION = "auction"  # 现场竞价
    OTHER = "other"  # 其他（答疑会、踏勘集合等）


PURPOSE_LABELS_ZH: dict[Purpose, str] = {
    Purpose.OPENING: "开标",
    Purpose.EVALUATION: "评标（评审）",
    Purpose.NEGOTIATION: "谈判/磋商",
    Purpose.AUCTION: "现场竞价",
    Purpose.OTHER: "其他",
}

# Which kinds of room serve which purpose.
PURPOSE_KINDS: dict[Purpose, frozenset[RoomKind]] = {
    Purpose.OPENING: frozenset({RoomKind.OPENING_HALL, RoomKind.AUCTION_HALL}),
    Purpose.EVALUATION: frozenset({RoomKind.EVALUATION_ROOM, RoomKind.REMOTE_SEATS}),
    Purpose.NEGOTIATION: frozenset({RoomKind.NEGOTIATION_ROOM, RoomKind.EVALUATION_ROOM}),
    Purpose.AUCTION: frozenset({RoomKind.AUCTION_HALL, RoomKind.OPENING_HALL}),
    Purpose.OTHER: frozenset(RoomKind),
}


class BookingStatus(StrEnum):
    """The statuses of the Fujian remote-evaluation module (待审批/审核通过/审核不通过/已办理), plus 已取消."""

    PENDING = "pending"  # 待审批
    APPROVED = "approved"  # 审核通过
    REJECTED = "rejected"  # 审核不通过
    DONE = "done"  # 已办理
    CANCELLED = "cancelled"  # 已取消


BOOKING_STATUS_LABELS_ZH: dict[BookingStatus, str] = {
    BookingStatus.PENDING: "待审批",
    BookingStatus.APPROVED: "审核通过",
    BookingStatus.REJECTED: "审核不通过",
    BookingStatus.DONE: "已办理",
    BookingStatus.CANCELLED: "已取消",
}

# Bookings in these statuses hold their room (a pending application holds it while it waits for approval).
HOLDING = (BookingStatus.PENDING, BookingStatus.APPROVED, BookingStatus.DONE)


class ApplyType(StrEnum):
    """What the latest application asked for (申请类型)."""

    VENUE = "venue"  # 场地申请
    CHANGE = "change"  # 变更
    CANCEL = "cancel"  # 取消


APPLY_TYPE_LABELS_ZH: dict[ApplyType, str] = {
    ApplyType.VENUE: "场地申请",
    ApplyType.CHANGE: "变更",
    ApplyType.CANCEL: "取消",
}

# status → the statuses a decision may lead to
TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.PENDING: frozenset(
        {BookingStatus.APPROVED, BookingStatus.REJECTED, BookingStatus.CANCELLED, BookingStatus.PENDING}
    ),
    BookingStatus.APPROVED: frozenset({BookingStatus.DONE, BookingStatus.CANCELLED, BookingStatus.PENDING}),
    BookingStatus.REJECTED: frozenset(),
    BookingStatus.DONE: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
}


def check_transition(current: str, target: BookingStatus) -> None:
    if target not in TRANSITIONS[BookingStatus(current)]:
        raise errors.wrong_status(current, target)


# -- intervals ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Interval:
    """``[start, end)`` with aware datetimes."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Buffers:
    before: int  # minutes of set-up before the start
    after: int  # minutes of clearing after the end

    def __post_init__(self) -> None:
        if self.before < 0 or self.after < 0:
            raise ValueError("buffers are never negative")


def blocked(start: datetime, end: datetime, buffers: Buffers) -> Interval:
    """The interval a booking of ``[start, end)`` keeps its room from everyone else."""
    return Interval(start - timedelta(minutes=buffers.before), end + timedelta(minutes=buffers.after))


def check_window(start: datetime, end: datetime, *, max_hours: int) -> Interval:
    """A meeting window: aware, start before end, at most ``max_hours`` long, whole minutes."""
    if start.tzinfo is None or end.tzinfo is None:
        raise errors.naive_time()
    if end <= start:
        raise errors.end_before_start(start, end)
    if end - start > timedelta(hours=max_hours):
        raise errors.too_long(max_hours)
    return Interval(start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0))


def clashes(candidate: Interval, taken: Iterable[tuple[int, Interval]]) -> list[int]:
    """The keys of the ``taken`` intervals that overlap ``candidate``."""
    return [key for key, interval in taken if interval.overlaps(candidate)]


@dataclass(frozen=True)
class Slot:
    """A free stretch of a room: a meeting may start at ``earliest_start`` and must end by ``latest_end``
    (the room's buffers are already accounted for)."""

    earliest_start: datetime
    latest_end: datetime

    @property
    def minutes(self) -> int:
        return int((self.latest_end - self.earliest_start).total_seconds() // 60)


def free_slots(
    window: Interval,
    busy: Sequence[Interval],
    buffers: Buffers,
    *,
    min_minutes: int,
    not_before: datetime | None = None,
) -> list[Slot]:
    """Where in ``window`` a meeting of at least ``min_minutes`` (plus this room's buffers) fits between the
    ``busy`` intervals (blocked intervals of other bookings and maintenance windows)."""
    merged: list[Interval] = []
    for interval in sorted(busy):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            merged.append(interval)
    lower = window.start if not_before is None else max(window.start, not_before)
    gaps: list[Interval] = []
    cursor = lower - timedelta(minutes=buffers.before)
    for interval in merged:
        if interval.start > cursor:
            gaps.append(Interval(cursor, interval.start))
        cursor = max(cursor, interval.end)
    gaps.append(Interval(cursor, window.end + timedelta(minutes=buffers.after)))
    slots: list[Slot] = []
    for gap in gaps:
        earliest = max(gap.start + timedelta(minutes=buffers.before), lower)
        latest = min(gap.end - timedelta(minutes=buffers.after), window.end)
        if latest - earliest >= timedelta(minutes=max(min_minutes, 1)):
            slots.append(Slot(earliest, latest))
    return slots


# -- attendance -----------------------------------------------------------------------------------------------------


class Attendance(StrEnum):
    EXPECTED = "expected"  # 待签到
    PRESENT = "present"  # 已签到
    LATE = "late"  # 迟到
    NO_SHOW = "no_show"  # 缺席（未到）


ATTENDANCE_LABELS_ZH: dict[Attendance, str] = {
    Attendance.EXPECTED: "待签到",
    Attendance.PRESENT: "已签到",
    Attendance.LATE: "迟到",
    Attendance.NO_SHOW: "未到",
}


def attendance(
    checked_in_at: datetime | None, start: datetime, at: datetime, *, late_after: int, no_show_after: int
) -> Attendance:
    """An expected person's attendance at ``at``: on time up to ``start + late_after`` minutes, late after
    that; without a check-in, a no-show from ``start + no_show_after`` minutes."""
    if checked_in_at is not None:
        return Attendance.LATE if checked_in_at > start + timedelta(minutes=late_after) else Attendance.PRESENT
    if at >= start + timedelta(minutes=no_show_after):
        return Attendance.NO_SHOW
    return Attendance.EXPECTED


class CheckInMethod(StrEnum):
    STAFF_SCAN = "staff_scan"  # 工作人员扫码/读证
    STAFF_MANUAL = "staff_manual"  # 工作人员核验后登记
    SELF_CONFIRM = "self_confirm"  # 专家本人在页面确认（输入现场签到码）


CHECK_IN_METHOD_LABELS_ZH: dict[CheckInMethod, str] = {
    CheckInMethod.STAFF_SCAN: "扫码/读证签到",
    CheckInMethod.STAFF_MANUAL: "人工核验签到",
    CheckInMethod.SELF_CONFIRM: "本人确认签到",
}


# -- isolated rooms: who is inside ----------------------------------------------------------------------------------


class PersonKind(StrEnum):
    EXPERT = "expert"  # 评标专家
    STAFF = "staff"  # 交易中心工作人员
    SUPERVISOR = "supervisor"  # 监督人员
    OTHER = "other"  # 其他（招标人代表、技术保障等）


PERSON_KIND_LABELS_ZH: dict[PersonKind, str] = {
    PersonKind.EXPERT: "评标专家",
    PersonKind.STAFF: "工作人员",
    PersonKind.SUPERVISOR: "监督人员",
    PersonKind.OTHER: "其他人员",
}


class Direction(StrEnum):
    ENTER = "enter"
    LEAVE = "leave"


DIRECTION_LABELS_ZH = {Direction.ENTER: "进入", Direction.LEAVE: "离开"}


def check_access(inside: bool, direction: Direction, person_ref: str) -> None:
    """Someone inside cannot enter again, someone outside cannot leave."""
    if direction is Direction.ENTER and inside:
        raise errors.already_inside(person_ref)
    if direction is Direction.LEAVE and not inside:
        raise errors.not_inside(person_ref)


def still_inside(events: Iterable[tuple[str, str]]) -> list[str]:
    """The people whose last event (in order) is an entry: ``events`` are ``(person_ref, direction)``."""
    last: dict[str, str] = {}
    for person, direction in events:
        last[person] = direction
    return [person for person, direction in last.items() if direction == Direction.ENTER]
