"""The expert and award screens on the platform's own data: a works tender goes through the bid box, the evaluation
app's committee (drawn from the experts' pool) scores it — one member far from the others — and the section is
awarded; the platform snapshot then carries the award, the panel and every member's scores, and EXP-DEVIATION
names the member."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps

from yiwang.kernel.actors import Actor, Role
from yiwang.supervision.redflags import actions, queries, snapshots
from yiwang.supervision.redflags.tests.support import bidder, regulator, staff

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("yiwang.trading.tender.evaluation"), reason="the evaluation app is not installed"
    ),
]
MH = regulator("310112")


@pytest.fixture(autouse=True)
def _tender_settings(settings, tmp_path: Path) -> None:
    from yiwang.trading.tender.tests import support as tender_support

    tender_support.use_tender_settings(settings, tmp_path / "blobs", gateway="app")


class _Panel:
    """What the evaluation's test walk needs: staff, and the people behind the members."""

    def __init__(self, world, people):
        self._world = world
        self.experts = people

    @property
    def staff(self):
        return self._world.staff_actor

    def person_of(self, account_id: int):
        return next(p for p in self.experts if p.account.pk == account_id)


def _evaluated_tender(clock, system):
    from yiwang.services.experts.tests import support as experts_support
    from yiwang.trading.tender import actions as tender
    from yiwang.trading.tender.evaluation import actions as ev_actions
    from yiwang.trading.tender.evaluation.tests import support as ev_support
    from yiwang.trading.tender.tests import support as tender_support

    world = tender_support.make_world(system)
    people = []
    for i in range(7):
        person = ev_support._person(world.pki, world.staff_actor, f"评标专家{i + 1}", Role.EXPERT, system)
        person.expert_id = experts_support.enrol(world.staff_actor, account_id=person.account.pk).pk
        people.append(person)
    panel = _Panel(world, people)
    _project, section = tender_support.ready_project(
        world,
        sections=tender_support.section_data(evaluation_method="comprehensive", evaluation_config={"price_weight": 30}),
    )
    prices = {world.a: 4_800_000_000, world.b: 4_700_000_000, world.c: 4_900_000_000}
    tender_support.open_and_hand_over(world, clock, section, prices)
    evaluation = apps.get_model("evaluation", "Evaluation").objects.get(section_ref=f"tender.section:{section.pk}")
    evaluation = ev_support.convene(panel, evaluation, clock)
    bids = {b.entity_id: b.pk for b in evaluation.bids.all()}
    base = {pk: {"technical": "50", "commercial": "8"} for pk in bids.values()}
    outlier = {5: {bids[world.a.entity_id]: {"technical": "20"}}}  # 评委5 scores A's technical part far below
    for _ in range(10):
        evaluation.refresh_from_db()
        stage = evaluation.status
        if stage in ("qualification", "compliance"):
            ev_support.review_all(panel, evaluation, stage)
        elif stage in ("pricing", "clarification"):
            chair = ev_support.chair_of(panel, evaluation)
            ev_actions.do_close_stage(actor=chair.actor, section_ref=evaluation.section_ref, stage=stage)
        elif stage == "scoring":
            ev_support.score_all(panel, evaluation, base, outlier)
        else:
            break
    assert evaluation.status == "signing"
    ev_support.sign_all(panel, evaluation)
    ev_actions.do_finalise_report(actor=world.staff_actor, section_ref=evaluation.section_ref)
    tender_support.go(clock, clock.now() + timedelta(minutes=1))
    section.refresh_from_db()
    assert section.status == "evaluated"
    tender.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    tender_support.go(clock, section.publicity_end)
    award = tender.do_award_section(actor=world.agency.actor, section_id=section.pk)
    evaluation.refresh_from_db()
    return world, section, evaluation, award


def test_awards_panels_and_scores_of_a_real_evaluation_reach_the_screens(clock, system):
    world, section, evaluation, award = _evaluated_tender(clock, system)
    ocid = f"tender.section:{section.pk}"
    member5 = evaluation.members.get(ordinal=5)
    expert5 = f"expert:{member5.expert_id}"

    snap = snapshots.build_platform_snapshot("310112")
    frames = snap.frames
    [tender_row] = frames["tenders"].filter(frames["tenders"]["ocid"] == ocid).to_dicts()
    assert tender_row["has_awards"] is True
    assert tender_row["procurement_method"] == "open"
    [award_row] = frames["awards"].to_dicts()
    assert (award_row["ocid"], award_row["supplier_ids"], award_row["status"]) == (
        ocid,
        [str(award.entity_id)],
        "active",
    )
    assert award_row["amount"] == award.price_fen / 100
    panel = frames["panels"].filter(frames["panels"]["ocid"] == ocid)
    experts = evaluation.members.filter(kind="expert")
    assert sorted(panel["expert_id"].to_list()) == sorted(f"expert:{m.expert_id}" for m in experts)
    scores = frames["scores"]
    mine = scores.filter((scores["expert_id"] == expert5) & (scores["tenderer_id"] == str(world.a.entity_id)))
    assert mine.filter(mine["criterion_id"] == "technical")["score"].to_list() == [20.0]
    assert any(n.startswith("评标结果：1 条中标记录") for n in snap.notes)

    run = actions.do_run_platform(actor=MH, region_code="310112", codes=["EXP-DEVIATION", "EXP-PIVOT", "NET-ROTATE"])
    assert run.summary["EXP-DEVIATION"].get("not_computable") in (None, {})
    _, rows = queries.list_run_findings_for(MH, run.pk, code="EXP-DEVIATION", limit=100)
    flagged = {(f.unit, f.unit_id) for f in rows}
    assert ("expert", expert5) in flagged
    others = {f"expert:{m.expert_id}" for m in experts if m.ordinal != 5}
    assert not any(unit_id in others for unit, unit_id in flagged if unit == "expert")
    # the leave-one-out and network screens have their data (one process is too few to flag anything)
    for code in ("EXP-PIVOT", "NET-ROTATE"):
        assert (run.summary[code].get("not_computable") or {}).get("code") != "redflags.data_missing"


def test_outcomes_are_for_supervision_only(clock, system):
    from yiwang.trading.tender import queries as tender_queries

    world, section, _evaluation, _award = _evaluated_tender(clock, system)
    assert [o.ref for o in tender_queries.list_section_outcomes_for(MH)] == [f"tender.section:{section.pk}"]
    assert tender_queries.list_section_outcomes_for(regulator("310115"), region=None) == []
    for who in (staff("310112"), bidder(world.a.entity_id), world.agency.actor, Actor.anonymous()):
        assert tender_queries.list_section_outcomes_for(who) == []
