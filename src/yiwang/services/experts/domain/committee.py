"""Committee composition (评标委员会/评审委员会组成): size, odd number, experts' share, large-project size.

The numbers come from the rules catalogue as :class:`CommitteeRules`. Representatives of the tenderer or
purchaser (招标人/采购人代表) count in the committee but not as experts.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from yiwang.kernel.errors import InvalidInput, RuleViolation


@dataclass(frozen=True)
class CommitteeRules:
    kind: str
    min_size: int
    min_size_rule: str
    expert_share_min: Fraction
    expert_share_rule: str
    large_min_size: int | None = None
    large_min_size_rule: str | None = None
    large_budget_threshold_fen: int | None = None
    large_budget_rule: str | None = None


@dataclass(frozen=True)
class Problem:
    code: str
    message_zh: str
    message_en: str
    rule_id: str | None
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "rule_id": self.rule_id,
            **self.details,
        }


def problems(
    experts: int, representatives: int, rules: CommitteeRules, *, budget_fen: int | None = None, large: bool = False
) -> list[Problem]:
    """What is wrong with a committee of ``experts`` + ``representatives`` (empty: nothing).

    ``large``: the project is technically complex or of great social impact (GP: then the large size applies
    whatever the budget)."""
    if experts < 0 or representatives < 0:
        raise InvalidInput(
            "experts.committee_counts_negative",
            "人数不得为负",
            "counts cannot be negative",
            {"experts": experts, "representatives": representatives},
        )
    total = experts + representatives
    found: list[Problem] = []
    minimum, minimum_rule = rules.min_size, rules.min_size_rule
    if rules.large_min_size is not None and (
        large
        or (
            budget_fen is not None
            and rules.large_budget_threshold_fen is not None
            and budget_fen >= rules.large_budget_threshold_fen
        )
    ):
        minimum, minimum_rule = max(minimum, rules.large_min_size), rules.large_min_size_rule
    if total < minimum:
        found.append(
            Problem(
                "experts.committee_too_small",
                f"委员会成员应不少于 {minimum} 人，现为 {total} 人",
                f"the committee needs at least {minimum} members, it has {total}",
                minimum_rule,
                {"minimum": minimum, "total": total},
            )
        )
    if total % 2 == 0:
        found.append(
            Problem(
                "experts.committee_even",
                f"委员会成员人数应为单数，现为 {total} 人",
                f"the committee must have an odd number of members, it has {total}",
                rules.min_size_rule,
                {"total": total},
            )
        )
    if total and Fraction(experts, total) < rules.expert_share_min:
        share = rules.expert_share_min
        found.append(
            Problem(
                "experts.committee_expert_share",
                f"专家不得少于成员总数的 {share.numerator}/{share.denominator}，现为 {experts}/{total}",
                f"experts must be at least {share} of the members, they are {experts}/{total}",
                rules.expert_share_rule,
                {"experts": experts, "total": total, "share_min": str(share)},
            )
        )
    return found


def check(
    experts: int, representatives: int, rules: CommitteeRules, *, budget_fen: int | None = None, large: bool = False
) -> None:
    """Raise ``RuleViolation experts.committee_invalid`` listing every problem."""
    found = problems(experts, representatives, rules, budget_fen=budget_fen, large=large)
    if found:
        raise RuleViolation(
            "experts.committee_invalid",
            "委员会组成不符合规定：" + "；".join(p.message_zh for p in found),
            "The committee's composition breaks the rules: " + "; ".join(p.message_en for p in found),
            {"problems": [p.as_dict() for p in found], "rule_id": found[0].rule_id},
        )
