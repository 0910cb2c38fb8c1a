"""The credit context's operating policy (``data/policy.json``: the grading) and its legal numbers.

Legal numbers are read from the rules catalogue only (:func:`legal_rule`). When the catalogue in effect does not
list one, the act that needs it is refused with ``catalog.rule_not_listed`` (422) naming the rule id and what it
is needed for: an unlisted rule may not be enforced, and no default stands in for it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from yiwang.catalog import queries as catalog
from yiwang.catalog.queries import RuleNotListed, RuleValue
from yiwang.supervision.credit.domain.grading import GradePolicy

DATA = Path(__file__).resolve().parent / "data"

NEEDED_FOR: dict[str, str] = {
    "credit.penalty_publication_min_general": "一般失信行政处罚信息的最短公示期（信用修复申请起算）",
    "credit.penalty_publication_max_general": "一般失信行政处罚信息的最长公示期",
    "credit.penalty_publication_min_serious": "严重失信行政处罚信息的最短公示期（信用修复申请起算）",
    "credit.penalty_publication_max_serious": "严重失信行政处罚信息的最长公示期",
    "credit.repair_review_max": "信用修复申请的办理时限",
}


def conf() -> dict[str, Any]:
    """``settings.YIWANG_CREDIT`` (optional): ``{"POLICY_FILE": path}`` replaces the shipped grading policy."""
    return dict(getattr(settings, "YIWANG_CREDIT", {}) or {})


@cache
def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def grade_policy() -> GradePolicy:
    return GradePolicy.from_data(_load(str(conf().get("POLICY_FILE") or DATA / "policy.json"))["grading"])


def legal_rule(rule_id: str, on: date | datetime | None = None) -> RuleValue:
    """The catalogue's value of ``rule_id`` on ``on``; ``catalog.rule_not_listed`` (with ``needed_for``) if the
    catalogue in effect does not list it."""
    try:
        return catalog.rule(rule_id, on=on)
    except RuleNotListed as exc:
        exc.details["needed_for"] = NEEDED_FOR.get(rule_id, "")
        exc.details["context"] = "supervision.credit"
        raise


def period(rule: RuleValue) -> tuple[int, str]:
    """A publication period as ``(amount, unit)``; refuses a catalogue entry in a unit that is not a period."""
    if rule.unit not in ("day", "month", "year") or int(rule.value) != rule.value or int(rule.value) <= 0:
        raise RuleNotListed(rule.rule_id, rule.effective_from.isoformat())
    return int(rule.value), rule.unit
