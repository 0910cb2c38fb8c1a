"""A whole evaluation through the actions: start (draw through the experts service), check-in, convene,
qualification and compliance review by majority, pricing, abnormally-low clarification, independent scoring,
outliers, ranking, the report signed by every member, finalisation, candidates, secrecy of names."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, PermissionDenied, YiwangError
from yiwang.platform.audit import queries as audit
from yiwang.platform.storage import queries as storage_queries
from yiwang.services.experts import queries as experts_q
from yiwang.trading.tender.evaluation import actions, queries
from yiwang.trading.tender.evaluation.models import Bid, Clarification, Outlier
from yiwang.trading.tender.evaluation.tests import support

pytestmark = pytest.mark.django_db


def _code(fn, *args, **kwargs) -> str:
    with pytest.raises(YiwangError) as exc:
        fn(*args, **kwargs)
    return exc.value.code


SCORES = {
    "tech_plan": "24",
    "quality": "16",
    "credit": "8",
}


def test_a_works_tender_evaluated_end_to_end(world, clock):
    ev = support.start(world, prices=[400_000_000, 420_000_000, 300_000_000, 410_000_000])
    assert ev.status == "forming"
    assert ev.draw_id
    draw = experts_q.get_draw_for(world.staff, ev.draw_id)
    avoided = {f["entity_id"]: f["reason"] for f in draw.avoided_firms}
    assert avoided[world.tenderer] == "2"
    assert avoided[world.agency] == "4"
    assert all(avoided[b] == "1" for b in world.bidders)

    ev = support.convene(world, ev, clock)
    assert ev.status == "qualification"
    bids = {b.pseudonym: b for b in ev.bids.all()}
    a, b, c, d = (bids[k] for k in ("投标人A", "投标人B", "投标人C", "投标人D"))

    # qualification: three of five find D's project manager unqualified → rejected with the reasons
    fail_d = {d.pk: ("manager", "项目经理注册专业为市政公用工程")}
    support.review_all(world, ev, "qualification", {1: fail_d, 2: fail_d, 3: fail_d})
    d.refresh_from_db()
    assert d.status == "rejected"
    assert d.rejected_stage == "qualification"
    assert "项目经理注册专业为市政公用工程" in d.review["qualification"]["reason_text"]
    assert d.review["qualification"]["votes_fail"] == 3

    # compliance: one member alone cannot reject B
    ev.refresh_from_db()
    assert ev.status == "compliance"
    support.review_all(world, ev, "compliance", {2: {b.pk: ("non_responsive", "工期超过招标文件要求")}})
    b.refresh_from_db()
    assert b.status == "in"
    assert b.review["compliance"]["votes_fail"] == 1

    # pricing → C (300万 vs average 373.3万 × 0.8 = 298.7万? no: 300 > 298.67) is not abnormally low
    ev.refresh_from_db()
    assert ev.status == "pricing"
    chair = support.chair_of(world, ev)
    actions.do_change_price(
        actor=chair.actor,
        section_ref=ev.section_ref,
        bid_id=c.pk,
        change="correction",
        price_fen=280_000_000,
        reason="算术错误修正：分项合计有误",
    )
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="pricing")
    ev.refresh_from_db()
    assert ev.status == "clarification"  # 280万 < 0.8 × average(400, 420, 280) = 293.3万
    clar = Clarification.objects.get(evaluation=ev)
    assert clar.bid_id == c.pk

    # the bidder explains; the committee accepts
    assert (
        _code(actions.do_close_stage, actor=chair.actor, section_ref=ev.section_ref, stage="clarification")
        == "evaluation.clarifications_pending"
    )
    actions.do_issue_clarification(
        actor=chair.actor,
        section_ref=ev.section_ref,
        bid_id=c.pk,
        question="请说明报价明显低于其他投标报价的原因",
        respond_by=clock.now() + timedelta(hours=1),
    )
    bidder_c = support.actor_for_account(world.bidder_accounts[c.entity_id])
    mine = queries.get_evaluation_for(bidder_c, ev.section_ref)
    assert [x.bid_id for x in mine.clarifications] == [c.pk]
    assert mine.bids == ()
    actions.do_answer_clarification(
        actor=bidder_c, section_ref=ev.section_ref, bid_id=c.pk, answer="自有设备与材料库存，成本测算附后。"
    )
    actions.do_decide_clarification(
        actor=chair.actor, section_ref=ev.section_ref, bid_id=c.pk, accept=True, reason="说明合理，成本测算可信"
    )
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="clarification")
    ev.refresh_from_db()
    assert ev.status == "scoring"

    # independent scoring: member 5 scores A's technical plan far below the others → an outlier
    base = {
        a.pk: dict(SCORES),
        b.pk: {"tech_plan": "20", "quality": "14", "credit": "7"},
        c.pk: {"tech_plan": "26", "quality": "17", "credit": "9"},
    }
    support.score_all(world, ev, base, {5: {a.pk: {"tech_plan": "10"}}})
    ev.refresh_from_db()
    assert ev.status == "signing"
    assert ev.outcome == "candidates"
    outlier = Outlier.objects.get(evaluation=ev)
    assert (outlier.member.label, outlier.bid_id, outlier.item) == ("评委5", a.pk, "tech_plan")

    # price scores: base = lowest valid (C, 280万): A 280/400 × 40 = 28; B 280/420 × 40 = 26.67; C 40
    scores = {x.pseudonym: x for x in Bid.objects.filter(evaluation=ev, status="in")}
    assert scores["投标人A"].scores["price"] == "28.00"
    assert scores["投标人B"].scores["price"] == "26.67"
    assert scores["投标人C"].scores["price"] == "40.00"
    # A's tech plan: (24 × 4 + 10) / 5 = 21.2
    assert scores["投标人A"].scores["items"]["tech_plan"] == "21.20"
    assert scores["投标人C"].total == Decimal("92.0000")
    assert [scores[k].candidate_rank for k in ("投标人C", "投标人A", "投标人B")] == [1, 2, 3]

    report = ev.report
    assert report["EVALUATION_RESULT"] == "candidates"
    assert [x["WIN_CANDIDATE_NAME"] for x in report["CANDIDATES"]] == [
        "上海测试投标人3有限公司",
        "上海测试投标人1有限公司",
        "上海测试投标人2有限公司",
    ]
    rejected = report["REJECTED_BIDS"]
    assert [r["PSEUDONYM"] for r in rejected] == ["投标人D"]
    assert "项目经理" in rejected[0]["VETO_REASON_DETAIL"]
    assert next(x for x in report["BIDS"] if x["PSEUDONYM"] == "投标人D")["IS_VETO"] == 1

    # the report is final only once every member signed
    assert (
        _code(actions.do_finalise_report, actor=chair.actor, section_ref=ev.section_ref)
        == "evaluation.signatures_pending"
    )
    support.sign_all(world, ev, dissent={4: "本人认为投标人B的工期承诺不满足要求。"})
    assert queries.candidates_of(ev.section_ref) == []  # not final yet
    ev = actions.do_finalise_report(actor=chair.actor, section_ref=ev.section_ref)
    assert ev.status == "final"
    candidates = queries.candidates_of(ev.section_ref)
    assert [(x.order, x.entity_id) for x in candidates] == [(1, c.entity_id), (2, a.entity_id), (3, b.entity_id)]

    # stored: JSON and PDF of the final report with the signatures and the dissent
    owner = actions.storage.Owner(actions.OWNER_CONTEXT, f"evaluation:{ev.pk}")
    version = storage_queries.get_version(storage_queries.get_owned_document(owner, ev.report_json_document))
    with storage_queries.open_version(version) as stream:
        final = json.loads(stream.read())
    assert len(final["signatures"]) == 5
    assert final["signatures"][3]["DISSENT"].startswith("本人认为")
    assert final["report_sha256"] == ev.report_sha256
    pdf = storage_queries.get_version(storage_queries.get_document_for(Actor.system("test"), ev.report_pdf_document))
    assert pdf.mime_type == "application/pdf"

    # the experts' performance records carry the deviation of their scores
    perf = {s.id: s for s in experts_q.get_draw_for(world.staff, ev.draw_id).seats}
    member5 = ev.members.get(ordinal=5)
    _, rows = experts_q.list_performance_for(world.staff, member5.expert_id)
    row = next(r for r in rows if r.seat_id == member5.seat_id)
    assert row.score_deviation is not None
    assert row.score_deviation < 0
    assert perf[member5.seat_id].performance_version > 1

    # secrecy: the tenderer sees the result without names until the award
    tenderer_user = support.make_account("ev-t", "招标人经办")
    from yiwang.identity import actions as identity
    from yiwang.kernel.actors import Role

    identity.do_grant_role(
        actor=world.system, role=Role.MARKET_ENTITY_USER, account=tenderer_user, entity_id=world.tenderer
    )
    tenderer = support.actor_for_account(tenderer_user)
    view = queries.get_evaluation_for(tenderer, ev.section_ref)
    assert view.report is not None
    assert all(m["EXPERT_NAME"] == "" for m in view.report["COMMITTEE"])
    assert all(m.name == "" for m in view.members)
    assert queries.report_of(ev.section_ref).signatures[0]["name"] == ""
    actions.do_mark_awarded(actor=world.staff, section_ref=ev.section_ref)
    view = queries.get_evaluation_for(tenderer, ev.section_ref)
    assert all(m.name for m in view.members)
    assert queries.report_of(ev.section_ref).names_public


def test_names_never_enter_the_witness_log_of_the_members_acts(world, clock):
    ev = support.start(world)
    ev = support.convene(world, ev, clock)
    support.review_all(world, ev, "qualification")
    names = [m.name for m in ev.members.all()]
    for entry in audit.entries(limit=1000):
        if entry.action.startswith("evaluation."):
            assert not any(n in entry.payload_text or n in entry.actor_label for n in names), entry.action


def test_a_member_cannot_read_another_members_unsubmitted_sheet(world, clock):
    ev = support.start(world)
    ev = support.convene(world, ev, clock)
    people = support.member_people(world, ev)
    (m1, p1), (m2, p2) = people[0], people[1]
    draft = support.pass_all(ev, "qualification")
    actions.do_save_review_sheet(
        actor=p1.actor, section_ref=ev.section_ref, stage="qualification", verdicts=draft, submit=False
    )
    view2 = queries.get_evaluation_for(p2.actor, ev.section_ref)
    sheet1 = next(s for s in view2.sheets if s.member_label == m1.label and s.stage == "qualification")
    assert sheet1.content is None
    assert sheet1.status == "draft"
    # submitted, but the viewer has not submitted theirs: still hidden
    actions.do_save_review_sheet(
        actor=p1.actor, section_ref=ev.section_ref, stage="qualification", verdicts=draft, submit=True
    )
    view2 = queries.get_evaluation_for(p2.actor, ev.section_ref)
    assert next(s for s in view2.sheets if s.member_label == m1.label and s.stage == "qualification").content is None
    actions.do_save_review_sheet(
        actor=p2.actor, section_ref=ev.section_ref, stage="qualification", verdicts=draft, submit=True
    )
    view2 = queries.get_evaluation_for(p2.actor, ev.section_ref)
    assert (
        next(s for s in view2.sheets if s.member_label == m1.label and s.stage == "qualification").content is not None
    )
    # a submitted sheet cannot change; only the chair returns it
    assert (
        _code(
            actions.do_save_review_sheet,
            actor=p2.actor,
            section_ref=ev.section_ref,
            stage="qualification",
            verdicts=draft,
        )
        == "evaluation.sheet_submitted"
    )
    with pytest.raises(PermissionDenied):
        actions.do_return_sheet(actor=p2.actor, section_ref=ev.section_ref, member_id=m1.pk, reason="请复核")
    chair = support.chair_of(world, ev)
    actions.do_return_sheet(actor=chair.actor, section_ref=ev.section_ref, member_id=m2.pk, reason="请复核")
    actions.do_save_review_sheet(
        actor=p2.actor, section_ref=ev.section_ref, stage="qualification", verdicts=draft, submit=True
    )
    # an outsider sees nothing; staff see submitted sheets but not drafts
    outsider = support.actor_for_account(support.make_account("ev-x", "路人"))
    assert _code(queries.get_evaluation_for, outsider, ev.section_ref) == "evaluation.evaluation_not_found"


def test_a_stage_cannot_close_before_every_sheet_is_in(world, clock):
    ev = support.start(world)
    ev = support.convene(world, ev, clock)
    chair = support.chair_of(world, ev)
    (_m1, p1) = support.member_people(world, ev)[0]
    actions.do_save_review_sheet(
        actor=p1.actor,
        section_ref=ev.section_ref,
        stage="qualification",
        verdicts=support.pass_all(ev, "qualification"),
        submit=True,
    )
    with pytest.raises(Conflict) as exc:
        actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="qualification")
    assert exc.value.code == "evaluation.sheets_pending"
    assert "评委2" in exc.value.details["pending"]


def test_too_few_valid_bids_end_with_insufficient_valid_bids(world, clock):
    ev = support.start(world, prices=[400_000_000, 420_000_000, 410_000_000])
    ev = support.convene(world, ev, clock)
    bid = ev.bids.get(seq=1)
    fail = {bid.pk: ("licence", "资质证书已过期")}
    support.review_all(world, ev, "qualification", {1: fail, 2: fail, 3: fail, 4: fail})
    ev.refresh_from_db()
    assert ev.status == "signing"
    assert ev.outcome == "insufficient_valid_bids"
    assert queries.outcome_of(ev.section_ref).outcome == "insufficient_valid_bids"
    assert ev.report["CANDIDATES"] == []
    assert ev.report["VALID_BIDS"] == 2
    support.sign_all(world, ev)
    ev = actions.do_finalise_report(actor=world.staff, section_ref=ev.section_ref)
    assert ev.status == "final"
    assert queries.candidates_of(ev.section_ref) == []


def test_an_abnormally_low_bid_without_a_good_explanation_is_rejected(world, clock):
    ev = support.start(
        world,
        prices=[400_000_000, 420_000_000, 410_000_000, 200_000_000],
        config=support.comprehensive_config(requirements=[]),
    )
    ev = support.convene(world, ev, clock)
    assert ev.status == "compliance"
    support.review_all(world, ev, "compliance")
    chair = support.chair_of(world, ev)
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="pricing")
    low = ev.bids.get(seq=4)
    assert (
        _code(
            actions.do_decide_clarification,
            actor=chair.actor,
            section_ref=ev.section_ref,
            bid_id=low.pk,
            accept=False,
            reason="未说明",
        )
        == "evaluation.clarification_not_issued"
    )
    actions.do_issue_clarification(
        actor=chair.actor,
        section_ref=ev.section_ref,
        bid_id=low.pk,
        question="请说明报价构成",
        respond_by=clock.now() + timedelta(minutes=30),
    )
    assert (
        _code(
            actions.do_decide_clarification,
            actor=chair.actor,
            section_ref=ev.section_ref,
            bid_id=low.pk,
            accept=False,
            reason="未说明",
        )
        == "evaluation.answer_pending"
    )
    clock.advance(timedelta(minutes=31))
    bidder = support.actor_for_account(world.bidder_accounts[low.entity_id])
    assert (
        _code(
            actions.do_answer_clarification,
            actor=bidder,
            section_ref=ev.section_ref,
            bid_id=low.pk,
            answer="迟到的说明",
        )
        == "evaluation.answer_too_late"
    )
    actions.do_decide_clarification(
        actor=chair.actor, section_ref=ev.section_ref, bid_id=low.pk, accept=False, reason="未在规定时间内作出书面说明"
    )
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="clarification")
    low.refresh_from_db()
    assert low.status == "rejected"
    assert low.rejected_stage == "clarification"
    assert "低于成本" in low.review["clarification"]["reason_text"]
    ev.refresh_from_db()
    assert ev.status == "scoring"


def test_more_than_a_third_saying_the_time_is_too_short_requires_an_extension(world, clock):
    ev = support.start(world)
    ev = support.convene(world, ev, clock)
    people = support.member_people(world, ev)
    actions.do_declare_time_short(actor=people[0][1].actor, section_ref=ev.section_ref, reason="投标文件篇幅大")
    ev.refresh_from_db()
    assert ev.extension_due_at is None  # 1/5
    assert (
        _code(actions.do_declare_time_short, actor=people[0][1].actor, section_ref=ev.section_ref)
        == "evaluation.already_declared"
    )
    actions.do_declare_time_short(actor=people[1][1].actor, section_ref=ev.section_ref)
    ev.refresh_from_db()
    assert ev.extension_due_at is not None  # 2/5 > 1/3 (tender.committee_extension_share)
    entry = audit.entries(action="evaluation.declare_time_short", limit=10)[0]
    assert json.loads(entry.payload_text)["rule_id"] == "tender.committee_extension_share"
    actions.do_extend_evaluation(
        actor=world.staff,
        section_ref=ev.section_ref,
        until=ev.meeting_end + timedelta(hours=3),
        reason="成员认为评标时间不够",
    )
    ev.refresh_from_db()
    assert ev.extended_until == ev.meeting_end + timedelta(hours=3)


def test_signing_needs_the_members_own_certificate(world, clock):
    ev = support.start(world, prices=[400_000_000, 420_000_000, 410_000_000])
    ev = support.convene(world, ev, clock)
    bid = ev.bids.get(seq=1)
    fail = {bid.pk: ("licence", "资质证书已过期")}
    support.review_all(world, ev, "qualification", {1: fail, 2: fail, 3: fail})
    ev.refresh_from_db()
    (_m1, p1), (_m2, p2) = support.member_people(world, ev)[:2]
    message = support.signing_message(ev)
    # another member's certificate and key: a valid signature, but not bound to this account
    with pytest.raises(PermissionDenied) as exc:
        actions.do_sign_report(
            actor=p1.actor, section_ref=ev.section_ref, signature=p2.sign(message), certificate=p2.issued.cert.der
        )
    assert exc.value.code == "evaluation.signer_mismatch"
    # a signature over something else
    assert (
        _code(
            actions.do_sign_report,
            actor=p1.actor,
            section_ref=ev.section_ref,
            signature=p1.sign(b"other"),
            certificate=p1.issued.cert.der,
        )
        == "ca.signature_invalid"
    )
    actions.do_sign_report(
        actor=p1.actor, section_ref=ev.section_ref, signature=p1.sign(message), certificate=p1.issued.cert.der
    )
    assert (
        _code(
            actions.do_sign_report,
            actor=p1.actor,
            section_ref=ev.section_ref,
            signature=p1.sign(message),
            certificate=p1.issued.cert.der,
        )
        == "evaluation.already_signed"
    )
    from yiwang.identity.ca import queries as ca_queries

    records = ca_queries.list_signatures_of("evaluation.evaluation", ev.pk)
    assert len(records) == 1
    assert records[0].purpose == "evaluation.report"
