"""Reading the rules catalogue for rules the procedure's snapshot does not hold (recorded as not from the
snapshot), and what the experts and venues services are told about the committee."""

from __future__ import annotations

from fractions import Fraction

from yiwang.catalog import queries as catalog
from yiwang.catalog.queries import RuleNotListed
from yiwang.trading.tender.evaluation.domain.inputs import Regime
from yiwang.trading.tender.evaluation.domain.legal import LegalNumber


def catalogue_lookup(rule_id: str) -> LegalNumber | None:
    """A rule in effect today, or None when the catalogue does not list it."""
    try:
        value = catalog.rule(rule_id)
    except RuleNotListed:
        return None
    return LegalNumber(value.rule_id, Fraction(value.value), value.unit, value.source, from_snapshot=False)


def pool_kind(regime: Regime) -> str:
    """The experts service's pool for a regime: works tendering or government procurement."""
    return "gp" if regime is Regime.GP else "works"
