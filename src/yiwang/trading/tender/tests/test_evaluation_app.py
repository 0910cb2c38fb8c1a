"""The hand-over to the evaluation app and back: the committee is drawn from the experts' pool, reviews, signs;
the clock reads the final report and the section moves on to the candidates and the award."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.trading.tender import actions
from yiwang.trading.tender.tests import support

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("yiwang.trading.tender.evaluation"), reason="the evaluation app is not installed"
    ),
]


class _Panel:
    """What the evaluation app's test walk needs of a world: staff, and the people behind the members."""

    def __init__(self, world, people):
        self._world = world
        self.experts = people

    @property
    def staff(self):
        return self._world.staff_actor

    def person_of(self, account_id: int):
        return next(p for p in self.experts if p.account.pk == account_id)


@pytest.fixture
def panel(world, system, settings):
    from yiwang.kernel.actors import Role
    from yiwang.services.experts.tests import support as experts_support
    from yiwang.trading.tender.evaluation.tests import support as ev_support

    settings.YIWANG_TENDER = {**settings.YIWANG_TENDER, "EVALUATION_GATEWAY": "app"}
    people = []
    for i in range(7):
        person = ev_support._person(world.pki, world.staff_actor, f"评标专家{i + 1}", Role.EXPERT, system)
        person.expert_id = experts_support.enrol(world.staff_actor, account_id=person.account.pk).pk
        people.append(person)
    return _Panel(world, people)


def test_a_works_tender_evaluated_by_the_committee(world, clock, panel):
    from yiwang.trading.tender.evaluation import actions as ev_actions
    from yiwang.trading.tender.evaluation.tests import support as ev_support

    _project, section = support.ready_project(world)
    prices = {world.a: 4_800_000_000, world.b: 4_700_000_000, world.c: 4_900_000_000}
    support.open_and_hand_over(world, clock, section, prices)
    record = section.evaluations.get()
    assert record.gateway == "app"
    assert section.status == "evaluating"
    evaluation = apps.get_model("evaluation", "Evaluation").objects.get(section_ref=f"tender.section:{section.pk}")
    assert evaluation.bids.count() == 3
    # the committee sits, reviews the bids, prices them, signs the report
    evaluation = ev_support.convene(panel, evaluation, clock)
    ev_support.review_all(panel, evaluation, "compliance")
    chair = ev_support.chair_of(panel, evaluation)
    ev_actions.do_close_stage(actor=chair.actor, section_ref=evaluation.section_ref, stage="pricing")
    ev_support.sign_all(panel, evaluation)
    ev_actions.do_finalise_report(actor=world.staff_actor, section_ref=evaluation.section_ref)
    # the clock reads the final report
    support.go(clock, clock.now() + timedelta(minutes=1))
    section.refresh_from_db()
    assert section.status == "evaluated"
    ranked = list(section.candidates.order_by("rank").values_list("entity_id", flat=True))
    assert ranked[0] == world.b.entity_id
    record.refresh_from_db()
    assert record.report_sha256
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    support.go(clock, section.publicity_end)
    award = actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    assert award.entity_id == world.b.entity_id
    evaluation.refresh_from_db()
    assert evaluation.names_public if hasattr(evaluation, "names_public") else True


def test_an_evaluation_that_cannot_be_organised_falls_back_to_recording(world, clock, settings):
    settings.YIWANG_TENDER = {**settings.YIWANG_TENDER, "EVALUATION_GATEWAY": "app"}
    _project, section = support.ready_project(world)  # no experts in the pool: the draw cannot be satisfied
    support.open_and_hand_over(world, clock, section, {world.a: 3, world.b: 2, world.c: 1})
    assert section.status == "evaluating"
    assert section.evaluations.get().gateway == "recorded"
    assert section.flags.filter(kind="evaluation_not_started").exists()
    support.record_result(world, section, [(world.c, 1)])
    section.refresh_from_db()
    assert section.status == "evaluated"
