"""Whole procedures: a works tender and a GP open tender end to end, PQ, invitation, negotiation, cancellation,
declared failure, a winner who declines, and what each step leaves behind (notices, documents, deposits)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from yiwang.catalog.errors import RuleNotListed
from yiwang.kernel.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from yiwang.kernel.ids import validate_deal_code
from yiwang.platform.audit import queries as audit
from yiwang.services.finance import queries as finance_queries
from yiwang.services.notices import queries as notice_queries
from yiwang.trading.tender import actions
from yiwang.trading.tender.models import Award, Candidate, Flag, Performance, TenderDocument
from yiwang.trading.tender.tests import support
from yiwang.trading.tender.tests.support import T0

pytestmark = pytest.mark.django_db


def _notice_types(project, section) -> list[str]:
    owners = [f"tender.project:{project.pk}", f"tender.section:{section.pk}"]
    return [n.notice_type for o in owners for n in notice_queries.list_notices_of(o) if n.published_at]


def test_a_works_tender_from_notice_to_completion(world, clock):
    project = support.create_project(world, content="道路改建，长 2.3 km", fund_source="区财政")
    assert len(project.project_code) == 17
    assert len(project.tender_project_code) == 20
    assert project.tender_project_code.startswith(project.project_code)
    section = project.sections.get()
    assert len(section.code) == 23
    assert section.code.startswith(project.tender_project_code)
    validate_deal_code(project.deal_code)
    validate_deal_code(section.deal_code)
    assert "tender.bid_period_min" in project.rules
    assert project.procedure_config["key"] == "tender.open"
    assert project.procedure_version == 1
    doc = support.upload_documents(world, project)
    assert doc.platform_signature
    assert len(doc.sha256) == 64
    project = support.publish(world, project)
    section.refresh_from_db()
    assert section.status == "bidding"
    assert section.next_check == section.bid_deadline
    doc.refresh_from_db()
    assert doc.issued_at is not None
    # bidders fetch the documents and one asks a question, answered by a clarification (no postponement needed)
    for bidder in world.bidders:
        actions.do_download_document(actor=bidder.actor, document_id=doc.pk, entity_id=bidder.entity_id)
    question = actions.do_ask_question(
        actor=world.a.actor, project_id=project.pk, entity_id=world.a.entity_id, text="图纸第5页标高是否有误？"
    )
    clarification = actions.do_issue_clarification(
        actor=world.agency.actor, project_id=project.pk, text="第5页标高更正为 4.50 m", answers=[question.pk]
    )
    assert not clarification.postponed
    question.refresh_from_db()
    assert question.clarification_id == clarification.pk
    prices = {world.a: 4_800_000_000, world.b: 4_700_000_000, world.c: 4_900_000_000}
    support.open_and_hand_over(world, clock, section, prices)
    assert section.status == "evaluating"
    record = section.evaluations.get()
    assert len(record.bids) == 3
    assert record.config["candidates_max"] == 3
    assert {b["price_fen"] for b in record.bids} == set(prices.values())
    support.record_result(world, section, [(world.b, prices[world.b]), (world.a, prices[world.a])])
    section.refresh_from_db()
    assert section.status == "evaluated"
    assert section.candidates_due is not None
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    # ≥ 3 days from the publication (Civil Code: from 03-24 09:00 → 03-27 00:00)
    assert section.publicity_end - section.publicity_start >= timedelta(days=2)
    support.go(clock, section.publicity_end)
    section.refresh_from_db()
    assert section.status == "awardable"
    award = actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    assert award.letter_number.startswith("ZB2026")
    letter = TenderDocument.objects.get(pk=award.letter_id)
    assert letter.kind == "award_letter"
    assert letter.platform_signature
    # the losers' deposits go back at the award letter, the winner's at the contract
    lot = finance_queries.get_lot_deposits_for(world.staff_actor, section.lot_ref)
    statuses = {row.entity_id: row.status for row in lot.rows}
    assert statuses[world.b.entity_id] != statuses[world.a.entity_id]
    contract = actions.do_sign_contract(
        actor=world.agency.actor,
        section_id=section.pk,
        amount_fen=award.price_fen,
        code="HT-2026-001",
        document=(io.BytesIO(support.PDF + b"contract"), "合同.pdf"),
        performance_security_fen=award.price_fen // 10,
    )
    assert not contract.late
    actions.do_record_performance(actor=world.agency.actor, section_id=section.pk, kind="progress", text="主体完工")
    actions.do_record_performance(
        actor=world.agency.actor, section_id=section.pk, kind="acceptance", text="竣工验收合格", final=True
    )
    section.refresh_from_db()
    project.refresh_from_db()
    assert section.status == "completed"
    assert project.status == "completed"
    assert Performance.objects.filter(section=section).count() == 2
    types = _notice_types(project, section)
    for expected in (
        "tender_notice",
        "clarification",
        "opening_record",
        "candidates",
        "award_result",
        "contract",
        "performance",
    ):
        assert expected in types, expected
    assert not Flag.objects.filter(section=section).exists()
    # every step is in the witness log
    codes = {e.action for e in audit.entries(limit=5000)}
    for code in (
        "tender.create_project",
        "tender.publish_project",
        "tender.advance_section",
        "tender.close_opening",
        "tender.award_section",
        "tender.sign_contract",
        "tender.record_performance",
    ):
        assert code in codes, code


def _gp_project(world, *, procedure="gp.open", subject="goods", **extra):
    sections = [
        {
            "name": "第1包 办公设备",
            "estimate_fen": 300_000_000,
            "deposit_fen": 5_000_000,
            "evaluation_method": "comprehensive_gp",
            "evaluation_config": {"price_weight": 30},
            **extra,
        }
    ]
    project = support.create_project(
        world,
        procedure=procedure,
        subject=subject,
        sections=sections,
        actor=world.tenderer.actor,
        agency_entity_id=None,
        name="区政府办公设备采购",
    )
    support.upload_documents(world, project, actor=world.tenderer.actor)
    return project


def test_a_gp_open_tender_from_notice_to_contract(world, clock):
    project = _gp_project(world)
    assert project.project_code.startswith("G")
    project = support.publish(world, project, actor=world.tenderer.actor, doc_get_end=T0 + timedelta(days=8))
    section = project.sections.get()
    prices = {world.a: 280_000_000, world.b: 275_000_000, world.c: 290_000_000}
    submissions = support.to_opening(world, clock, section, prices)
    for bidder, submission in submissions.items():
        support.decrypt(bidder, submission)
    actions.do_close_opening(actor=world.tenderer.actor, section_id=section.pk)
    section.refresh_from_db()
    config = section.evaluations.get().config
    assert config["method"] == "comprehensive_gp"
    assert config["price_formula"] == "base/bid*weight"
    assert config["committee"]["min_size_rule"]["rule_id"] == "gp.committee_min_size"
    actions.do_record_evaluation_result(
        actor=world.tenderer.actor,
        section_id=section.pk,
        candidates=[{"rank": 1, "entity_id": world.b.entity_id, "price_fen": prices[world.b]}],
        report=(io.BytesIO(support.PDF + b"gp"), "评审报告.pdf"),
    )
    section.refresh_from_db()
    assert section.status == "evaluated"
    assert section.award_due is not None  # 5 working days to determine the winner
    with pytest.raises(Conflict):  # no candidates' publicity in government procurement
        actions.do_publish_candidates(actor=world.tenderer.actor, section_id=section.pk)
    award = actions.do_award_section(actor=world.tenderer.actor, section_id=section.pk)
    section.refresh_from_db()
    assert section.status == "awarded"
    notice = notice_queries.get_notice_for(world.tenderer.actor, award.notice_id)
    assert notice.fields["PUBLICITY_END_TIME"]  # the result notice runs its 1 working day
    contract = actions.do_sign_contract(actor=world.tenderer.actor, section_id=section.pk, amount_fen=award.price_fen)
    section.refresh_from_db()
    assert contract.publication_due is not None
    assert contract.published_at <= contract.publication_due
    assert section.status == "contracted"
    assert "gp_notice" in _notice_types(project, section)


def test_a_gp_committee_of_seven_for_a_large_budget(world, clock):
    project = _gp_project(world, estimate_fen=1_200_000_000, deposit_fen=0)
    project = support.publish(world, project, actor=world.tenderer.actor, doc_get_end=T0 + timedelta(days=8))
    section = project.sections.get()
    support.open_and_hand_over(world, clock, section, {world.a: 1, world.b: 2, world.c: 3})
    committee = section.evaluations.get().config["committee"]
    assert committee["min_size"] == 7
    assert committee["min_size_rule"]["rule_id"] == "gp.committee_min_size_large"


def test_gp_fewer_than_three_qualified_fail_the_procurement(world, clock, sanctions):
    from yiwang.trading.tender.ports import Sanction

    project = _gp_project(world)
    project = support.publish(world, project, actor=world.tenderer.actor, doc_get_end=T0 + timedelta(days=8))
    section = project.sections.get()
    submissions = support.to_opening(world, clock, section, {world.a: 1, world.b: 2, world.c: 3})
    sanctions[world.c.entity_id] = [Sanction(world.c.entity_id, "blacklist", "政府采购严重违法失信")]
    for bidder, submission in submissions.items():
        support.decrypt(bidder, submission)
    actions.do_close_opening(actor=world.tenderer.actor, section_id=section.pk)
    section.refresh_from_db()
    assert section.status == "failed"
    assert section.failure_code == "insufficient_qualified"
    assert "gp.min_bidders" not in section.failure_reason  # the reason cites the source, in words


def test_invitation_procedure(world, clock):
    project = support.create_project(world, procedure="tender.invited")
    support.upload_documents(world, project)
    with pytest.raises(RuleViolation) as caught:
        support.publish(world, project, invitees=[world.a.entity_id, world.b.entity_id])
    assert caught.value.code == "tender.too_few_invitees"
    assert caught.value.details["rule_id"] == "tender.min_bidders"
    project = support.publish(world, project, invitees=[b.entity_id for b in world.bidders])
    section = project.sections.get()
    outsider = support.make_party(
        "tn-d",
        "91310117MA1K7T4W1Q",
        ["bidder"],
        world.pki,
        "6222020200112345700",
        extra={"name": "上海松江新桥建设有限公司", "region_code": "310117", "legal_rep_name": "王强"},
    )
    doc = TenderDocument.objects.get(project=project, kind="tender_documents")
    with pytest.raises(PermissionDenied) as caught:
        actions.do_download_document(actor=outsider.actor, document_id=doc.pk, entity_id=outsider.entity_id)
    assert caught.value.code == "tender.not_invited"
    with pytest.raises(PermissionDenied):
        support.submit(section, outsider, 1)
    assert support.submit(section, world.a, 1).receipt_id


def test_prequalification_then_invitation(world, clock):
    project = support.create_project(world, procedure="tender.open_pq")
    support.upload_documents(world, project, kind="pq_documents")
    with pytest.raises(RuleViolation) as caught:
        support.publish(world, project, doc_get_end=T0 + timedelta(days=6), pq_deadline=T0 + timedelta(days=8))
    assert caught.value.details["rule_id"] == "tender.pq_submission_gap_min"
    project = support.publish(world, project, doc_get_end=T0 + timedelta(days=6), pq_deadline=T0 + timedelta(days=12))
    section = project.sections.get()
    assert section.status == "prequalification"
    for bidder in world.bidders[:2]:
        actions.do_apply_prequalification(actor=bidder.actor, section_id=section.pk, entity_id=bidder.entity_id)
    support.go(clock, section.pq_deadline)
    section.refresh_from_db()
    assert section.status == "pq_review"
    actions.do_record_pq_result(
        actor=world.agency.actor, section_id=section.pk, qualified=[world.a.entity_id, world.b.entity_id]
    )
    section.refresh_from_db()
    assert section.status == "draft"  # fewer than 3 qualified: PQ again
    assert section.pq_round == 2
    project.refresh_from_db()
    now = clock.now()
    project = support.publish(world, project, doc_get_end=now + timedelta(days=6), pq_deadline=now + timedelta(days=12))
    section = project.sections.get()
    for bidder in world.bidders:
        actions.do_apply_prequalification(actor=bidder.actor, section_id=section.pk, entity_id=bidder.entity_id)
    support.go(clock, section.pq_deadline)
    actions.do_record_pq_result(
        actor=world.agency.actor, section_id=section.pk, qualified=[b.entity_id for b in world.bidders]
    )
    support.upload_documents(world, project)
    now = clock.now()
    with pytest.raises(RuleViolation):
        actions.do_invite_qualified(
            actor=world.agency.actor, section_id=section.pk, bid_deadline=now + timedelta(days=10)
        )
    actions.do_invite_qualified(actor=world.agency.actor, section_id=section.pk, bid_deadline=now + timedelta(days=21))
    section.refresh_from_db()
    assert section.status == "bidding"
    assert section.box_id is not None


def test_a_negotiation_needs_three_working_days(world, clock):
    sections = [{"name": "运维服务", "estimate_fen": 80_000_000, "evaluation_method": "lowest_price"}]
    project = support.create_project(
        world,
        procedure="gp.negotiation",
        subject="services",
        sections=sections,
        actor=world.tenderer.actor,
        agency_entity_id=None,
    )
    support.upload_documents(world, project, actor=world.tenderer.actor)
    with pytest.raises(RuleViolation) as caught:  # Monday 09:00 + 3 working days → Thursday 00:00
        support.publish(
            world,
            project,
            actor=world.tenderer.actor,
            deadline=T0 + timedelta(days=2),
            doc_get_end=T0 + timedelta(days=1),
        )
    assert caught.value.details["rule_id"] == "gp.negotiation_response_min"
    project = support.publish(
        world, project, actor=world.tenderer.actor, deadline=T0 + timedelta(days=3), doc_get_end=T0 + timedelta(days=2)
    )
    assert project.status == "published"


def test_procedures_whose_rules_the_catalogue_lacks_cannot_start(world, clock):
    sections = [{"name": "专有软件升级", "estimate_fen": 300_000_000, "evaluation_method": "negotiated"}]
    with pytest.raises(RuleNotListed) as caught:
        support.create_project(
            world,
            procedure="gp.single_source",
            subject="services",
            sections=sections,
            actor=world.tenderer.actor,
            agency_entity_id=None,
        )
    assert caught.value.details["rule_id"] == "gp.single_source_min_suppliers"


def test_a_small_purchase_must_stay_below_the_limit(world, clock):
    sections = [{"name": "办公用品", "estimate_fen": 100_000_000, "evaluation_method": "lowest_price"}]
    with pytest.raises(RuleViolation) as caught:
        support.create_project(
            world,
            procedure="gp.small",
            subject="goods",
            sections=sections,
            actor=world.tenderer.actor,
            agency_entity_id=None,
        )
    assert caught.value.details["rule_id"] == "gp.decentralised_limit_goods_services"
    sections[0]["estimate_fen"] = 20_000_000
    project = support.create_project(
        world,
        procedure="gp.small",
        subject="goods",
        sections=sections,
        actor=world.tenderer.actor,
        agency_entity_id=None,
    )
    assert project.trading_item == "ext.small_purchase"


def test_cancellation_at_any_stage_publishes_a_termination_notice(world, clock):
    project, section = support.ready_project(world)
    support.submit(section, world.a, 1)
    actions.do_cancel_project(actor=world.agency.actor, project_id=project.pk, reason="项目资金未落实，终止招标")
    section.refresh_from_db()
    project.refresh_from_db()
    assert section.status == "cancelled"
    assert project.status == "cancelled"
    assert "termination" in _notice_types(project, section)
    with pytest.raises(Conflict) as caught:
        support.submit(section, world.b, 1)
    assert caught.value.code == "tender.not_accepting_bids"
    # the clock has nothing to do for a cancelled section
    assert section.next_check is None


def test_declared_failure_and_a_winner_who_declines(world, clock):
    _project, section = support.ready_project(world)
    prices = {world.a: 3, world.b: 2, world.c: 1}
    support.open_and_hand_over(world, clock, section, prices)
    support.record_result(world, section, [(world.c, 1), (world.b, 2)])
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    support.go(clock, section.publicity_end)
    actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    actions.do_decline_award(actor=world.agency.actor, section_id=section.pk, reason="中标人书面放弃")
    section.refresh_from_db()
    assert section.status == "awardable"
    assert Candidate.objects.get(section=section, rank=1).declined_at is not None
    award = actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    assert award.entity_id == world.b.entity_id
    assert Award.objects.filter(section=section).count() == 2
    actions.do_decline_award(actor=world.agency.actor, section_id=section.pk, reason="第二名也放弃")
    section.refresh_from_db()
    assert section.status == "failed"
    assert section.failure_code == "all_declined"


def test_state_funded_projects_award_the_first_candidate(world, clock):
    _project, section = support.ready_project(world, state_funded=True)
    support.open_and_hand_over(world, clock, section, {world.a: 3, world.b: 2, world.c: 1})
    support.record_result(world, section, [(world.c, 1), (world.b, 2)])
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    support.go(clock, section.publicity_end)
    with pytest.raises(Conflict) as caught:
        actions.do_award_section(actor=world.agency.actor, section_id=section.pk, entity_id=world.b.entity_id)
    assert caught.value.code == "tender.first_candidate_must_win"


def test_acceleration_only_for_test_data(world, clock):
    with pytest.raises(PermissionDenied) as caught:
        support.create_project(world, acceleration=1000)
    assert caught.value.code == "tender.acceleration_not_allowed"
    project = support.create_project(world, acceleration=86_400, is_test_data=True)
    support.upload_documents(world, project)
    # 20 legal days shrink to about 20 s (the legal end still counted the Civil-Code way)
    with pytest.raises(RuleViolation):
        support.publish(world, project, deadline=T0 + timedelta(seconds=10), doc_get_end=T0 + timedelta(seconds=5))
    project = support.publish(
        world, project, deadline=T0 + timedelta(seconds=25), doc_get_end=T0 + timedelta(seconds=6)
    )
    assert project.status == "published"


def test_refusals_leave_nothing_and_name_the_field(world, clock):
    before = support.counts()
    with pytest.raises(InvalidInput) as caught:
        support.create_project(world, procedure="tender.unknown")
    assert caught.value.code == "tender.procedure_unknown"
    with pytest.raises(InvalidInput) as caught:
        support.create_project(world, sections=support.section_data(evaluation_method="lowest_price"))
    assert caught.value.code == "tender.method_not_allowed"
    with pytest.raises(PermissionDenied):
        support.create_project(world, actor=world.a.actor)
    with pytest.raises(InvalidInput) as caught:
        support.create_project(world, sections=[])
    assert caught.value.details["field"] == "sections"
    assert support.counts() == before
    project = support.create_project(world)
    with pytest.raises(Conflict) as caught:
        support.publish(world, project)
    assert caught.value.code == "tender.documents_missing"
    with pytest.raises(PermissionDenied):
        support.upload_documents(world, project, actor=world.a.actor)
