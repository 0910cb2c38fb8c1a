import pytest

from yiwang.trading.tender import actions
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db


def test_works_happy_path(world, clock):
    project, section = support.ready_project(world)
    assert project.status == "published"
    assert section.status == "bidding"
    prices = {world.a: 4_800_000_000, world.b: 4_700_000_000, world.c: 4_900_000_000}
    support.open_and_hand_over(world, clock, section, prices)
    assert section.status == "evaluating", section.failure_reason
    support.record_result(world, section, [(world.b, prices[world.b]), (world.a, prices[world.a])])
    section.refresh_from_db()
    assert section.status == "evaluated"
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    assert section.status == "publicity"
    support.go(clock, section.publicity_end)
    section.refresh_from_db()
    assert section.status == "awardable"
    award = actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    assert award.entity_id == world.b.entity_id
    contract = actions.do_sign_contract(actor=world.agency.actor, section_id=section.pk, amount_fen=award.price_fen)
    assert not contract.late
    actions.do_record_performance(
        actor=world.agency.actor, section_id=section.pk, kind="acceptance", text="竣工验收合格", final=True
    )
    section.refresh_from_db()
    project.refresh_from_db()
    assert section.status == "completed"
    assert project.status == "completed"
