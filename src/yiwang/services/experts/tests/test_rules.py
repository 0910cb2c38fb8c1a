"""Rules that apply only when the rules catalogue lists them (the works age limit, the works look-back for
ended relationships, the same-project repeat gap), shown with a catalogue that lists them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yiwang.catalog import queries as catalog
from yiwang.catalog.queries import RuleNotListed, RuleValue
from yiwang.kernel.errors import RuleViolation
from yiwang.platform.clock import now
from yiwang.services.experts import actions, rules
from yiwang.services.experts.models import Seat
from yiwang.services.experts.tests import support
from yiwang.services.experts.tests.support import enrol, request

pytestmark = pytest.mark.django_db

EXTRA = {
    "expert.age_max": (70, "year"),
    "expert.recusal_lookback": (3, "year"),
    "expert.same_project_redraw_gap": (180, "day"),
}


@pytest.fixture
def listed(monkeypatch):
    """A catalogue that also lists the optional rules (as the lead is asked to add them)."""
    real = catalog.rule

    def rule(rule_id, *, on=None):
        try:
            return real(rule_id, on=on)
        except RuleNotListed:
            if rule_id not in EXTRA:
                raise
            value, unit = EXTRA[rule_id]
            return RuleValue(rule_id, value, unit, "cap", "", rule_id, "test", "doc.test", "", 1, date(2021, 10, 1))

    monkeypatch.setattr(catalog, "rule", rule)
    return EXTRA


def test_optional_rules_are_not_yet_in_the_shipped_catalogue(db, clock):
    """When the lead lists one of them, this test says so: then drop it from EXTRA (the draw reads it)."""
    for rule_id in EXTRA:
        with pytest.raises(RuleNotListed):
            catalog.rule(rule_id)
    assert rules.draw_rules(rules.PoolKind.WORKS)["age_max"] is None


def test_works_age_limit_applies_once_listed(listed, clock):
    staff = support.staff()
    old = enrol(staff, birth=date(1955, 3, 3), kinds=["works"])  # 70 today, 71 on the meeting day
    others = [enrol(staff) for _ in range(7)]
    draw = actions.do_request_draw(
        actor=staff, data=request(lines=[{"specialty": "A080101", "count": 7, "reserve": 5}])
    )
    assert old.pk not in set(Seat.objects.filter(draw=draw).values_list("expert_id", flat=True))
    assert draw.rules["age_rule"] == "expert.age_max"
    assert len(others) == 7


def test_same_project_gap_excludes_experts_who_sat_before(listed, clock):
    staff = support.staff()
    for _ in range(12):
        enrol(staff)
    first = actions.do_request_draw(
        actor=staff, data=request(lines=[{"specialty": "A080101", "count": 7, "reserve": 0}])
    )
    sat = set(Seat.objects.filter(draw=first).values_list("expert_id", flat=True))
    later = now() + timedelta(days=20)
    with pytest.raises(RuleViolation) as exc:
        actions.do_request_draw(
            actor=staff, data=request(start=later, lines=[{"specialty": "A080101", "count": 7, "reserve": 0}])
        )
    assert exc.value.details["lines"][0]["excluded"] == {"recent_same_project": 7}
    assert len(sat) == 7
    other = actions.do_request_draw(
        actor=staff,
        data=request(start=later, project_ref="TP-OTHER", lines=[{"specialty": "A080101", "count": 5, "reserve": 0}]),
    )
    assert Seat.objects.filter(draw=other).count() == 5  # another project may use them


def test_works_lookback_lets_old_relationships_lapse(listed, clock):
    staff = support.staff()
    firm = support.make_firm()
    lapsed = enrol(staff)
    recent = enrol(staff)
    actions.do_declare_tie(
        actor=staff, expert_id=lapsed.pk, data={"entity_id": firm, "kind": "former_employer", "ended_on": "2020-01-31"}
    )
    actions.do_declare_tie(
        actor=staff, expert_id=recent.pk, data={"entity_id": firm, "kind": "former_employer", "ended_on": "2025-06-30"}
    )
    for _ in range(5):
        enrol(staff)
    draw = actions.do_request_draw(
        actor=staff,
        data=request(
            lines=[{"specialty": "A080101", "count": 5, "reserve": 5}],
            avoided_firms=[{"entity_id": firm, "reason": "1"}],
        ),
    )
    drawn = set(Seat.objects.filter(draw=draw).values_list("expert_id", flat=True))
    assert lapsed.pk in drawn
    assert recent.pk not in drawn
