"""Checks made when an evaluation starts: the committee's composition (size, odd number, experts' share,
large-procurement size), the price weight of the scoring (GP), and the number of candidates.

Each refusal is a ``RuleViolation`` whose ``details`` name the rule id and its source, e.g. a committee of 4:
``evaluation.committee_invalid`` with ``problems`` [``committee_too_small`` (tender.committee_min_size),
``committee_even``] and ``rule_id`` / ``source`` of the first problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from yiwang.kernel.errors import RuleViolation
from yiwang.trading.tender.evaluation.domain.inputs import EvaluationConfig
from yiwang.trading.tender.evaluation.domain.legal import EvaluationRules, LegalNumber


@dataclass(frozen=True)
class Problem:
    code: str
    message_zh: str
    message_en: str
    rule: LegalNumber
    facts: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "rule_id": self.rule.rule_id,
            "source": self.rule.source,
            **self.facts,
        }


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def required_size(rules: EvaluationRules, *, budget_fen: int | None, large: bool) -> LegalNumber:
    """The minimum committee size that applies (the large-procurement size when the budget reaches the
    threshold or the project is declared large)."""
    minimum = rules.committee_min
    big = rules.committee_large_min
    if (
        big is not None
        and (
            large
            or (
                budget_fen is not None and rules.large_threshold is not None and budget_fen >= rules.large_threshold.fen
            )
        )
        and big.value > minimum.value
    ):
        return big
    return minimum


def committee_problems(
    experts: int, representatives: int, rules: EvaluationRules, *, budget_fen: int | None = None, large: bool = False
) -> list[Problem]:
    total = experts + representatives
    minimum = required_size(rules, budget_fen=budget_fen, large=large)
    found: list[Problem] = []
    if total < minimum.value:
        found.append(
            Problem(
                "evaluation.committee_too_small",
                f"评标委员会成员应不少于 {minimum.as_int} 人，现为 {total} 人",
                f"the committee needs at least {minimum.as_int} members, it has {total}",
                minimum,
                {"minimum": minimum.as_int, "total": total},
            )
        )
    if total % 2 == 0:
        found.append(
            Problem(
                "evaluation.committee_even",
                f"评标委员会成员人数应为单数，现为 {total} 人",
                f"the committee must have an odd number of members, it has {total}",
                rules.committee_min,
                {"total": total},
            )
        )
    share = rules.expert_share.value
    if total and Fraction(experts, total) < share:
        found.append(
            Problem(
                "evaluation.committee_expert_share",
                f"技术、经济等方面的专家不得少于成员总数的 {_fraction_text(share)}，现为 {experts}/{total}",
                f"experts must be at least {_fraction_text(share)} of the members, they are {experts}/{total}",
                rules.expert_share,
                {"experts": experts, "total": total, "share_min": _fraction_text(share)},
            )
        )
    return found


def check_committee(
    experts: int, representatives: int, rules: EvaluationRules, *, budget_fen: int | None = None, large: bool = False
) -> None:
    found = committee_problems(experts, representatives, rules, budget_fen=budget_fen, large=large)
    if found:
        raise RuleViolation(
            "evaluation.committee_invalid",
            "评标委员会组成不符合规定：" + "；".join(p.message_zh for p in found),
            "The committee's composition breaks the rules: " + "; ".join(p.message_en for p in found),
            {
                "problems": [p.as_dict() for p in found],
                "rule_id": found[0].rule.rule_id,
                "source": found[0].rule.source,
            },
        )


def _percent_text(percent: Fraction) -> str:
    return str((Decimal(percent.numerator) / Decimal(percent.denominator)).quantize(Decimal("0.01")))


def price_weight(config: EvaluationConfig) -> Fraction | None:
    """The price item's share of the total points (None for lowest-price methods)."""
    item = config.price_item
    if item is None or config.total_points <= 0:
        return None
    return Fraction(item.max_points) / Fraction(config.total_points)


def check_config(config: EvaluationConfig, rules: EvaluationRules) -> None:
    """The price weight within the legal bounds (percent rules) and candidates ≤ the cap."""
    share = price_weight(config)
    if share is not None:
        percent = share * 100
        low, high = rules.price_weight_min, rules.price_weight_max
        if low is not None and percent < low.value:
            raise RuleViolation(
                "evaluation.price_weight_too_low",
                f"价格分值占总分值的比重不得低于 {_fraction_text(low.value)}%，现为 {_percent_text(percent)}%",
                f"the price weight must be at least {_fraction_text(low.value)} %, it is {_percent_text(percent)} %",
                {"rule_id": low.rule_id, "source": low.source, "percent": _percent_text(percent)},
            )
        if high is not None and percent > high.value:
            raise RuleViolation(
                "evaluation.price_weight_too_high",
                f"价格分值占总分值的比重不得高于 {_fraction_text(high.value)}%，现为 {_percent_text(percent)}%",
                f"the price weight must be at most {_fraction_text(high.value)} %, it is {_percent_text(percent)} %",
                {"rule_id": high.rule_id, "source": high.source, "percent": _percent_text(percent)},
            )
    cap = rules.candidates_max
    if config.candidates > cap.value:
        raise RuleViolation(
            "evaluation.too_many_candidates",
            f"推荐的中标候选人不得超过 {cap.as_int} 名",
            f"at most {cap.as_int} candidates may be recommended",
            {"rule_id": cap.rule_id, "source": cap.source, "candidates": config.candidates},
        )


def extension_needed(declared: int, members: int, rules: EvaluationRules) -> bool:
    """More than the share of members say the time is too short (条例 Art.48) → the time must be extended."""
    return members > 0 and Fraction(declared, members) > rules.extension_share.value
