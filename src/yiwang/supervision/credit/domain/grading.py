"""Credit grades (信用等级) computed from records — a documented scoring whose parameters are data.

The score starts at ``base``. Within the look-back window (``window_years`` before the day), every active
negative record deducts points by kind and severity and every performance evaluation adds or deducts by
level; red-list listings and awards in force add points up to ``bonus_cap``. The score is clamped to
``[floor, ceiling]`` and mapped to a grade by thresholds; a black-list listing in force forces the lowest grade.
Revoked, removed and repaired records do not count. These numbers are an operating policy of the platform, not
law (``credit/data/policy.json``, docs/credit.md §Grades). A record counts from its decision until the same
day ``window_years`` later (exclusive); ``next_change`` is the next day on which the grade may change without a
new record, so the grade may be cached until then.

Pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from yiwang.supervision.credit.domain.records import (
    NEGATIVE,
    POSITIVE,
    Kind,
    RecordFacts,
    Status,
    add_months,
    in_period,
)


@dataclass(frozen=True)
class GradePolicy:
    version: int
    base: int
    floor: int
    ceiling: int
    window_years: int
    deductions: Mapping[str, Mapping[str, int]]
    bonuses: Mapping[str, int]
    bonus_cap: int
    performance: Mapping[str, int]
    grades: tuple[tuple[str, int], ...]  # (grade, lowest score), best first
    blacklist_grade: str
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> GradePolicy:
        grades = tuple((str(g), int(m)) for g, m in data["grades"])
        if [m for _, m in grades] != sorted((m for _, m in grades), reverse=True):
            raise ValueError("grade thresholds must be given best first")
        return cls(
            version=int(data["version"]),
            base=int(data["base"]),
            floor=int(data["floor"]),
            ceiling=int(data["ceiling"]),
            window_years=int(data["window_years"]),
            deductions={k: {s: int(p) for s, p in v.items()} for k, v in data["deductions"].items()},
            bonuses={k: int(v) for k, v in data["bonuses"].items()},
            bonus_cap=int(data["bonus_cap"]),
            performance={k: int(v) for k, v in data["performance"].items()},
            grades=grades,
            blacklist_grade=str(data["blacklist_grade"]),
            labels={str(k): str(v) for k, v in data.get("labels", {}).items()},
        )

    def grade_of(self, score: int) -> str:
        for grade, lowest in self.grades:
            if score >= lowest:
                return grade
        return self.grades[-1][0]


@dataclass(frozen=True)
class Contribution:
    ref: str
    kind: str
    points: int
    reason: str


@dataclass(frozen=True)
class GradeResult:
    score: int
    grade: str
    label: str
    blacklisted: bool
    contributions: tuple[Contribution, ...]
    next_change: date | None  # the next day on which the grade may change without a new record

    def as_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "grade": self.grade,
            "blacklisted": self.blacklisted,
            "contributions": [c.__dict__ for c in self.contributions],
            "next_change": self.next_change.isoformat() if self.next_change else None,
        }


def _drops_out(decided_on: date, years: int) -> date:
    return add_months(decided_on, 12 * years)


def compute(records: Sequence[tuple[str, RecordFacts]], day: date, policy: GradePolicy) -> GradeResult:
    """The grade on ``day`` from ``records`` (``(ref, facts)`` pairs)."""
    score = policy.base
    bonus = 0
    blacklisted = False
    contributions: list[Contribution] = []
    upcoming: set[date] = set()
    for ref, f in records:
        if f.status != Status.ACTIVE:
            continue
        for moment in (f.decided_on, f.starts_on):
            if moment > day:
                upcoming.add(moment)
        if f.ends_on is not None and f.ends_on >= day:
            upcoming.add(f.ends_on + timedelta(days=1))
        drops_out = _drops_out(f.decided_on, policy.window_years)
        if drops_out > day:
            upcoming.add(drops_out)
        if f.decided_on > day:
            continue
        if f.kind in POSITIVE:
            if in_period(f, day):
                points = policy.bonuses.get(f.kind, 0)
                bonus += points
                contributions.append(
                    Contribution(ref, f.kind, points, "守信激励" if f.kind == Kind.REDLIST else "表彰奖励")
                )
            continue
        if drops_out <= day:
            continue
        if f.kind in NEGATIVE:
            points = -policy.deductions.get(f.kind, {}).get(f.severity, 0)
            score += points
            contributions.append(Contribution(ref, f.kind, points, f"{f.kind}:{f.severity}"))
            if f.kind == Kind.BLACKLIST and in_period(f, day):
                blacklisted = True
        elif f.kind == Kind.PERFORMANCE:
            points = policy.performance.get(f.level, 0)
            score += points
            contributions.append(Contribution(ref, f.kind, points, f"performance:{f.level}"))
    score += min(bonus, policy.bonus_cap)
    score = max(policy.floor, min(policy.ceiling, score))
    grade = policy.blacklist_grade if blacklisted else policy.grade_of(score)
    future = sorted(d for d in upcoming if d > day)
    return GradeResult(
        score=score,
        grade=grade,
        label=policy.labels.get(grade, grade),
        blacklisted=blacklisted,
        contributions=tuple(contributions),
        next_change=future[0] if future else None,
    )
