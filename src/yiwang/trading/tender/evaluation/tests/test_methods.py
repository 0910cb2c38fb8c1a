"""The other methods: GP comprehensive scoring with the low-price formula and same-brand grouping, the lowest
evaluated price with price adjustments, negotiation with final quotes, and the chair's powers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yiwang.kernel.errors import YiwangError
from yiwang.trading.tender.evaluation import actions, queries
from yiwang.trading.tender.evaluation.models import Bid
from yiwang.trading.tender.evaluation.tests import support

pytestmark = pytest.mark.django_db

GP_CONFIG = {
    "method": "gp_comprehensive",
    "items": [
        {"code": "tech", "name": "技术参数响应", "category": "technical", "max_points": 50},
        {"code": "service", "name": "售后服务", "category": "commercial", "max_points": 20},
        {"code": "price", "name": "价格", "category": "price", "max_points": 30},
    ],
    "abnormally_low": None,
}


def _code(fn, *args, **kwargs) -> str:
    with pytest.raises(YiwangError) as exc:
        fn(*args, **kwargs)
    return exc.value.code


def test_gp_same_brand_counts_once_and_only_its_best_becomes_a_candidate(world, clock):
    brands = {0: {"brand": "华为"}, 1: {"brand": "华为"}, 2: {"brand": "联想"}, 3: {"brand": "浪潮"}}
    ev = support.start(
        world,
        kind="gp_goods",
        config=GP_CONFIG,
        prices=[100_000_00, 90_000_00, 95_000_00, 120_000_00],
        bid_extra=brands,
    )
    ev = support.convene(world, ev, clock)
    assert ev.status == "compliance"
    support.review_all(world, ev, "compliance")
    chair = support.chair_of(world, ev)
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="pricing")
    b = {x.seq: x for x in ev.bids.all()}
    base = {
        b[1].pk: {"tech": "45", "service": "18"},
        b[2].pk: {"tech": "44", "service": "18"},
        b[3].pk: {"tech": "40", "service": "15"},
        b[4].pk: {"tech": "30", "service": "10"},
    }
    support.score_all(world, ev, base)
    rows = {x.seq: x for x in Bid.objects.filter(evaluation=ev)}
    # price: 90 / p × 30 → 27.00, 30.00, 28.42, 22.50
    assert [rows[i].scores["price"] for i in (1, 2, 3, 4)] == ["27.00", "30.00", "28.42", "22.50"]
    assert rows[2].rank == 1
    assert rows[1].rank == 2
    assert rows[1].brand_excluded
    assert [c.entity_id for c in queries.candidates_of(ev.section_ref)] == []  # not final yet
    assert [(x.seq, x.candidate_rank) for x in sorted(rows.values(), key=lambda r: r.seq)] == [
        (1, None),
        (2, 1),
        (3, 2),
        (4, 3),
    ]


def test_gp_brands_counting_once_can_leave_too_few_valid_bidders(world, clock):
    brands = {0: {"brand": "华为"}, 1: {"brand": "华为"}, 2: {"brand": "联想"}}
    ev = support.start(
        world, kind="gp_goods", config=GP_CONFIG, prices=[100_000_00, 90_000_00, 95_000_00], bid_extra=brands
    )
    ev = support.convene(world, ev, clock)
    support.review_all(world, ev, "compliance")
    ev.refresh_from_db()
    assert ev.outcome == "insufficient_valid_bids"  # gp.min_bidders: 3 bids, 2 brands
    assert ev.report["MIN_VALID_BIDS"]["rule_id"] == "gp.min_bidders"


def test_lowest_evaluated_price_with_adjustments_and_ties_by_arrival(world, clock):
    config = {"method": "lowest_evaluated", "abnormally_low": None, "candidates": 2}
    ev = support.start(world, config=config, prices=[300_000_00, 310_000_00, 320_000_00])
    ev = support.convene(world, ev, clock)
    support.review_all(world, ev, "compliance")
    chair = support.chair_of(world, ev)
    b = {x.seq: x for x in ev.bids.all()}
    assert (
        _code(
            actions.do_change_price,
            actor=chair.actor,
            section_ref=ev.section_ref,
            bid_id=b[1].pk,
            change="final_quote",
            price_fen=1,
            reason="最后报价",
        )
        == "evaluation.final_quote_not_allowed"
    )
    # 1: +15 万 for a longer duration (评审价格调整) → 315; 3: corrected to 305
    actions.do_change_price(
        actor=chair.actor,
        section_ref=ev.section_ref,
        bid_id=b[1].pk,
        change="adjustment",
        amount_fen=15_000_00,
        reason="工期每延长一天加价",
    )
    actions.do_change_price(
        actor=chair.actor,
        section_ref=ev.section_ref,
        bid_id=b[3].pk,
        change="correction",
        price_fen=305_000_00,
        reason="单价与总价不一致，以单价为准",
    )
    not_chair = support.member_people(world, ev)[1][1]
    assert (
        _code(
            actions.do_change_price,
            actor=not_chair.actor,
            section_ref=ev.section_ref,
            bid_id=b[2].pk,
            change="correction",
            price_fen=1,
            reason="x1",
        )
        == "evaluation.chair_only"
    )
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="pricing")
    ev.refresh_from_db()
    assert ev.status == "signing"
    rows = {x.seq: x for x in Bid.objects.filter(evaluation=ev)}
    assert (rows[1].offered_price_fen, rows[1].evaluated_price_fen) == (300_000_00, 315_000_00)
    assert [rows[i].rank for i in (3, 2, 1)] == [1, 2, 3]
    assert [c["WIN_CANDIDATE_ORDER"] for c in ev.report["CANDIDATES"]] == [1, 2]
    assert ev.report["CANDIDATES"][0]["BID_PRICE"] == 305_000_00


def test_negotiation_takes_final_quotes(world, clock):
    config = {"method": "negotiation", "abnormally_low": None}
    ev = support.start(world, kind="gp_services", config=config, prices=[100_000_00, 98_000_00, 99_000_00])
    ev = support.convene(world, ev, clock)
    support.review_all(world, ev, "compliance")
    chair = support.chair_of(world, ev)
    first = ev.bids.get(seq=1)
    actions.do_change_price(
        actor=chair.actor,
        section_ref=ev.section_ref,
        bid_id=first.pk,
        change="final_quote",
        price_fen=95_000_00,
        reason="第二轮谈判后的最后报价",
    )
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="pricing")
    ev.refresh_from_db()
    assert ev.status == "signing"
    assert ev.rules["committee_min"]["rule_id"] == "gp.negotiation_panel_min"
    assert ev.report["CANDIDATES"][0]["WIN_CANDIDATE_CODE"] == ""
    assert ev.report["CANDIDATES"][0]["BID_PRICE"] == 95_000_00


def test_score_sheets_are_checked_against_the_items_points(world, clock):
    ev = support.start(world, config=support.comprehensive_config(requirements=[], abnormally_low=None))
    ev = support.convene(world, ev, clock)
    support.review_all(world, ev, "compliance")
    chair = support.chair_of(world, ev)
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="pricing")
    person = support.member_people(world, ev)[0][1]
    bid = ev.bids.first()
    assert (
        _code(
            actions.do_save_score_sheet,
            actor=person.actor,
            section_ref=ev.section_ref,
            scores={str(bid.pk): {"tech_plan": "31"}},
        )
        == "evaluation.score_out_of_range"
    )
    assert (
        _code(
            actions.do_save_score_sheet,
            actor=person.actor,
            section_ref=ev.section_ref,
            scores={str(bid.pk): {"price": "40"}},
        )
        == "evaluation.item_not_yours"
    )
    assert (
        _code(
            actions.do_save_score_sheet,
            actor=person.actor,
            section_ref=ev.section_ref,
            scores={str(bid.pk): {"tech_plan": "20"}},
            submit=True,
        )
        == "evaluation.sheet_incomplete"
    )
    sheet = actions.do_save_score_sheet(
        actor=person.actor, section_ref=ev.section_ref, scores={str(bid.pk): {"tech_plan": "20.5"}}
    )
    assert sheet.status == "draft"
    assert sheet.content == {str(bid.pk): {"tech_plan": "20.5"}}
    assert (
        _code(
            actions.do_save_score_sheet, actor=person.actor, section_ref=ev.section_ref, scores={}, expected_version=1
        )
        == "precondition.failed"
    )
    outsider = support.actor_for_account(support.make_account("ev-x", "路人"))
    assert (
        _code(actions.do_save_score_sheet, actor=outsider, section_ref=ev.section_ref, scores={})
        == "evaluation.forbidden"
    )


def test_the_chair_sees_outliers_before_closing_and_may_return_a_sheet(world, clock):
    ev = support.start(
        world,
        prices=[400_000_00, 410_000_00, 420_000_00],
        config=support.comprehensive_config(requirements=[], abnormally_low=None),
    )
    ev = support.convene(world, ev, clock)
    support.review_all(world, ev, "compliance")
    chair = support.chair_of(world, ev)
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="pricing")
    bids = list(ev.bids.order_by("seq"))
    base = {b.pk: {"tech_plan": "24", "quality": "16", "credit": "8"} for b in bids}
    people = support.member_people(world, ev)
    for m, person in people:
        sheet = {str(k): dict(v) for k, v in base.items()}
        if m.ordinal == 3:
            sheet[str(bids[0].pk)]["tech_plan"] = "5"
        actions.do_save_score_sheet(actor=person.actor, section_ref=ev.section_ref, scores=sheet, submit=True)
    view = queries.get_evaluation_for(chair.actor, ev.section_ref)
    assert [(o.member_label, o.item) for o in view.provisional_outliers] == [("评委3", "tech_plan")]
    assert queries.get_evaluation_for(people[1][1].actor, ev.section_ref).provisional_outliers == ()
    third = people[2][0]
    actions.do_return_sheet(
        actor=chair.actor, section_ref=ev.section_ref, member_id=third.pk, reason="请复核技术方案评分"
    )
    assert (
        _code(actions.do_close_stage, actor=chair.actor, section_ref=ev.section_ref, stage="scoring")
        == "evaluation.sheets_pending"
    )
    actions.do_save_score_sheet(
        actor=people[2][1].actor, section_ref=ev.section_ref, scores={str(k): v for k, v in base.items()}, submit=True
    )
    actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="scoring")
    ev.refresh_from_db()
    assert ev.report["OUTLIERS"] == []
    assert ev.status == "signing"
    assert all(Decimal(v) == 0 for v in ev.report["MEMBER_DEVIATION"].values())
