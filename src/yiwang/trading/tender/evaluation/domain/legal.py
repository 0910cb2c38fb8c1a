"""The legal numbers an evaluation applies, read from the rules snapshot (规则目录) — never written in code.

The tender context passes ``catalog.queries.rules_snapshot(...)`` (a dict ``rule_id → {value, source, …}``)
taken when its procedure was created. :func:`legal_rules` picks the rules of the regime and method; a rule the
snapshot lacks is asked of ``lookup`` (the catalogue in effect today) and recorded as such. Every number keeps
its rule id and source, so a refusal can name them.

Which rules, by regime (``?``: applied only when listed):

- committee minimum: tender.committee_min_size · gp.committee_min_size · panels (谈判/询价小组)
  gp.negotiation_panel_min;
- large committee (GP): gp.committee_min_size_large when the budget reaches gp.committee_large_budget_threshold
  or the project is declared large; panels: gp.negotiation_panel_min_large from gp.open_tender_threshold;
- experts' share: tender.committee_expert_share_min · gp.committee_expert_share_min;
- candidates cap: tender.candidates_max · gp.candidates_max? else tender.candidates_max;
- "time too short" share: tender.committee_extension_share · gp.committee_extension_share? else the tender one;
- valid bids needed: tender.min_bidders · gp.min_bidders · panels gp.negotiation_min_suppliers;
- price weight (GP): gp.price_weight_{goods,services}_min; consultation
  gp.consultation_price_weight_{goods,services}_{min,max}.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from yiwang.kernel.errors import RuleViolation
from yiwang.trading.tender.evaluation.domain.inputs import Method, Regime, TenderKind


@dataclass(frozen=True)
class LegalNumber:
    rule_id: str
    value: Fraction
    unit: str
    source: str
    from_snapshot: bool = True

    @property
    def as_int(self) -> int:
        return int(self.value)

    @property
    def fen(self) -> int:
        """A money threshold in fen (the catalogue states them in yuan)."""
        return int(self.value * 100) if self.unit == "yuan" else int(self.value)

    def as_json(self) -> dict[str, Any]:
        value = self.value
        text = str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
        return {
            "rule_id": self.rule_id,
            "value": text,
            "unit": self.unit,
            "source": self.source,
            "from_snapshot": self.from_snapshot,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LegalNumber:
        return cls(
            rule_id=data["rule_id"],
            value=Fraction(str(data["value"])),
            unit=data.get("unit", ""),
            source=data.get("source", ""),
            from_snapshot=bool(data.get("from_snapshot", True)),
        )


Lookup = Callable[[str], "LegalNumber | None"]


def from_snapshot(snapshot: Mapping[str, Any], rule_id: str) -> LegalNumber | None:
    entry = snapshot.get(rule_id)
    if not isinstance(entry, Mapping) or "value" not in entry:
        return None
    try:
        value = Fraction(str(entry["value"]))
    except (ValueError, ZeroDivisionError):
        return None
    return LegalNumber(rule_id, value, str(entry.get("unit", "")), str(entry.get("source", "")), True)


@dataclass(frozen=True)
class EvaluationRules:
    committee_min: LegalNumber
    expert_share: LegalNumber
    candidates_max: LegalNumber
    extension_share: LegalNumber
    min_valid_bids: LegalNumber
    committee_large_min: LegalNumber | None = None
    large_threshold: LegalNumber | None = None
    price_weight_min: LegalNumber | None = None
    price_weight_max: LegalNumber | None = None

    def as_json(self) -> dict[str, Any]:
        out = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is not None:
                out[name] = value.as_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EvaluationRules:
        return cls(**{k: LegalNumber.from_json(v) for k, v in data.items()})


def _missing(rule_id: str) -> RuleViolation:
    return RuleViolation(
        "evaluation.rule_not_listed",
        f"规则目录未列出规则 {rule_id}，不得执行",
        f"the rules catalogue does not list {rule_id}; it cannot be applied",
        {"rule_id": rule_id},
    )


def legal_rules(kind: TenderKind, method: Method, snapshot: Mapping[str, Any], lookup: Lookup) -> EvaluationRules:
    """The numbers for ``kind`` evaluated by ``method``: from the snapshot, else from ``lookup``; a required rule
    listed nowhere refuses (``evaluation.rule_not_listed``)."""

    def get(rule_id: str) -> LegalNumber | None:
        return from_snapshot(snapshot, rule_id) or lookup(rule_id)

    def need(*rule_ids: str) -> LegalNumber:
        for rule_id in rule_ids:
            found = get(rule_id)
            if found is not None:
                return found
        raise _missing(rule_ids[-1])

    if kind.regime is Regime.TENDER:
        return EvaluationRules(
            committee_min=need("tender.committee_min_size"),
            expert_share=need("tender.committee_expert_share_min"),
            candidates_max=need("tender.candidates_max"),
            extension_share=need("tender.committee_extension_share"),
            min_valid_bids=need("tender.min_bidders"),
        )
    goods = kind.subject != "services"
    price_min = price_max = None
    if method is Method.GP_COMPREHENSIVE and kind.subject in ("goods", "services"):
        price_min = need("gp.price_weight_goods_min" if goods else "gp.price_weight_services_min")
    elif method is Method.CONSULTATION and kind.subject in ("goods", "services"):
        stem = "gp.consultation_price_weight_goods" if goods else "gp.consultation_price_weight_services"
        price_min, price_max = need(f"{stem}_min"), need(f"{stem}_max")
    if method.panel:
        committee_min = need("gp.negotiation_panel_min")
        large_min = need("gp.negotiation_panel_min_large")
        threshold = need("gp.open_tender_threshold")
        min_valid = need("gp.negotiation_min_suppliers")
    else:
        committee_min = need("gp.committee_min_size")
        large_min = need("gp.committee_min_size_large")
        threshold = need("gp.committee_large_budget_threshold")
        min_valid = need("gp.min_bidders")
    return EvaluationRules(
        committee_min=committee_min,
        expert_share=need("gp.committee_expert_share_min"),
        candidates_max=need("gp.candidates_max", "tender.candidates_max"),
        extension_share=need("gp.committee_extension_share", "tender.committee_extension_share"),
        min_valid_bids=min_valid,
        committee_large_min=large_min,
        large_threshold=threshold,
        price_weight_min=price_min,
        price_weight_max=price_max,
    )
