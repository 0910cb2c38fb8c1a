"""The legal numbers the pool and the draw use, read from the rules catalogue (规则目录).

Required rules are read with :func:`yiwang.catalog.queries.rule` (an unlisted one refuses with
``catalog.rule_not_listed``). Optional ones apply only when the catalogue lists them:

- ``expert.age_max`` — age limit of works-tendering experts (the GP limit is ``expert.gp_age_max``);
- ``expert.recusal_lookback`` — years an ended relationship (former employment, office) still counts for works
  tendering (GP: ``expert.gp_recusal_lookback``); without it an ended relationship always counts;
- ``expert.same_project_redraw_gap`` — days during which experts who sat for a project are not drawn for
  the same project again.
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any

from yiwang.catalog import queries as catalog
from yiwang.catalog.queries import RuleNotListed, RuleValue
from yiwang.services.experts.domain.committee import CommitteeRules
from yiwang.services.experts.domain.pool import EntryRules, PoolKind

EXPERIENCE = {PoolKind.WORKS: "expert.experience_min", PoolKind.GP: "expert.gp_experience_min"}
AGE = {PoolKind.WORKS: "expert.age_max", PoolKind.GP: "expert.gp_age_max"}
AGE_REQUIRED = {PoolKind.WORKS: False, PoolKind.GP: True}
LOOKBACK = {PoolKind.WORKS: "expert.recusal_lookback", PoolKind.GP: "expert.gp_recusal_lookback"}
LOOKBACK_REQUIRED = {PoolKind.WORKS: False, PoolKind.GP: True}
REDRAW_GAP = "expert.same_project_redraw_gap"
COMMITTEE = {
    PoolKind.WORKS: {"min": "tender.committee_min_size", "share": "tender.committee_expert_share_min"},
    PoolKind.GP: {
        "min": "gp.committee_min_size",
        "share": "gp.committee_expert_share_min",
        "large": "gp.committee_min_size_large",
        "threshold": "gp.committee_large_budget_threshold",
    },
}

# GP non-tender methods (竞争性谈判, 询价, 竞争性磋商) form a smaller panel (谈判小组/询价小组/磋商小组):
# at least 3, at least 5 when the budget reaches the open-tender threshold.
PANEL = {
    "min": "gp.negotiation_panel_min",
    "share": "gp.committee_expert_share_min",
    "large": "gp.negotiation_panel_min_large",
    "threshold": "gp.open_tender_threshold",
}
PANEL_KINDS = ("committee", "panel")

Day = date | datetime | None


def optional_rule(rule_id: str, on: Day = None) -> RuleValue | None:
    try:
        return catalog.rule(rule_id, on=on)
    except RuleNotListed:
        return None


def _get(rule_id: str, required: bool, on: Day) -> RuleValue | None:
    return catalog.rule(rule_id, on=on) if required else optional_rule(rule_id, on)


def _int(value: RuleValue | None) -> int | None:
    return None if value is None else int(value.value)


def entry_rules(kind: PoolKind, on: Day = None) -> EntryRules:
    experience = catalog.rule(EXPERIENCE[kind], on=on)
    age = _get(AGE[kind], AGE_REQUIRED[kind], on)
    return EntryRules(
        kind=kind,
        experience_min_years=int(experience.value),
        experience_rule=experience.rule_id,
        age_max=_int(age),
        age_rule=age.rule_id if age else None,
    )


def draw_rules(kind: PoolKind, on: Day = None) -> dict[str, Any]:
    """The numbers a draw applies (stored in the hashed request, so a replay uses the same)."""
    age = _get(AGE[kind], AGE_REQUIRED[kind], on)
    lookback = _get(LOOKBACK[kind], LOOKBACK_REQUIRED[kind], on)
    gap = optional_rule(REDRAW_GAP, on)
    return {
        "age_max": _int(age),
        "age_rule": age.rule_id if age else None,
        "tie_lookback_years": _int(lookback),
        "tie_lookback_rule": lookback.rule_id if lookback else None,
        "recent_gap_days": _int(gap),
        "recent_gap_rule": gap.rule_id if gap else None,
    }


def committee_rules(kind: PoolKind, on: Day = None, *, panel: str = "committee") -> CommitteeRules:
    """The committee rules of a works or GP evaluation committee, or (``panel="panel"``, GP only) of a
    negotiation / RFQ / consultation panel."""
    ids = PANEL if (panel == "panel" and kind is PoolKind.GP) else COMMITTEE[kind]
    minimum = catalog.rule(ids["min"], on=on)
    share = catalog.rule(ids["share"], on=on)
    large = catalog.rule(ids["large"], on=on) if "large" in ids else None
    threshold = catalog.rule(ids["threshold"], on=on) if "threshold" in ids else None
    if threshold is not None and threshold.unit != "yuan":
        raise ValueError(f"{threshold.rule_id} is in {threshold.unit}, expected yuan")
    return CommitteeRules(
        kind=kind.value,
        min_size=int(minimum.value),
        min_size_rule=minimum.rule_id,
        expert_share_min=Fraction(share.value),
        expert_share_rule=share.rule_id,
        large_min_size=_int(large),
        large_min_size_rule=large.rule_id if large else None,
        large_budget_threshold_fen=int(threshold.value) * 100 if threshold is not None else None,
        large_budget_rule=threshold.rule_id if threshold else None,
    )
