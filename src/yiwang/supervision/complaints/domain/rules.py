"""投诉 (complaints to the regulator) as pure rules: tracks, matters, the workflow and the legal time limits.

Two tracks, each with its time limits in the rules catalogue:

- ``works`` (招标投标, 实施条例 Art.60–62): a complaint within ``tender.complaint_period_max`` of knowing of the
  violation — for matters of Art.22/44/54 (documents, opening, results) only after an objection to the tenderer
  (异议前置), and the days the objection was waiting for its answer do not count; acceptance decided within
  ``tender.complaint_acceptance_max``; the written decision within ``tender.complaint_decision_max`` of acceptance.
- ``gp`` (政府采购, 94号令): a complaint within ``gp.complaint_period_max`` after the challenge answer was due
  (or given); review within ``gp.complaint_review_max``; decision within ``gp.complaint_decision_max`` of receipt;
  a suspended procurement for at most ``gp.complaint_suspension_max``.

On both tracks the time needed for testing, inspection, appraisal or an expert review (and, for government
procurement, for the complainant to complete the complaint) is not counted in the decision period (条例 Art.61;
94号令 Art.28): the regulator stops the decision clock (``pause_clock``) and starts it again (``resume_clock``),
and the decision is due later by the working days (or days) that passed while it was stopped.

Pure Python: standard library and :mod:`yiwang.kernel` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from yiwang.kernel.errors import Conflict, InvalidInput, RuleViolation
from yiwang.kernel.periods import SHANGHAI, deadline_end
from yiwang.kernel.workdays import WorkdayCalendar


class Track(StrEnum):
    WORKS = "works"  # 工程建设项目招标投标
    GP = "gp"  # 政府采购


TRACK_LABELS = {Track.WORKS: "招标投标", Track.GP: "政府采购"}


class Matter(StrEnum):
    DOCUMENTS = "documents"  # 招标文件、资格预审文件 (条例 Art.22)
    OPENING = "opening"  # 开标 (Art.44)
    RESULTS = "results"  # 评标结果 (Art.54)
    PROCESS = "process"  # 采购过程、其他违法行为
    OTHER = "other"


MATTER_LABELS = {
    Matter.DOCUMENTS: "招标（采购）文件",
    Matter.OPENING: "开标",
    Matter.RESULTS: "评标（成交）结果",
    Matter.PROCESS: "采购（招标）过程",
    Matter.OTHER: "其他违法行为",
}
OBJECTION_FIRST = frozenset({Matter.DOCUMENTS, Matter.OPENING, Matter.RESULTS})  # works track only


@dataclass(frozen=True)
class TrackRules:
    filing: str
    acceptance: str
    decision: str
    decision_from_acceptance: bool  # works: from acceptance; gp: from receipt
    suspension_cap: str | None


RULES: dict[str, TrackRules] = {
    Track.WORKS: TrackRules(
        filing="tender.complaint_period_max",
        acceptance="tender.complaint_acceptance_max",
        decision="tender.complaint_decision_max",
        decision_from_acceptance=True,
        suspension_cap=None,
    ),
    Track.GP: TrackRules(
        filing="gp.complaint_period_max",
        acceptance="gp.complaint_review_max",
        decision="gp.complaint_decision_max",
        decision_from_acceptance=False,
        suspension_cap="gp.complaint_suspension_max",
    ),
}


class Status(StrEnum):
    FILED = "filed"  # 待受理
    ACCEPTED = "accepted"  # 已受理
    INVESTIGATING = "investigating"  # 调查取证中
    DECIDED = "decided"  # 已作出处理决定
    REJECTED = "rejected"  # 不予受理
    WITHDRAWN = "withdrawn"  # 已撤回


STATUS_LABELS = {
    Status.FILED: "待受理",
    Status.ACCEPTED: "已受理",
    Status.INVESTIGATING: "调查中",
    Status.DECIDED: "已处理",
    Status.REJECTED: "不予受理",
    Status.WITHDRAWN: "已撤回",
}


class Verb(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    INVESTIGATE = "investigate"
    SUSPEND = "suspend"
    RESUME = "resume"
    DECIDE = "decide"
    PAUSE_CLOCK = "pause_clock"
    RESUME_CLOCK = "resume_clock"
    WITHDRAW = "withdraw"


VERB_LABELS = {
    Verb.ACCEPT: "受理",
    Verb.REJECT: "不予受理",
    Verb.INVESTIGATE: "开始调查",
    Verb.SUSPEND: "暂停交易活动",
    Verb.RESUME: "恢复交易活动",
    Verb.DECIDE: "作出处理决定",
    Verb.PAUSE_CLOCK: "中止计算处理期限（检验、检测、鉴定、专家评审）",
    Verb.RESUME_CLOCK: "恢复计算处理期限",
    Verb.WITHDRAW: "撤回投诉",
}


class PauseKind(StrEnum):
    """Why the decision clock stops (the time is not counted in the decision period)."""

    TESTING = "testing"  # 检验、检测
    APPRAISAL = "appraisal"  # 鉴定
    EXPERT_REVIEW = "expert_review"  # 专家评审
    CORRECTION = "correction"  # 投诉人补正材料 (government procurement only)


PAUSE_LABELS = {
    PauseKind.TESTING: "检验、检测",
    PauseKind.APPRAISAL: "鉴定",
    PauseKind.EXPERT_REVIEW: "专家评审",
    PauseKind.CORRECTION: "投诉人补正材料",
}
# The provision that lets each kind of time be left out of the decision period, per track (◇: article numbers to be
# checked against the official texts, like the catalogue's ◇ rules).
PAUSE_BASIS: dict[str, dict[str, str]] = {
    "works": {
        PauseKind.TESTING: "《招标投标法实施条例》第六十一条",
        PauseKind.APPRAISAL: "《招标投标法实施条例》第六十一条",
        PauseKind.EXPERT_REVIEW: "《招标投标法实施条例》第六十一条",
    },
    "gp": {
        PauseKind.TESTING: "《政府采购质疑和投诉办法》（财政部令第94号）第二十八条",
        PauseKind.APPRAISAL: "《政府采购质疑和投诉办法》（财政部令第94号）第二十八条",
        PauseKind.EXPERT_REVIEW: "《政府采购质疑和投诉办法》（财政部令第94号）第二十八条",
        PauseKind.CORRECTION: "《政府采购质疑和投诉办法》（财政部令第94号）第二十八条",
    },
}


def pause_basis(track: str, kind: str) -> str:
    """The provision for leaving ``kind`` out of the decision period on ``track``; refused when there is none."""
    basis = PAUSE_BASIS.get(track, {}).get(kind)
    if basis is None:
        raise InvalidInput(
            "complaints.pause_kind_invalid",
            "该类事项的时间不能从处理期限中扣除",
            f"time spent on {kind!r} is not left out of the decision period on the {track} track",
            {"field": "pause_kind", "allowed": sorted(PAUSE_BASIS.get(track, {}))},
        )
    return basis


OPEN = frozenset({Status.FILED, Status.ACCEPTED, Status.INVESTIGATING})
DECIDING = frozenset({Status.ACCEPTED, Status.INVESTIGATING})  # the decision period runs
_FROM: dict[str, frozenset[str]] = {
    Verb.ACCEPT: frozenset({Status.FILED}),
    Verb.REJECT: frozenset({Status.FILED}),
    Verb.INVESTIGATE: frozenset({Status.ACCEPTED}),
    Verb.SUSPEND: frozenset({Status.ACCEPTED, Status.INVESTIGATING}),
    Verb.RESUME: frozenset({Status.ACCEPTED, Status.INVESTIGATING}),
    Verb.DECIDE: frozenset({Status.ACCEPTED, Status.INVESTIGATING}),
    Verb.PAUSE_CLOCK: frozenset({Status.ACCEPTED, Status.INVESTIGATING}),
    Verb.RESUME_CLOCK: frozenset({Status.ACCEPTED, Status.INVESTIGATING}),
    Verb.WITHDRAW: OPEN,
}
_TO: dict[str, str | None] = {
    Verb.ACCEPT: Status.ACCEPTED,
    Verb.REJECT: Status.REJECTED,
    Verb.INVESTIGATE: Status.INVESTIGATING,
    Verb.SUSPEND: None,
    Verb.RESUME: None,
    Verb.DECIDE: Status.DECIDED,
    Verb.PAUSE_CLOCK: None,
    Verb.RESUME_CLOCK: None,
    Verb.WITHDRAW: Status.WITHDRAWN,
}


class Outcome(StrEnum):
    UPHELD = "upheld"  # 投诉事项成立
    PARTLY = "partly"  # 部分成立
    DISMISSED = "dismissed"  # 投诉缺乏事实依据，驳回


OUTCOME_LABELS = {Outcome.UPHELD: "投诉成立", Outcome.PARTLY: "部分成立", Outcome.DISMISSED: "驳回投诉"}


_REGULATOR_VERBS = (
    Verb.ACCEPT,
    Verb.REJECT,
    Verb.INVESTIGATE,
    Verb.SUSPEND,
    Verb.RESUME,
    Verb.PAUSE_CLOCK,
    Verb.RESUME_CLOCK,
    Verb.DECIDE,
)


def allowed(status: str, *, suspended: bool, paused: bool = False) -> tuple[str, ...]:
    """The regulator's verbs from ``status`` (withdrawal is the complainant's)."""
    verbs = []
    for verb in _REGULATOR_VERBS:
        if status not in _FROM[verb]:
            continue
        if (verb == Verb.SUSPEND and suspended) or (verb == Verb.RESUME and not suspended):
            continue
        if (verb == Verb.PAUSE_CLOCK and paused) or (verb == Verb.RESUME_CLOCK and not paused):
            continue
        verbs.append(verb.value)
    return tuple(verbs)


def next_status(status: str, verb: str, *, suspended: bool, paused: bool = False) -> str:
    """The status after ``verb`` (unchanged for suspend/resume and the clock verbs); ``complaints.wrong_status``
    otherwise."""
    if verb not in _FROM or status not in _FROM[verb]:
        raise Conflict(
            "complaints.wrong_status",
            f"投诉当前状态（{STATUS_LABELS.get(status, status)}）不能{VERB_LABELS.get(verb, verb)}",
            f"cannot {verb} a complaint that is {status}",
            {"status": status, "verb": verb},
        )
    if verb == Verb.SUSPEND and suspended:
        raise Conflict("complaints.already_suspended", "交易活动已暂停", "the procedure is already suspended", {})
    if verb == Verb.RESUME and not suspended:
        raise Conflict("complaints.not_suspended", "交易活动未暂停", "the procedure is not suspended", {})
    if verb == Verb.PAUSE_CLOCK and paused:
        raise Conflict(
            "complaints.clock_already_paused", "处理期限已中止计算", "the decision clock is already stopped", {}
        )
    if verb == Verb.RESUME_CLOCK and not paused:
        raise Conflict("complaints.clock_not_paused", "处理期限未中止计算", "the decision clock is not stopped", {})
    return _TO[verb] or status


# -- time limits ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """A catalogue rule as the rules here need it."""

    rule_id: str
    value: int
    unit: str  # day | workday
    source: str = ""


def _start_of_day(day: date) -> datetime:
    """An instant on ``day`` (Shanghai): the day itself is not counted (民法典 Art.201)."""
    return datetime.combine(day, time(12), tzinfo=SHANGHAI)


def filing_deadline(
    *,
    track: str,
    matter: str,
    anchor_on: date,
    objection_raised_on: date | None,
    objection_answered_on: date | None,
    limit: Limit,
    calendar: WorkdayCalendar,
) -> datetime:
    """The exclusive end of the filing period. Works, objection-first matters: the days from raising the
    objection to its answer are not counted (the period is pushed back by them)."""
    excluded = 0
    if track == Track.WORKS and matter in OBJECTION_FIRST:
        if objection_raised_on is None or objection_answered_on is None:
            raise RuleViolation(
                "complaints.objection_first",
                "就招标文件、开标、评标结果投诉的，应当先向招标人提出异议（须注明异议提出和答复日期）",
                "complaints about documents, opening or results need a prior objection to the tenderer",
                {"matter": matter, "article": "《招标投标法实施条例》第六十条"},
            )
        if objection_answered_on < objection_raised_on:
            raise InvalidInput(
                "complaints.objection_dates_invalid",
                "异议答复日期早于提出日期",
                "the objection was answered before it was raised",
                {"field": "objection_answered_on"},
            )
        if objection_raised_on >= anchor_on:
            excluded = (objection_answered_on - objection_raised_on).days
    start = _start_of_day(anchor_on + timedelta(days=excluded))
    return deadline_end(start, limit.value, limit.unit, calendar)


def check_filed_in_time(filed_at: datetime, deadline: datetime, limit: Limit) -> None:
    if filed_at >= deadline:
        raise RuleViolation(
            "complaints.filed_late",
            f"投诉已超过法定期限（{deadline.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 前），不予受理",
            "the complaint is filed after its legal time limit",
            {"rule_id": limit.rule_id, "source": limit.source, "deadline": deadline.isoformat()},
        )


def due(start: datetime, limit: Limit, calendar: WorkdayCalendar) -> datetime:
    return deadline_end(start, limit.value, limit.unit, calendar)


def suspension_end(start: datetime, limit: Limit, calendar: WorkdayCalendar) -> datetime:
    """The latest end of a suspension (a cap counted like a period, without rolling to a working day)."""
    return deadline_end(start, limit.value, limit.unit, calendar, roll_to_workday=False)


def excluded_units(start: datetime, end: datetime, unit: str, calendar: WorkdayCalendar) -> int:
    """The days (``unit`` day) or working days (``workday``) between two instants that a stopped clock leaves out:
    the Shanghai days after the day it stopped, up to and including the day it started again (the day an event
    happens is not counted, 民法典 Art.201 — the same reading as every other period here)."""
    first = start.astimezone(SHANGHAI).date()
    last = end.astimezone(SHANGHAI).date()
    if last <= first:
        return 0
    if unit == "day":
        return (last - first).days
    return sum(1 for n in range(1, (last - first).days + 1) if calendar.is_workday(first + timedelta(days=n)))


def decision_due(start: datetime, limit: Limit, excluded: int, calendar: WorkdayCalendar) -> datetime:
    """The decision deadline counted from ``start`` with ``excluded`` units left out (they lengthen the period)."""
    return deadline_end(start, limit.value + excluded, limit.unit, calendar)
