"""Who may be drawn for one committee: eligibility and the recusal rules (回避).

An expert is excluded, for the first reason in :class:`Exclusion` order that applies, when they are not
active; not enrolled for the kind of procedure; outside the requested regions; named as an avoided expert;
employed by an avoided firm (bidder, tenderer, authority, agency …, matched exactly by registry entity id or
USCC, never by name); have declared a relationship with an avoided firm (relatives of its principal,
economic interest, former employment or office …, still in force or ended within the look-back years of the
rules); are under a sanction in force during the meeting; are older than the age limit on the meeting day;
have declared themselves unavailable on a meeting day; are already booked on an overlapping committee; or
were drawn for the same project within the repeat gap (when the rules catalogue has such a rule).

Everything is decided on plain values (:class:`ExpertFacts`, :class:`Criteria`); the database adapter only
gathers them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from yiwang.kernel.ids import region_level, validate_region_code_format
from yiwang.kernel.periods import local_date
from yiwang.services.experts.domain.pool import ExpertStatus, age_on


class Exclusion(StrEnum):
    """Why an expert holding a requested specialty was not a candidate (first applicable, in this order)."""

    NOT_ACTIVE = "not_active"
    KIND_MISMATCH = "kind_mismatch"
    OUTSIDE_REGION = "outside_region"
    AVOIDED_EXPERT = "avoided_expert"
    AVOIDED_EMPLOYER = "avoided_employer"
    DECLARED_RELATIONSHIP = "declared_relationship"
    SANCTIONED = "sanctioned"
    OVER_AGE = "over_age"
    UNAVAILABLE = "unavailable"
    BOOKED = "booked"
    RECENT_SAME_PROJECT = "recent_same_project"
    NOT_MAIN_SPECIALTY = "not_main_specialty"
    TAKEN_BY_OTHER_LINE = "taken_by_other_line"  # used in explanations of multi-line shortages only


EXCLUSION_LABELS_ZH: dict[str, str] = {
    Exclusion.NOT_ACTIVE: "非正常状态（暂停或已出库）",
    Exclusion.KIND_MISMATCH: "未入选该类专家库",
    Exclusion.OUTSIDE_REGION: "不在抽取区域",
    Exclusion.AVOIDED_EXPERT: "指定回避专家",
    Exclusion.AVOIDED_EMPLOYER: "工作单位为回避单位",
    Exclusion.DECLARED_RELATIONSHIP: "与回避单位存在申报的利害关系",
    Exclusion.SANCTIONED: "处于处理（处罚）期内",
    Exclusion.OVER_AGE: "超过年龄上限",
    Exclusion.UNAVAILABLE: "评审期间申报不能参加",
    Exclusion.BOOKED: "评审时间与其他评审任务冲突",
    Exclusion.RECENT_SAME_PROJECT: "近期已被抽取参加同一项目",
    Exclusion.NOT_MAIN_SPECIALTY: "非主专业",
    Exclusion.TAKEN_BY_OTHER_LINE: "已被其他专业抽中",
}


class Tie(NamedTuple):
    """A declared relationship (利害关系) with a firm; ``ended_on`` None = still in force (relatives never end)."""

    entity_id: int | None
    uscc: str | None
    ended_on: date | None = None


class Period(NamedTuple):
    """A sanction in force from ``start`` to ``end`` inclusive (``end`` None = open-ended)."""

    start: date
    end: date | None = None


class ExpertFacts(NamedTuple):
    """What eligibility is decided on (a named tuple: a draw builds tens of thousands of them)."""

    id: int
    status: str
    region_code: str
    birth_date: date
    kinds: frozenset[str]
    employer_entity_id: int | None = None
    employer_uscc: str | None = None
    specialties: frozenset[str] = frozenset()  # codes held
    main_specialties: frozenset[str] = frozenset()  # codes held as a main specialty (主专业)
    unavailable: tuple[tuple[date, date], ...] = ()
    bookings: tuple[tuple[datetime, datetime], ...] = ()
    ties: tuple[Tie, ...] = ()
    sanctions: tuple[Period, ...] = ()
    recent_projects: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Criteria:
    kind: str
    region_scope: tuple[str, ...]
    window_start: datetime
    window_end: datetime
    project_ref: str = ""
    avoided_entity_ids: frozenset[int] = frozenset()
    avoided_usccs: frozenset[str] = frozenset()
    avoided_experts: frozenset[int] = frozenset()
    age_max: int | None = None
    tie_lookback_years: int | None = None  # None: an ended relationship still counts
    recent_gap_days: int | None = None  # same-project repeat gap, when the rules catalogue has one
    _prefixes: tuple[str, ...] = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        lengths = {"province": 2, "prefecture": 4, "county": 6}
        prefixes = tuple(validate_region_code_format(code)[: lengths[region_level(code)]] for code in self.region_scope)
        object.__setattr__(self, "_prefixes", prefixes)

    @property
    def first_day(self) -> date:
        return local_date(self.window_start)

    @property
    def last_day(self) -> date:
        return local_date(self.window_end)

    @property
    def check_recent_project(self) -> bool:
        return self.recent_gap_days is not None and bool(self.project_ref)

    def in_scope(self, region_code: str) -> bool:
        return any(region_code.startswith(p) for p in self._prefixes)

    def avoids(self, entity_id: int | None, uscc: str | None) -> bool:
        return (entity_id is not None and entity_id in self.avoided_entity_ids) or (
            bool(uscc) and uscc in self.avoided_usccs
        )


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _tie_counts(tie: Tie, criteria: Criteria) -> bool:
    if not criteria.avoids(tie.entity_id, tie.uscc):
        return False
    if tie.ended_on is None or criteria.tie_lookback_years is None:
        return True
    return tie.ended_on >= _shift_years(criteria.first_day, criteria.tie_lookback_years)


def exclusions(facts: ExpertFacts, criteria: Criteria, *, first_only: bool = False) -> list[Exclusion]:
    """Every reason (in :class:`Exclusion` order) why ``facts`` may not sit on this committee."""
    out: list[Exclusion] = []

    def hit(reason: Exclusion) -> bool:
        out.append(reason)
        return first_only

    first, last = criteria.first_day, criteria.last_day
    if facts.status != ExpertStatus.ACTIVE and hit(Exclusion.NOT_ACTIVE):
        return out
    if criteria.kind not in facts.kinds and hit(Exclusion.KIND_MISMATCH):
        return out
    if not criteria.in_scope(facts.region_code) and hit(Exclusion.OUTSIDE_REGION):
        return out
    if facts.id in criteria.avoided_experts and hit(Exclusion.AVOIDED_EXPERT):
        return out
    if criteria.avoids(facts.employer_entity_id, facts.employer_uscc) and hit(Exclusion.AVOIDED_EMPLOYER):
        return out
    if any(_tie_counts(t, criteria) for t in facts.ties) and hit(Exclusion.DECLARED_RELATIONSHIP):
        return out
    if any(p.start <= last and (p.end is None or p.end >= first) for p in facts.sanctions) and hit(
        Exclusion.SANCTIONED
    ):
        return out
    if criteria.age_max is not None and age_on(facts.birth_date, first) > criteria.age_max and hit(Exclusion.OVER_AGE):
        return out
    if any(s <= last and e >= first for s, e in facts.unavailable) and hit(Exclusion.UNAVAILABLE):
        return out
    if any(s < criteria.window_end and e > criteria.window_start for s, e in facts.bookings) and hit(Exclusion.BOOKED):
        return out
    if criteria.check_recent_project and criteria.project_ref in facts.recent_projects:
        hit(Exclusion.RECENT_SAME_PROJECT)
    return out


def first_exclusion(facts: ExpertFacts, criteria: Criteria) -> Exclusion | None:
    found = exclusions(facts, criteria, first_only=True)
    return found[0] if found else None


def is_eligible(facts: ExpertFacts, criteria: Criteria) -> bool:
    return first_exclusion(facts, criteria) is None


def count_reasons(reasons: Iterable[Exclusion | None]) -> dict[str, int]:
    """``{reason: count}`` for the reasons that occurred, in :class:`Exclusion` order."""
    seen = Counter(r for r in reasons if r is not None)
    return {reason.value: seen[reason] for reason in Exclusion if seen[reason]}
