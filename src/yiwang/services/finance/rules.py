"""The legal numbers finance uses, read from the rules catalogue (never written in code).

Every function takes the instant whose catalogue version applies (``on``). A rule the catalogue does not
list is reported as missing, never replaced by a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from yiwang.catalog import queries as catalog
from yiwang.kernel import periods
from yiwang.services.finance.domain.deposits import CAP_RULES, CapRule, CapRules, Regime
from yiwang.services.finance.domain.refunds import INTEREST_RATE_RULES, Interest, Reason, candidate_rules


def _decimal(value: int | Decimal | Fraction) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


def rule_or_none(rule_id: str, on: datetime) -> catalog.RuleValue | None:
    try:
        return catalog.rule(rule_id, on=on)
    except catalog.RuleNotListed:
        return None


def cap_rules(regime: Regime, on: datetime) -> tuple[CapRules, list[str]]:
    """The caps of ``regime`` in effect on ``on``, and the ids of listed-by-design rules the catalogue lacks."""
    found: dict[str, CapRule] = {}
    missing: list[str] = []
    for name, rule_id in CAP_RULES[regime].items():
        value = rule_or_none(rule_id, on)
        if value is None:
            missing.append(rule_id)
            continue
        found[name] = CapRule(rule_id, _decimal(value.value), value.unit, value.source)
    return CapRules(**found), missing


@dataclass(frozen=True)
class Deadline:
    due_at: datetime | None
    rule_id: str
    rule: dict | None  # the rule as used (value, unit, source)
    missing: tuple[str, ...]  # rule ids expected but not listed


def refund_deadline(regime: Regime, reason: Reason, anchor_at: datetime, on: datetime) -> Deadline:
    """The refund's legal deadline: the first listed candidate rule, counted from ``anchor_at`` with the
    Civil-Code arithmetic over the State Council working-day calendar. No rule → no deadline (pay at once)."""
    candidates = candidate_rules(regime, reason)
    for rule_id in candidates:
        value = rule_or_none(rule_id, on)
        if value is None:
            continue
        amount = int(value.value)
        due = periods.deadline_end(anchor_at, amount, value.unit, catalog.workday_calendar())
        return Deadline(due, rule_id, value.as_json(), ())
    return Deadline(None, "", None, candidates)


def interest_rates(mode: Interest, on: datetime) -> dict[str, Decimal | None]:
    out: dict[str, Decimal | None] = {}
    for rule_id in INTEREST_RATE_RULES.get(mode, ()):
        value = rule_or_none(rule_id, on)
        out[rule_id] = _decimal(value.value) if value is not None else None
    return out
