"""Every legal rule tried and refused with its rule id and source (reference cn-rules §2.1, §2.2, §1.5)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from yiwang.kernel.errors import Conflict, PermissionDenied, RuleViolation, YiwangError
from yiwang.kernel.periods import SHANGHAI
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.finance import queries as finance_queries
from yiwang.services.notices import queries as notice_queries
from yiwang.trading.tender import actions
from yiwang.trading.tender.models import Flag, Section
from yiwang.trading.tender.ports import Sanction
from yiwang.trading.tender.tests import support
from yiwang.trading.tender.tests.support import T0

pytestmark = pytest.mark.django_db


def _cites(exc: YiwangError, rule_id: str) -> None:
    assert exc.details["rule_id"] == rule_id
    assert exc.details["source"], "a refusal by rule names the rule's source"
    assert rule_id in exc.message_zh


# -- 20 days from the documents to the deadline ----------------------------------------------------
def test_a_bid_period_shorter_than_20_days_is_refused_and_leaves_nothing(world, clock):
    project = support.create_project(world)
    support.upload_documents(world, project)
    before = support.counts()
    with pytest.raises(RuleViolation) as caught:
        support.publish(world, project, deadline=T0 + timedelta(days=19))
    assert caught.value.code == "tender.bid_period_too_short"
    _cites(caught.value, "tender.bid_period_min")
    assert "招标投标法" in caught.value.details["source"]
    # 20 days counted from the day after the issue (Civil Code): 2026-03-22 00:00 Shanghai is the earliest deadline
    assert caught.value.details["earliest"].startswith("2026-03-22T00:00:00+08:00")
    assert support.counts() == before
    assert Section.objects.get(project=project).status == "draft"


def test_the_earliest_legal_deadline_is_accepted(world, clock):
    project = support.create_project(world)
    support.upload_documents(world, project)
    earliest = T0.astimezone(SHANGHAI).replace(hour=0) + timedelta(days=20)
    published = support.publish(world, project, deadline=earliest)
    assert published.status == "published"


def test_gp_open_tender_period_and_price_weight(world, clock):
    sections = [
        {
            "name": "办公设备",
            "estimate_fen": 300_000_000,
            "deposit_fen": 0,
            "evaluation_method": "comprehensive_gp",
            "evaluation_config": {"price_weight": 25},
        }
    ]
    with pytest.raises(RuleViolation) as caught:
        support.create_project(
            world,
            procedure="gp.open",
            subject="goods",
            sections=sections,
            actor=world.tenderer.actor,
            agency_entity_id=None,
        )
    assert caught.value.code == "tender.price_weight_too_low"
    _cites(caught.value, "gp.price_weight_goods_min")
    sections[0]["evaluation_config"] = {"price_weight": 30}
    project = support.create_project(
        world,
        procedure="gp.open",
        subject="goods",
        sections=sections,
        actor=world.tenderer.actor,
        agency_entity_id=None,
    )
    support.upload_documents(world, project, actor=world.tenderer.actor)
    with pytest.raises(RuleViolation) as caught:
        support.publish(world, project, deadline=T0 + timedelta(days=10), actor=world.tenderer.actor)
    _cites(caught.value, "gp.doc_availability_min")  # 5 working days of documents: Monday to Sunday is too short
    with pytest.raises(RuleViolation) as caught:
        support.publish(
            world,
            project,
            deadline=T0 + timedelta(days=10),
            doc_get_end=T0 + timedelta(days=8),
            actor=world.tenderer.actor,
        )
    _cites(caught.value, "gp.bid_period_min")


# -- clarifications: 15 days, or the deadline is postponed (顺延) ------------------------------------
def test_a_late_clarification_is_never_silently_accepted(world, clock):
    project, _section = support.ready_project(world)
    clock.set(T0 + timedelta(days=10))  # the deadline is 11 days away
    before = support.counts()
    with pytest.raises(RuleViolation) as caught:
        actions.do_issue_clarification(
            actor=world.agency.actor, project_id=project.pk, text="工程量清单第3项更正", allow_postponement=False
        )
    assert caught.value.code == "tender.clarification_too_late"
    _cites(caught.value, "tender.clarification_gap_min")
    assert support.counts() == before


def test_a_late_clarification_postpones_the_deadline_everywhere(world, clock):
    project, section = support.ready_project(world)
    support.submit(section, world.a, 4_800_000_000)
    clock.set(T0 + timedelta(days=10))
    row = actions.do_issue_clarification(actor=world.agency.actor, project_id=project.pk, text="工程量清单第3项更正")
    section.refresh_from_db()
    # 15 days from 2026-03-12 → 2026-03-27 00:00 Shanghai
    expected = (T0 + timedelta(days=10)).astimezone(SHANGHAI).replace(hour=0) + timedelta(days=15)
    assert row.postponed
    assert row.new_deadline == expected
    assert row.rule_id == "tender.clarification_gap_min"
    assert section.bid_deadline == expected
    box = bidbox_queries.get_box_of_owner(("tender.section", str(section.pk)))
    assert box.deadline == expected
    assert box.opening_at == expected
    assert finance_queries.get_lot(section.lot_ref).opening_at == expected
    notice = notice_queries.get_notice_for(world.agency.actor, row.notice_id)
    assert notice.notice_type == "clarification"
    assert notice.fields["IS_POSTPONE"] is True
    assert notice.fields["BID_DOC_REFER_END_TIME"].startswith("2026-03-27T00:00:00")
    # a clarification that does not affect the bids does not move anything
    later = actions.do_issue_clarification(
        actor=world.agency.actor, project_id=project.pk, text="联系人电话变更", affects_bids=False
    )
    assert not later.postponed


def test_a_chosen_new_deadline_earlier_than_the_gap_allows_is_refused(world, clock):
    project, _section = support.ready_project(world)
    clock.set(T0 + timedelta(days=10))
    with pytest.raises(RuleViolation) as caught:
        actions.do_issue_clarification(
            actor=world.agency.actor, project_id=project.pk, text="更正", new_deadline=T0 + timedelta(days=23)
        )
    assert caught.value.code == "tender.postponement_too_short"
    _cites(caught.value, "tender.clarification_gap_min")


# -- deposits (finance refuses above the cap) ------------------------------------------------------
def test_a_deposit_above_the_works_cap_is_refused_by_finance(world, clock):
    project = support.create_project(world, sections=support.section_data(deposit_fen=90_000_000))
    support.upload_documents(world, project)
    before = support.counts()
    with pytest.raises(YiwangError) as caught:
        support.publish(world, project)
    assert caught.value.code == "finance.deposit_over_cap"
    assert caught.value.details["rule_id"] == "tender.deposit_cap_works_goods"
    assert caught.value.details["source"]
    assert support.counts() == before


def test_the_deposit_gate(world, clock):
    _project, section = support.ready_project(world)
    with pytest.raises(Conflict) as caught:
        support.submit(section, world.a, 4_800_000_000, pay=False)
    assert caught.value.code == "tender.deposit_not_satisfied"
    support.pay_deposit(section, world.a, amount=section.deposit_fen - 1)
    with pytest.raises(Conflict):
        support.submit(section, world.a, 4_800_000_000, pay=False)
    support.pay_deposit(section, world.a, amount=1)
    assert support.submit(section, world.a, 4_800_000_000, pay=False).receipt_id.startswith("YWR-")


# -- the deadline, to the millisecond --------------------------------------------------------------
def test_a_bid_one_millisecond_after_the_deadline_is_refused(world, clock):
    _project, section = support.ready_project(world)
    support.pay_deposit(section, world.a)
    sealed = support.seal(section, world.a, 4_800_000_000)
    clock.set(section.bid_deadline - timedelta(milliseconds=1))
    ok = actions.do_submit_bid(
        actor=world.a.actor, section_id=section.pk, entity_id=world.a.entity_id, stream=io.BytesIO(sealed)
    )
    assert ok.received_at < section.bid_deadline
    support.pay_deposit(section, world.b)
    late = support.seal(section, world.b, 4_700_000_000)
    clock.set(section.bid_deadline + timedelta(milliseconds=1))
    before = support.counts()
    with pytest.raises(RuleViolation) as caught:
        actions.do_submit_bid(
            actor=world.b.actor, section_id=section.pk, entity_id=world.b.entity_id, stream=io.BytesIO(late)
        )
    assert caught.value.code == "bidbox.deadline_passed"
    assert caught.value.details["source"]
    assert support.counts() == before


# -- fewer than 3 bids: no opening, 流标, a new round ------------------------------------------------
def test_opening_with_two_bids_fails_and_a_new_round_follows(world, clock):
    project, section = support.ready_project(world)
    support.to_opening(world, clock, section, {world.a: 4_800_000_000, world.b: 4_700_000_000})
    assert section.status == "failed"
    assert section.failure_code == "insufficient_bids"
    assert "3" in section.failure_reason
    assert "招标投标法" in section.failure_reason
    failed = [n for n in notice_queries.list_notices_of(f"tender.section:{section.pk}") if n.notice_type == "failed"]
    assert len(failed) == 1
    assert failed[0].published_at is not None
    box = bidbox_queries.get_box_of_owner(("tender.section", str(section.pk)))
    assert box.status == "closed"
    assert box.outcome == "insufficient_bids"
    # deposits go back (refund tasks)
    assert finance_queries.get_lot_deposits_for(world.staff_actor, section.lot_ref).rows is not None
    # re-tender: round 2, a new box and lot, a new notice; the bid period counts again from now
    now = clock.now()
    with pytest.raises(RuleViolation) as caught:
        actions.do_retender_section(
            actor=world.agency.actor,
            section_id=section.pk,
            bid_deadline=now + timedelta(days=10),
            doc_get_end=now + timedelta(days=6),
        )
    _cites(caught.value, "tender.bid_period_min")
    actions.do_retender_section(
        actor=world.agency.actor,
        section_id=section.pk,
        bid_deadline=now + timedelta(days=21),
        doc_get_end=now + timedelta(days=6),
    )
    section.refresh_from_db()
    assert section.round == 2
    assert section.status == "bidding"
    assert section.lot_ref == f"tender.section:{section.pk}-r2"
    assert bidbox_queries.get_box_of_owner(("tender.section", f"{section.pk}-r2")).status == "accepting"
    titles = [n.title for n in notice_queries.list_notices_of(f"tender.project:{project.pk}")]
    titles += [n.title for n in notice_queries.list_notices_of(f"tender.section:{section.pk}")]
    assert any("第2次" in t for t in titles)


# -- award, contract -------------------------------------------------------------------------------
def _evaluated(world, clock):
    project, section = support.ready_project(world)
    prices = {world.a: 4_800_000_000, world.b: 4_700_000_000, world.c: 4_900_000_000}
    support.open_and_hand_over(world, clock, section, prices)
    support.record_result(world, section, [(world.b, prices[world.b]), (world.a, prices[world.a])])
    section.refresh_from_db()
    return project, section


def test_award_before_the_publicity_period_ends_is_refused(world, clock):
    _project, section = _evaluated(world, clock)
    with pytest.raises(RuleViolation) as caught:  # not even published yet
        actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    _cites(caught.value, "tender.candidate_publicity_period_min")
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    clock.set(section.publicity_end - timedelta(seconds=1))
    support.run_clock()
    before = support.counts()
    with pytest.raises(RuleViolation) as caught:
        actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    assert caught.value.code == "tender.award_before_publicity_end"
    _cites(caught.value, "tender.candidate_publicity_period_min")
    assert support.counts() == before
    support.go(clock, section.publicity_end)
    award = actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    assert award.entity_id == world.b.entity_id


def test_a_contract_after_30_days_is_flagged_not_silently_allowed(world, clock):
    _project, section = _evaluated(world, clock)
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    support.go(clock, section.publicity_end)
    award = actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    support.go(clock, award.contract_due - timedelta(seconds=1))
    assert not Flag.objects.filter(section=section, kind="contract_late").exists()
    support.go(clock, award.contract_due)  # the clock flags it the moment it is overdue
    flag = Flag.objects.get(section=section, kind="contract_late")
    assert flag.rule_id == "tender.contract_signing_max"
    assert "招标投标法" in flag.rule_source
    clock.advance(timedelta(days=2))
    contract = actions.do_sign_contract(actor=world.agency.actor, section_id=section.pk, amount_fen=award.price_fen)
    assert contract.late
    assert Flag.objects.filter(section=section, kind="contract_late").count() == 1
    section.refresh_from_db()
    assert section.status == "contracted"


def test_the_contract_keeps_the_award_price_and_the_security_cap(world, clock):
    _project, section = _evaluated(world, clock)
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    section.refresh_from_db()
    support.go(clock, section.publicity_end)
    award = actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    with pytest.raises(Conflict) as caught:
        actions.do_sign_contract(actor=world.agency.actor, section_id=section.pk, amount_fen=award.price_fen + 1)
    assert caught.value.code == "tender.contract_price_mismatch"
    with pytest.raises(RuleViolation) as caught:
        actions.do_sign_contract(
            actor=world.agency.actor,
            section_id=section.pk,
            amount_fen=award.price_fen,
            performance_security_fen=award.price_fen // 10 + 1,
        )
    _cites(caught.value, "tender.performance_security_cap")


# -- credit: a blacklisted bidder ------------------------------------------------------------------
def test_a_blacklisted_bidder_is_refused_with_the_sanctions_reason(world, clock, sanctions):
    _project, section = support.ready_project(world)
    sanctions[world.a.entity_id] = [
        Sanction(
            world.a.entity_id,
            "blacklist",
            "围标串标被列入严重失信名单",
            authority="上海市发展和改革委员会",
            source="沪发改法〔2026〕1号",
        )
    ]
    support.pay_deposit(section, world.a)
    before = support.counts()
    with pytest.raises(PermissionDenied) as caught:
        support.submit(section, world.a, 4_800_000_000, pay=False)
    assert caught.value.code == "tender.bidder_sanctioned"
    assert "围标串标" in caught.value.message_zh
    assert caught.value.details["sanctions"][0]["source"] == "沪发改法〔2026〕1号"
    assert support.counts() == before


def test_a_sanction_in_force_at_the_deadline_excludes_a_bid_at_the_hand_over(world, clock, sanctions):
    _project, section = support.ready_project(world)
    prices = {world.a: 4_800_000_000, world.b: 4_700_000_000, world.c: 4_900_000_000}
    submissions = support.to_opening(world, clock, section, prices)
    sanctions[world.c.entity_id] = [Sanction(world.c.entity_id, "blacklist", "行贿", source="某决定书")]
    for bidder, submission in submissions.items():
        support.decrypt(bidder, submission)
    actions.do_close_opening(actor=world.staff_actor, section_id=section.pk)
    section.refresh_from_db()
    record = section.evaluations.get()
    assert {b["entity_id"] for b in record.bids} == {world.a.entity_id, world.b.entity_id}
    assert record.excluded[0]["reasons"][0]["code"] == "tender.bidder_sanctioned"
    assert Flag.objects.filter(section=section, kind="bid_excluded", key=str(world.c.entity_id)).exists()


# -- envelopes -------------------------------------------------------------------------------------
def test_a_malformed_envelope_is_refused_at_submission(world, clock):
    _project, section = support.ready_project(world)
    support.pay_deposit(section, world.a)
    before = support.counts()
    for data in (b"not an envelope at all", b"YWENV" + bytes(100)):
        with pytest.raises(YiwangError) as caught:
            actions.do_submit_bid(
                actor=world.a.actor, section_id=section.pk, entity_id=world.a.entity_id, stream=io.BytesIO(data)
            )
        assert caught.value.code.startswith("crypto."), caught.value.code
    sealed = bytearray(support.seal(section, world.a, 4_800_000_000))
    sealed[len(sealed) // 2] ^= 0x01
    with pytest.raises(YiwangError) as caught:
        actions.do_submit_bid(
            actor=world.a.actor, section_id=section.pk, entity_id=world.a.entity_id, stream=io.BytesIO(bytes(sealed))
        )
    assert caught.value.code.startswith("crypto.")
    assert support.counts() == before


def test_a_failure_after_the_envelope_is_stored_leaves_no_half_bid(world, clock, monkeypatch):
    """The bid box's own kill tests (``services/bidbox/tests/test_submission.py``: an upload completing at the
    deadline) cover its transaction; end to end, an exception injected after the envelope is stored and before
    the commit leaves no submission, no witness entry, no feed event."""
    from yiwang.services.bidbox import actions as bidbox_actions

    _project, section = support.ready_project(world)
    support.pay_deposit(section, world.a)
    sealed = support.seal(section, world.a, 4_800_000_000)
    before = support.counts()

    def crash(*args, **kwargs):
        raise RuntimeError("power cut after the envelope was stored")

    monkeypatch.setattr(bidbox_actions, "_make_receipt", crash)
    with pytest.raises(RuntimeError):
        actions.do_submit_bid(
            actor=world.a.actor, section_id=section.pk, entity_id=world.a.entity_id, stream=io.BytesIO(sealed)
        )
    assert support.counts() == before
    monkeypatch.undo()
    assert actions.do_submit_bid(
        actor=world.a.actor, section_id=section.pk, entity_id=world.a.entity_id, stream=io.BytesIO(sealed)
    ).receipt_id


# -- objections: deadline, suspension, resumption --------------------------------------------------
def test_an_objection_to_the_documents_after_the_rule_allows_is_refused(world, clock):
    _project, section = support.ready_project(world)
    clock.set(T0 + timedelta(days=12))  # 9 days before the deadline
    with pytest.raises(RuleViolation) as caught:
        actions.do_raise_objection(
            actor=world.a.actor,
            section_id=section.pk,
            entity_id=world.a.entity_id,
            kind="documents",
            text="资格条件排斥潜在投标人",
        )
    assert caught.value.code == "tender.objection_too_late"
    _cites(caught.value, "tender.doc_objection_before_deadline")


def test_an_objection_suspends_bidding_and_the_deadline_is_frozen(world, clock):
    _project, section = support.ready_project(world)
    deadline = section.bid_deadline
    clock.set(T0 + timedelta(days=5))
    objection = actions.do_raise_objection(
        actor=world.a.actor,
        section_id=section.pk,
        entity_id=world.a.entity_id,
        kind="documents",
        text="资格条件排斥潜在投标人",
    )
    assert objection.suspends
    assert objection.rule_id == "tender.doc_objection_before_deadline"
    section.refresh_from_db()
    assert section.suspended_at is not None
    support.pay_deposit(section, world.b)
    with pytest.raises(Conflict) as caught:
        support.submit(section, world.b, 4_700_000_000, pay=False)
    assert caught.value.code == "tender.suspended"
    # nobody answers for a while: the clock flags the late answer and keeps the bid box from closing
    support.walk(clock, deadline + timedelta(hours=3), timedelta(hours=6))
    section.refresh_from_db()
    assert section.status == "bidding"
    assert section.box_deadline > clock.now()
    assert Flag.objects.filter(section=section, kind="objection_answer_late").exists()
    remaining = deadline - (T0 + timedelta(days=5))
    actions.do_answer_objection(actor=world.agency.actor, objection_id=objection.pk, answer="资格条件符合法律规定")
    section.refresh_from_db()
    assert section.suspended_at is None
    assert section.bid_deadline == clock.now() + remaining
    box = bidbox_queries.get_box_of_owner(("tender.section", str(section.pk)))
    assert box.deadline == section.bid_deadline
    assert support.submit(section, world.b, 4_700_000_000, pay=False).receipt_id


def test_a_regulator_order_suspends_bidding_until_it_is_lifted_and_an_objection_answer_does_not_end_it(world, clock):
    """责令暂停 (e.g. while a complaint is handled): bids wait, the time left is frozen and given back."""
    _project, section = support.ready_project(world)
    deadline = section.bid_deadline
    clock.set(T0 + timedelta(days=5))
    with pytest.raises(PermissionDenied):  # the tenderer's agency may not order it
        actions.do_order_suspension(
            actor=world.agency.actor, section_id=section.pk, reason="投诉处理", order_ref="supervision.complaints:1"
        )
    regulator = world.regulator_actor
    actions.do_order_suspension(
        actor=regulator, section_id=section.pk, reason="投诉处理期间", order_ref="supervision.complaints:1"
    )
    section.refresh_from_db()
    assert section.suspended_at is not None
    assert section.suspension_order == "supervision.complaints:1"
    support.pay_deposit(section, world.b)
    with pytest.raises(Conflict) as caught:
        support.submit(section, world.b, 4_700_000_000, pay=False)
    assert caught.value.code == "tender.suspended"
    with pytest.raises(Conflict) as caught:
        actions.do_order_suspension(
            actor=regulator, section_id=section.pk, reason="另案", order_ref="supervision.complaints:2"
        )
    assert caught.value.code == "tender.already_ordered"
    # an objection raised and answered meanwhile does not lift the regulator's order
    objection = actions.do_raise_objection(
        actor=world.a.actor, section_id=section.pk, entity_id=world.a.entity_id, kind="documents", text="评分标准不明"
    )
    actions.do_answer_objection(actor=world.agency.actor, objection_id=objection.pk, answer="已澄清")
    section.refresh_from_db()
    assert section.suspended_at is not None
    remaining = deadline - (T0 + timedelta(days=5))
    clock.set(T0 + timedelta(days=9))
    with pytest.raises(Conflict) as caught:
        actions.do_lift_suspension(
            actor=regulator, section_id=section.pk, reason="处理完毕", order_ref="supervision.complaints:9"
        )
    assert caught.value.code == "tender.no_such_order"
    actions.do_lift_suspension(
        actor=regulator, section_id=section.pk, reason="投诉处理完毕", order_ref="supervision.complaints:1"
    )
    section.refresh_from_db()
    assert section.suspended_at is None
    assert section.suspension_order == ""
    assert section.bid_deadline == clock.now() + remaining  # the four days it stood still are given back
    assert support.submit(section, world.b, 4_700_000_000, pay=False).receipt_id


def test_results_objections_only_during_the_publicity_and_they_suspend_the_award(world, clock):
    _project, section = _evaluated(world, clock)
    with pytest.raises(RuleViolation) as caught:
        actions.do_raise_objection(
            actor=world.a.actor, section_id=section.pk, entity_id=world.a.entity_id, kind="results", text="评分有误"
        )
    assert caught.value.code == "tender.objection_outside_publicity"
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    objection = actions.do_raise_objection(
        actor=world.a.actor, section_id=section.pk, entity_id=world.a.entity_id, kind="results", text="评分有误"
    )
    assert objection.rule_id == "tender.candidate_objection_answer_max"
    section.refresh_from_db()
    support.go(clock, section.publicity_end + timedelta(hours=1))
    section.refresh_from_db()
    assert section.status == "publicity"  # suspended: the publicity does not end
    with pytest.raises(Conflict) as caught:
        actions.do_award_section(actor=world.agency.actor, section_id=section.pk)
    assert caught.value.code == "tender.suspended"
    actions.do_answer_objection(actor=world.agency.actor, objection_id=objection.pk, answer="经复核，评分无误")
    section.refresh_from_db()
    support.go(clock, section.publicity_end)
    section.refresh_from_db()
    assert section.status == "awardable"


# -- committee (evaluation's job; the rules it receives) -------------------------------------------
def test_the_evaluation_receives_the_committee_rules(world, clock):
    _project, section = support.ready_project(world)
    support.open_and_hand_over(
        world, clock, section, {world.a: 4_800_000_000, world.b: 4_700_000_000, world.c: 4_900_000_000}
    )
    committee = section.evaluations.get().config["committee"]
    assert committee["min_size"] == 5
    assert committee["odd"] is True
    assert committee["min_size_rule"]["rule_id"] == "tender.committee_min_size"
    assert committee["expert_share_rule"]["rule_id"] == "tender.committee_expert_share_min"
