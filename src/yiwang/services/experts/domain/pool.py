"""The expert pool's vocabulary and its entry (入库) conditions.

The numbers (years of practice, age limit) come from the rules catalogue and are passed in as
:class:`EntryRules`; nothing here knows a legal number. The senior-title condition (高级职称或同等专业水平)
is a condition of the text itself, not a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from yiwang.kernel.errors import Conflict, InvalidInput, RuleViolation
from yiwang.services.experts.domain.errors import FieldErrors


class ExpertStatus(StrEnum):
    ACTIVE = "active"  # 正常（可抽取）
    SUSPENDED = "suspended"  # 暂停
    RETIRED = "retired"  # 已出库


STATUS_LABELS_ZH = {ExpertStatus.ACTIVE: "正常", ExpertStatus.SUSPENDED: "暂停", ExpertStatus.RETIRED: "已出库"}


class TitleLevel(StrEnum):
    """职称级别."""

    FULL_SENIOR = "full_senior"  # 正高级
    SENIOR = "senior"  # 副高级
    INTERMEDIATE = "intermediate"  # 中级
    JUNIOR = "junior"  # 初级
    NONE = "none"  # 无


TITLE_LEVEL_LABELS_ZH = {
    TitleLevel.FULL_SENIOR: "正高级",
    TitleLevel.SENIOR: "副高级",
    TitleLevel.INTERMEDIATE: "中级",
    TitleLevel.JUNIOR: "初级",
    TitleLevel.NONE: "无",
}
SENIOR_LEVELS = frozenset({TitleLevel.FULL_SENIOR, TitleLevel.SENIOR})


class PoolKind(StrEnum):
    """What an expert evaluates, which decides the rules that apply (专家类别, data-spec code set 2007)."""

    WORKS = "works"  # 评标专家（工程建设项目招标投标）
    GP = "gp"  # 政府采购评审专家


POOL_KIND_LABELS_ZH = {PoolKind.WORKS: "评标专家（工程建设）", PoolKind.GP: "评审专家（政府采购）"}

# What a status change may do: action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[ExpertStatus], ExpertStatus]] = {
    "suspend": (frozenset({ExpertStatus.ACTIVE}), ExpertStatus.SUSPENDED),
    "reinstate": (frozenset({ExpertStatus.SUSPENDED, ExpertStatus.RETIRED}), ExpertStatus.ACTIVE),
    "retire": (frozenset({ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED}), ExpertStatus.RETIRED),
}
TRANSITION_LABELS_ZH = {"suspend": "暂停", "reinstate": "恢复", "retire": "出库"}


def next_status(current: str, change: str) -> ExpertStatus:
    """The status after ``change`` (suspend / reinstate / retire), or ``experts.status_change_invalid``."""
    if change not in TRANSITIONS:
        raise InvalidInput(
            "experts.status_change_unknown",
            f"未知的状态操作“{change}”",
            f"unknown status change {change!r}",
            {"field": "action", "allowed": sorted(TRANSITIONS)},
        )
    sources, target = TRANSITIONS[change]
    if ExpertStatus(current) not in sources:
        raise Conflict(
            "experts.status_change_invalid",
            f"专家当前状态为“{STATUS_LABELS_ZH[ExpertStatus(current)]}”，不能{TRANSITION_LABELS_ZH[change]}",
            f"an expert in status {current!r} cannot be changed by {change!r}",
            {"status": current, "action": change},
        )
    return target


def age_on(birth: date, day: date) -> int:
    """Age in full years (周岁) on ``day``. Someone born on 29 February has their birthday on 1 March in
    common years."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def full_years_between(start: date, day: date) -> int:
    """Whole years from ``start`` to ``day`` (years of practice)."""
    return max(age_on(start, day), 0)


@dataclass(frozen=True)
class EntryRules:
    """The entry conditions for one pool kind, from the rules catalogue (rule ids kept for error details)."""

    kind: PoolKind
    experience_min_years: int
    experience_rule: str
    age_max: int | None = None
    age_rule: str | None = None


@dataclass(frozen=True)
class Candidate:
    """What an enrolment or reinstatement is checked on."""

    birth_date: date
    title_level: TitleLevel
    equivalent_level: bool  # 具有同等专业水平 (recorded with a note)
    equivalent_note: str
    practice_since: date


def check_entry(candidate: Candidate, rules: list[EntryRules], on: date) -> None:
    """Refuse with ``RuleViolation`` when a condition of any pool kind the expert is enrolled for is not met:
    ``experts.experience_insufficient``, ``experts.title_insufficient``, ``experts.over_age_limit``."""
    errors = FieldErrors()
    years = full_years_between(candidate.practice_since, on)
    for r in rules:
        if years < r.experience_min_years:
            errors.add(
                RuleViolation(
                    "experts.experience_insufficient",
                    f"从事相关专业领域工作满 {r.experience_min_years} 年方可入库，该专家为 {years} 年",
                    f"{r.experience_min_years} years in the field are required, this expert has {years}",
                    {
                        "field": "practice_since",
                        "rule_id": r.experience_rule,
                        "required": r.experience_min_years,
                        "actual": years,
                        "kind": r.kind.value,
                    },
                )
            )
        if r.age_max is not None:
            age = age_on(candidate.birth_date, on)
            if age > r.age_max:
                errors.add(
                    RuleViolation(
                        "experts.over_age_limit",
                        f"年龄超过 {r.age_max} 周岁，不能入库（现年 {age} 周岁）",
                        f"older than the limit of {r.age_max} (age {age})",
                        {
                            "field": "id_number",
                            "rule_id": r.age_rule,
                            "limit": r.age_max,
                            "actual": age,
                            "kind": r.kind.value,
                        },
                    )
                )
    if candidate.title_level not in SENIOR_LEVELS:
        if not candidate.equivalent_level:
            errors.add(
                RuleViolation(
                    "experts.title_insufficient",
                    "入库须具有高级职称或者同等专业水平",
                    "a senior professional title or an equivalent professional level is required",
                    {"field": "title_level", "actual": candidate.title_level.value},
                )
            )
        elif not candidate.equivalent_note.strip():
            errors.add(
                InvalidInput(
                    "experts.equivalent_note_required",
                    "认定具有同等专业水平的，须写明依据",
                    "state the grounds for an equivalent professional level",
                    {"field": "equivalent_note"},
                )
            )
    errors.raise_if_any()
