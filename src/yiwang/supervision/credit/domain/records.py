"""Credit records (信用记录) as pure facts: kinds, restricted actions, validity, publication and repair.

A record is what an authority decided about a market entity: an administrative penalty (行政处罚), a
violation on file (不良行为记录), a listing on the serious-dishonesty black list (严重失信主体名单), a listing on the
red list (守信激励名单), an award (表彰奖励) or a performance evaluation (履约评价). Negative records may carry
restricted actions (the data spec's ``CONFINED_ACTION``) in force from ``starts_on`` to ``ends_on`` inclusive:
that is what the joint-sanction gates (失信联合惩戒) enforce.

Publication (公示) and repair (信用修复) follow the credit-repair measures: a published penalty stays public from
its decision until the longest publication period ends, and the entity may ask for early repair once the
shortest one has run. Both periods are legal numbers from the rules catalogue; this module only does the date
arithmetic on the values it is given.

Pure Python: standard library and :mod:`yiwang.kernel` only.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from yiwang.kernel.errors import Conflict, InvalidInput, RuleViolation, YiwangError


class Kind(StrEnum):
    PENALTY = "penalty"  # 行政处罚
    VIOLATION = "violation"  # 不良行为记录（违法违规）
    BLACKLIST = "blacklist"  # 严重失信主体名单（黑名单）
    REDLIST = "redlist"  # 守信激励名单（红名单）
    AWARD = "award"  # 表彰奖励（良好行为）
    PERFORMANCE = "performance"  # 履约评价


KIND_LABELS: dict[str, str] = {
    Kind.PENALTY: "行政处罚",
    Kind.VIOLATION: "不良行为记录",
    Kind.BLACKLIST: "严重失信主体名单（黑名单）",
    Kind.REDLIST: "守信激励名单（红名单）",
    Kind.AWARD: "表彰奖励",
    Kind.PERFORMANCE: "履约评价",
}

# the national data-spec record each kind is exchanged as (cn-rules §1.3)
DATASET: dict[str, str] = {
    Kind.PENALTY: "VIOLATING_LAWS_RULES_INFO",
    Kind.VIOLATION: "VIOLATING_LAWS_RULES_INFO",
    Kind.BLACKLIST: "BLACK_LIST",
    Kind.REDLIST: "AWARD_INFO",
    Kind.AWARD: "AWARD_INFO",
    Kind.PERFORMANCE: "PERFORMANCE_INFO",
}

NEGATIVE = frozenset({Kind.PENALTY, Kind.VIOLATION, Kind.BLACKLIST})
POSITIVE = frozenset({Kind.REDLIST, Kind.AWARD})
LISTS = frozenset({Kind.BLACKLIST, Kind.REDLIST})  # listings that may be removed (移出名单)


class Severity(StrEnum):
    MINOR = "minor"  # 轻微
    GENERAL = "general"  # 一般失信
    SERIOUS = "serious"  # 严重失信


SEVERITY_LABELS: dict[str, str] = {Severity.MINOR: "轻微", Severity.GENERAL: "一般", Severity.SERIOUS: "严重"}


class Level(StrEnum):
    """履约评价等级 (performance records only)."""

    EXCELLENT = "excellent"
    GOOD = "good"
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"


LEVEL_LABELS: dict[str, str] = {
    Level.EXCELLENT: "优秀",
    Level.GOOD: "良好",
    Level.QUALIFIED: "合格",
    Level.UNQUALIFIED: "不合格",
}


class ConfinedAction(StrEnum):
    """What a sanction restricts (the data spec's CONFINED_ACTION; local codes, docs/credit.md)."""

    BIDDING = "bidding"  # 参加招标投标、政府采购活动（投标、响应）
    AUCTION = "auction"  # 参加拍卖、挂牌、网络竞价等竞买
    REGISTRATION = "registration"  # 办理主体登记或新增交易角色
    AGENCY = "agency"  # 从事招标（采购）代理业务
    EXPERT = "expert"  # 担任评标（评审）专家 (natural persons)


CONFINED_LABELS: dict[str, str] = {
    ConfinedAction.BIDDING: "参加招标投标和政府采购活动",
    ConfinedAction.AUCTION: "参加拍卖、挂牌、网络竞价等竞买",
    ConfinedAction.REGISTRATION: "办理主体登记或新增交易角色",
    ConfinedAction.AGENCY: "从事招标（采购）代理业务",
    ConfinedAction.EXPERT: "担任评标（评审）专家",
}


class Source(StrEnum):
    REGULATOR = "regulator"  # 行政监督部门作出
    EXTERNAL = "external"  # 外部信用平台（信用中国等）推送或核实
    COMPLAINT = "complaint"  # 投诉处理决定


SOURCE_LABELS: dict[str, str] = {
    Source.REGULATOR: "行政监督部门",
    Source.EXTERNAL: "外部信用平台",
    Source.COMPLAINT: "投诉处理决定",
}


class Status(StrEnum):
    ACTIVE = "active"  # 有效
    REVOKED = "revoked"  # 撤销（决定被撤销、录入错误）
    REMOVED = "removed"  # 移出名单
    REPAIRED = "repaired"  # 信用修复：提前停止公示


STATUS_LABELS: dict[str, str] = {
    Status.ACTIVE: "有效",
    Status.REVOKED: "已撤销",
    Status.REMOVED: "已移出名单",
    Status.REPAIRED: "已信用修复（停止公示）",
}


class Publication(StrEnum):
    """How a kind of record is published on the public credit page (operating policy, docs/credit.md)."""

    NEVER = "never"  # kept for supervision and grading only
    IN_FORCE = "in_force"  # public while listed / in force
    PERIOD = "period"  # public from the decision until the longest publication period ends


PUBLICATION: dict[str, Publication] = {
    Kind.PENALTY: Publication.PERIOD,
    Kind.BLACKLIST: Publication.IN_FORCE,
    Kind.REDLIST: Publication.IN_FORCE,
    Kind.AWARD: Publication.IN_FORCE,
    Kind.VIOLATION: Publication.NEVER,
    Kind.PERFORMANCE: Publication.NEVER,
}
PUBLISHED_PENALTY_SEVERITIES = frozenset({Severity.GENERAL, Severity.SERIOUS})
REPAIRABLE = frozenset({Kind.PENALTY})  # early end of publication on request (other kinds: removal by the authority)

# the rules-catalogue ids of the publication periods of penalties, per severity: (shortest, longest)
PERIOD_RULES: dict[str, tuple[str, str]] = {
    Severity.GENERAL: ("credit.penalty_publication_min_general", "credit.penalty_publication_max_general"),
    Severity.SERIOUS: ("credit.penalty_publication_min_serious", "credit.penalty_publication_max_serious"),
}
REPAIR_REVIEW_RULE = "credit.repair_review_max"


@dataclass(frozen=True)
class RecordFacts:
    """What the rules below need to know about one record."""

    kind: str
    severity: str
    decided_on: date
    starts_on: date
    ends_on: date | None
    confined: tuple[str, ...]
    status: str
    public_until: date | None = None  # end of publication (exclusive); None: while in force
    repairable_from: date | None = None
    level: str = ""


def in_period(facts: RecordFacts, day: date) -> bool:
    return facts.starts_on <= day and (facts.ends_on is None or day <= facts.ends_on)


def restriction_in_force(facts: RecordFacts, action: str, day: date) -> bool:
    """Does this record bar ``action`` on ``day``? Revoked records and removed listings bar nothing; a repaired
    record's restriction still runs to its end (repair ends the publication, not the sanction)."""
    if facts.kind not in NEGATIVE or action not in facts.confined:
        return False
    if facts.status in (Status.REVOKED, Status.REMOVED):
        return False
    return in_period(facts, day)


def restriction_touches(facts: RecordFacts, action: str, first: date, last: date) -> bool:
    """Does this record bar ``action`` on some day of ``first``…``last``?"""
    if facts.kind not in NEGATIVE or action not in facts.confined:
        return False
    if facts.status in (Status.REVOKED, Status.REMOVED):
        return False
    return facts.starts_on <= last and (facts.ends_on is None or first <= facts.ends_on)


def is_public(facts: RecordFacts, day: date) -> bool:
    """Is the record shown on the public credit page on ``day``?"""
    mode = PUBLICATION.get(facts.kind, Publication.NEVER)
    if mode is Publication.NEVER or facts.status != Status.ACTIVE or facts.decided_on > day:
        return False
    if mode is Publication.IN_FORCE:
        return in_period(facts, day)
    if facts.severity not in PUBLISHED_PENALTY_SEVERITIES:
        return False
    return facts.public_until is None or day < facts.public_until


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months; a missing day becomes the month's last day (01-31 + 1 month = 02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def add_period(day: date, amount: int, unit: str) -> date:
    """``day`` + ``amount`` ``unit`` (``day`` | ``month`` | ``year``), as publication periods are counted: a
    period of 3 months from 2026-01-15 ends at the end of 2026-04-14, so this returns 2026-04-15 (exclusive)."""
    if unit == "day":
        return day + timedelta(days=amount)
    if unit == "month":
        return add_months(day, amount)
    if unit == "year":
        return add_months(day, 12 * amount)
    raise ValueError(f"unit {unit!r} is not a publication period unit (day, month, year)")


@dataclass(frozen=True)
class Window:
    public_until: date | None  # exclusive
    repairable_from: date | None


def publication_window(
    kind: str, severity: str, decided_on: date, shortest: tuple[int, str] | None, longest: tuple[int, str] | None
) -> Window:
    """When a record stops being public and from when its repair may be asked. ``shortest``/``longest`` are the
    catalogue's (value, unit) for the record's severity (needed for published penalties only)."""
    if kind != Kind.PENALTY or severity not in PUBLISHED_PENALTY_SEVERITIES:
        return Window(None, None)
    if shortest is None or longest is None:
        raise ValueError("a published penalty needs both publication periods")
    return Window(add_period(decided_on, *longest), add_period(decided_on, *shortest))


# -- checking a new record ---------------------------------------------------------------------------------------


def _bad(code: str, zh: str, en: str, field: str, **details: object) -> InvalidInput:
    return InvalidInput(f"credit.{code}", zh, en, {"field": field, **details})


def check_new_record(
    *,
    kind: str,
    severity: str,
    level: str,
    decided_on: date,
    starts_on: date,
    ends_on: date | None,
    confined: Iterable[str],
    today: date,
) -> list[YiwangError]:
    """Every reason the record is inconsistent (empty: fine). Kinds, severities, levels and actions are
    checked against the vocabularies above; dates must be in order and the decision not in the future."""
    errors: list[YiwangError] = []
    confined = tuple(confined)
    if kind not in set(Kind):
        errors.append(_bad("kind_invalid", "信用记录类别无效", f"kind must be one of {list(Kind)}", "kind"))
        return errors
    if kind in NEGATIVE:
        if severity not in set(Severity):
            errors.append(
                _bad(
                    "severity_required", "不良记录须注明失信程度（轻微/一般/严重）", "severity is required", "severity"
                )
            )
    elif severity:
        errors.append(_bad("severity_not_applicable", "只有不良记录有失信程度", "only negative records", "severity"))
    if kind == Kind.PERFORMANCE:
        if level not in set(Level):
            errors.append(_bad("level_required", "履约评价须注明等级", "level is required", "level"))
    elif level:
        errors.append(_bad("level_not_applicable", "只有履约评价有等级", "only performance records", "level"))
    unknown = [a for a in confined if a not in set(ConfinedAction)]
    if unknown:
        errors.append(
            _bad("confined_invalid", "限制事项无效", f"unknown restricted actions {unknown}", "confined_actions")
        )
    if confined and kind not in NEGATIVE:
        errors.append(
            _bad("confined_not_applicable", "只有不良记录可以限制行为", "only negative records", "confined_actions")
        )
    if kind == Kind.BLACKLIST and not confined:
        errors.append(
            _bad("confined_required", "列入黑名单须注明联合惩戒的限制事项", "a listing restricts", "confined_actions")
        )
    if len(set(confined)) != len(confined):
        errors.append(_bad("confined_duplicate", "限制事项重复", "restricted actions repeat", "confined_actions"))
    if decided_on > today:
        errors.append(
            _bad("decided_in_future", "决定日期不能晚于今天", "the decision date is in the future", "decided_on")
        )
    if starts_on < decided_on:
        errors.append(_bad("starts_before_decision", "有效期不能早于决定日期", "starts before decision", "starts_on"))
    if ends_on is not None and ends_on < starts_on:
        errors.append(_bad("period_invalid", "有效期截止日期早于起始日期", "ends before it starts", "ends_on"))
    return errors


# -- repair ------------------------------------------------------------------------------------------------------


def repair_refusal(facts: RecordFacts, day: date, *, rule_id: str = "", source: str = "") -> YiwangError | None:
    """Why repair of this record may not be asked on ``day`` (None: it may)."""
    if facts.kind not in REPAIRABLE or facts.repairable_from is None:
        return RuleViolation(
            "credit.repair_not_applicable",
            "该记录不公示或不适用信用修复申请（名单由认定机关移出）",
            "this record is not published or cannot be repaired on request",
            {"kind": facts.kind, "severity": facts.severity},
        )
    if facts.status != Status.ACTIVE:
        return Conflict(
            "credit.record_not_active",
            "该记录已撤销、移出或已修复",
            "the record is no longer active",
            {"status": facts.status},
        )
    if facts.public_until is not None and day >= facts.public_until:
        return Conflict(
            "credit.publication_ended", "该记录公示期已满，无需修复", "the publication has already ended", {}
        )
    if day < facts.repairable_from:
        return RuleViolation(
            "credit.repair_too_early",
            f"最短公示期未满，{facts.repairable_from.isoformat()} 起方可申请信用修复",
            f"repair may be asked from {facts.repairable_from.isoformat()}",
            {"repairable_from": facts.repairable_from.isoformat(), "rule_id": rule_id, "source": source},
        )
    return None
