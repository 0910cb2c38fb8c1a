"""Performance records (专家评价): attendance of each assignment and a per-expert summary that supervision
uses for expert-behaviour screens (declines before a draw is accepted, no-shows, score deviation,
complaints)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Attendance(StrEnum):
    PENDING = "pending"  # the meeting has not happened yet
    ATTENDED = "attended"  # 按时签到
    LATE = "late"  # 迟到
    ABSENT = "absent"  # 确认参加后缺席
    DECLINED = "declined"  # 拒绝参加（附理由）
    NO_ANSWER = "no_answer"  # 未在期限内答复


ATTENDANCE_LABELS_ZH = {
    Attendance.PENDING: "待评审",
    Attendance.ATTENDED: "按时到场",
    Attendance.LATE: "迟到",
    Attendance.ABSENT: "缺席",
    Attendance.DECLINED: "拒绝参加",
    Attendance.NO_ANSWER: "未答复",
}

RATING_MIN, RATING_MAX = 1, 5


@dataclass(frozen=True)
class Record:
    attendance: str
    evaluation_minutes: int | None = None
    score_deviation: Decimal | None = None  # mean |deviation| from the panel, as a share of the maximum points
    complaints: int = 0
    rating: int | None = None  # 1–5 given by staff after the meeting


@dataclass(frozen=True)
class Summary:
    assignments: int
    attended: int
    late: int
    absent: int
    declined: int
    no_answer: int
    complaints: int
    mean_rating: Decimal | None
    mean_deviation: Decimal | None
    attendance_rate: Decimal | None  # (attended + late) / (attended + late + absent)


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


def summarise(records: Iterable[Record]) -> Summary:
    rows = list(records)
    count = {a: sum(1 for r in rows if r.attendance == a) for a in Attendance}
    sat = count[Attendance.ATTENDED] + count[Attendance.LATE]
    expected = sat + count[Attendance.ABSENT]
    return Summary(
        assignments=len(rows),
        attended=count[Attendance.ATTENDED],
        late=count[Attendance.LATE],
        absent=count[Attendance.ABSENT],
        declined=count[Attendance.DECLINED],
        no_answer=count[Attendance.NO_ANSWER],
        complaints=sum(r.complaints for r in rows),
        mean_rating=_mean([Decimal(r.rating) for r in rows if r.rating is not None]),
        mean_deviation=_mean([r.score_deviation for r in rows if r.score_deviation is not None]),
        attendance_rate=(Decimal(sat) / expected).quantize(Decimal("0.01")) if expected else None,
    )
