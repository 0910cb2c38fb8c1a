"""失信联合惩戒 at the expert draw: a natural person whose credit records bar serving as an evaluation expert is not
drawn while the bar is in force — through the experts service's port (``YIWANG_EXPERTS_CREDIT_GATE``), matched by
identity number."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import RuleViolation
from yiwang.platform.clock import now
from yiwang.registry import actions as registry
from yiwang.services.experts import actions as experts
from yiwang.services.experts.tests import support as expert_support
from yiwang.supervision.credit import actions
from yiwang.supervision.credit.gates import ExpertCreditGate
from yiwang.supervision.credit.tests.test_records import MH, penalty

pytestmark = pytest.mark.django_db


def _person_entity(id_number: str, name: str) -> int:
    data = {
        "kind": "natural_person",
        "id_document_type": "resident_id",
        "id_number": id_number,
        "name": name,
        "region_code": "310112",
        "contact_name": name,
        "contact_phone": "13912345678",
        "roles": ["transferee"],
    }
    return registry.do_register_entity(actor=Actor.system("test"), data=data).pk


def _request(count: int) -> dict:
    return expert_support.request(lines=[{"specialty": "A080101", "count": count, "reserve": 0}])


def test_a_person_barred_from_serving_as_an_expert_is_not_drawn(clock, rules):
    staff = expert_support.staff()
    pool = [expert_support.enrol(staff) for _ in range(7)]
    barred = pool[0]
    person = _person_entity(barred.id_number, barred.name)
    gate = ExpertCreditGate()
    today = now().date()
    assert gate.barred_people(today, today) == {}
    actions.do_record_credit(actor=MH, data=penalty(person, confined_actions=["bidding"]))  # not the expert bar
    assert gate.barred_people(today, today) == {}
    record = actions.do_record_credit(
        actor=MH,
        data=penalty(
            person,
            kind="blacklist",
            severity="serious",
            title="评标中收受贿赂",
            ends_on=None,
            confined_actions=["expert"],
        ),
    )
    assert gate.barred_people(today, today + timedelta(days=5)) == {barred.id_number: [(today, None)]}
    with pytest.raises(RuleViolation) as exc:
        experts.do_request_draw(actor=staff, data=_request(7))  # seven in the pool, one barred
    assert exc.value.details["lines"][0]["excluded"] == {"sanctioned": 1}
    draw = experts.do_request_draw(actor=staff, data=_request(5))
    assert barred.pk not in {seat.expert_id for seat in draw.seats.all()}
    actions.do_end_record(actor=MH, record_id=record.pk, how="removed", reason="移出名单")
    assert gate.barred_people(today, today) == {}
