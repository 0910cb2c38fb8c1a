"""Starting an evaluation: the committee's composition against the rules (with rule ids and sources), nothing
left behind by a refusal, the draw through the experts service, the room through the venues service, the
check-in forwarded from the venue to the experts service, convening, permissions, cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.identity import actions as identity
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.services.experts import queries as experts_q
from yiwang.services.venues import actions as venues
from yiwang.services.venues import queries as venues_q
from yiwang.trading.tender.evaluation import actions, queries
from yiwang.trading.tender.evaluation.tests import support

pytestmark = pytest.mark.django_db


def _refused(world, **kw) -> YiwangError:
    before = support.counts()
    with pytest.raises(YiwangError) as exc:
        support.start(world, **kw)
    assert support.counts() == before, "a refused start leaves nothing behind"
    return exc.value


def test_a_committee_of_four_is_refused_with_the_rule_id_and_source(world):
    err = _refused(world, request=support.committee_request(world, experts_count=4))
    assert err.code == "evaluation.committee_invalid"
    assert err.status == 422
    assert err.details["rule_id"] == "tender.committee_min_size"
    assert "招标投标法" in err.details["source"]
    assert "第三十七条" in err.details["source"]
    assert {p["code"] for p in err.details["problems"]} == {
        "evaluation.committee_too_small",
        "evaluation.committee_even",
    }


def test_an_even_committee_is_refused(world):
    err = _refused(world, request=support.committee_request(world, experts_count=6))
    assert [p["code"] for p in err.details["problems"]] == ["evaluation.committee_even"]


def test_experts_below_two_thirds_are_refused(world):
    reps = [{"account_id": world.experts[i].account.pk, "name": f"代表{i}"} for i in range(2)]
    err = _refused(world, request=support.committee_request(world, experts_count=3, representatives=reps))
    problem = err.details["problems"][0]
    assert problem["code"] == "evaluation.committee_expert_share"
    assert problem["rule_id"] == "tender.committee_expert_share_min"


GP_CONFIG = {
    "method": "gp_comprehensive",
    "items": [
        {"code": "tech", "name": "技术参数响应", "category": "technical", "max_points": 50},
        {"code": "service", "name": "售后服务", "category": "commercial", "max_points": 20},
        {"code": "price", "name": "价格", "category": "price", "max_points": 30},
    ],
}


def test_gp_with_a_large_budget_needs_seven(world):
    request = support.committee_request(world, experts_count=5, budget_fen=1_200_000_000)
    err = _refused(world, kind="gp_goods", config=GP_CONFIG, request=request)
    assert err.details["rule_id"] == "gp.committee_min_size_large"
    assert err.details["problems"][0]["minimum"] == 7
    ev = support.start(
        world,
        kind="gp_goods",
        config=GP_CONFIG,
        request=support.committee_request(world, experts_count=7, budget_fen=1_200_000_000),
    )
    assert ev.status == "forming"
    assert ev.rules["committee_large_min"]["rule_id"] == "gp.committee_min_size_large"


def test_gp_price_weight_below_thirty_percent_for_goods_is_refused(world):
    config = {
        **GP_CONFIG,
        "items": [
            {**GP_CONFIG["items"][0], "max_points": 55},
            GP_CONFIG["items"][1],
            {**GP_CONFIG["items"][2], "max_points": 25},
        ],
    }
    err = _refused(world, kind="gp_goods", config=config)
    assert err.code == "evaluation.price_weight_too_low"
    assert err.details["rule_id"] == "gp.price_weight_goods_min"


def test_a_works_method_does_not_apply_to_gp_and_bad_input_names_the_field(world):
    assert _refused(world, kind="gp_goods").code == "evaluation.method_not_for_kind"
    err = _refused(world, prices=[400, 0, 300])
    assert err.details["field"] == "bids.1.price_fen"
    assert _refused(world, section="section 12").code == "evaluation.section_ref_invalid"


def test_only_staff_over_the_region_start_an_evaluation(world):
    outsider = support.actor_for_account(support.make_account("ev-x", "路人"))
    before = support.counts()
    with pytest.raises(YiwangError) as exc:
        actions.do_start_evaluation(
            actor=outsider,
            section_ref="tender.section:900",
            kind="works",
            config=support.comprehensive_config(),
            rules_snapshot=support.snapshot(),
            bids=support.bids(world, [400, 410, 420]),
            committee_request=support.committee_request(world),
        )
    assert exc.value.code == "evaluation.forbidden"
    assert support.counts() == before


def test_one_evaluation_per_section_and_an_unsatisfiable_draw_leaves_nothing(world):
    ev = support.start(world, section="tender.section:77")
    assert _refused(world, section="tender.section:77").code == "evaluation.already_started"
    err = _refused(world, request=support.committee_request(world, experts_count=9))  # the pool holds 7
    assert err.code == "experts.draw_unsatisfiable"
    assert queries.outcome_of(ev.section_ref).status == "forming"


def test_names_are_secret_from_the_parties_until_the_award(world_rep, clock):
    world = world_rep
    ev = support.start(world, request=support.committee_request(world, experts_count=6))
    assert ev.members.get().kind == "representative"
    # before the meeting nobody but the overseers sees anything of the committee
    tenderer = support.make_account("ev-t", "招标人经办")
    identity.do_grant_role(
        actor=world.system, role=support.Role.MARKET_ENTITY_USER, account=tenderer, entity_id=world.tenderer
    )
    view = queries.get_evaluation_for(support.actor_for_account(tenderer), ev.section_ref)
    assert view.viewer == "party"
    assert view.members == ()
    assert view.bids == ()
    ev = support.convene(world, ev, clock)
    assert ev.members.count() == 7
    # members see each other during the meeting
    member_view = queries.get_evaluation_for(world.representative.actor, ev.section_ref)
    assert member_view.viewer == "member"
    assert all(m.name for m in member_view.members)
    view = queries.get_evaluation_for(support.actor_for_account(tenderer), ev.section_ref)
    assert view.members == ()
    assert view.report is None


def test_a_booked_room_seats_the_committee_and_a_venue_check_in_reaches_the_experts_service(world, clock):
    org = identity.do_create_organisation(
        actor=Actor.system("test"), kind="trading_centre", name="闵行区公共资源交易分中心", region_code="310112"
    )
    site = venues.do_create_site(
        actor=world.staff, organisation_id=org.pk, name="闵行交易大厅", region_code="310112", address="沪闵路 1 号"
    )
    room = venues.do_create_room(
        actor=world.staff,
        site_id=site.pk,
        data={"code": "P1", "name": "评标室1", "kind": "evaluation_room", "capacity": 9},
    )
    venues.do_add_seats(actor=world.staff, room_id=room.pk, seats=[{"number": f"E{i:02d}"} for i in range(1, 8)])
    ev = support.start(world, request=support.committee_request(world, room_id=room.pk))
    booking = venues_q.get_booking_for(world.staff, ev.booking_id)
    assert booking.owner_ref == ev.section_ref
    assert booking.status == "approved"
    assert booking.purpose == "evaluation"
    seated = {r.expert_ref for r in venues_q.attendance_of(ev.booking_id)}
    seats = support.seats(ev)
    assert seated == {f"experts.seat:{s.id}" for s in seats}

    clock.set(ev.meeting_start - timedelta(minutes=30))
    first = seats[0]
    actions.do_check_in_member(actor=world.staff, section_ref=ev.section_ref, seat_id=first.id)
    assert next(s for s in support.seats(ev) if s.id == first.id).status == "checked_in"
    # an expert checks in themself with the room's code
    second = seats[1]
    person = next(p for p in world.experts if p.expert_id == second.expert_id)
    code = venues_q.get_booking_for(world.staff, ev.booking_id).check_in_code
    actions.do_check_in_member(
        actor=person.actor, section_ref=ev.section_ref, seat_id=second.id, method="self_confirm", code=code
    )
    assert next(s for s in support.seats(ev) if s.id == second.id).status == "checked_in"
    # before the start nobody convenes; with members missing neither
    with pytest.raises(YiwangError) as exc:
        actions.do_convene_committee(actor=world.staff, section_ref=ev.section_ref)
    assert exc.value.code == "evaluation.meeting_not_started"
    clock.set(ev.meeting_start + timedelta(minutes=1))
    with pytest.raises(YiwangError) as exc:
        actions.do_convene_committee(actor=world.staff, section_ref=ev.section_ref)
    assert exc.value.code == "evaluation.committee_incomplete"
    assert len(exc.value.details["experts_waiting"]) == 3
    ev = support.convene(world, ev, clock)
    assert ev.status == "qualification"
    assert ev.members.count() == 5


def test_an_absent_expert_is_replaced_by_a_reserve_before_convening(world, clock):
    ev = support.start(world)
    clock.set(ev.meeting_start + timedelta(minutes=5))
    seats = support.seats(ev)
    from yiwang.services.experts import actions as experts

    experts.do_mark_absent(actor=world.staff, seat_id=seats[0].id, note="未到场")
    now_seats = support.seats(ev)
    assert seats[0].id not in {s.id for s in now_seats}
    assert len(now_seats) == 5
    ev = support.convene(world, ev, clock)
    assert set(ev.members.values_list("seat_id", flat=True)) == {s.id for s in now_seats}


def test_cancelling_before_the_meeting_cancels_the_draw(world):
    ev = support.start(world)
    with pytest.raises(YiwangError) as exc:
        actions.do_cancel_evaluation(actor=world.staff, section_ref=ev.section_ref, reason="")
    assert exc.value.code == "evaluation.reason_required"
    actions.do_cancel_evaluation(actor=world.staff, section_ref=ev.section_ref, reason="招标人终止招标")
    ev.refresh_from_db()
    assert ev.status == "cancelled"
    assert experts_q.get_draw_for(world.staff, ev.draw_id).status == "cancelled"


def test_consultation_price_weight_must_stay_within_the_band(world):
    items = [
        {"code": "tech", "name": "技术", "category": "technical", "max_points": 25},
        {"code": "price", "name": "价格", "category": "price", "max_points": 75},
    ]
    err = _refused(world, kind="gp_goods", config={"method": "consultation", "items": items})
    assert err.code == "evaluation.price_weight_too_high"
    assert err.details["rule_id"] == "gp.consultation_price_weight_goods_max"
    items[0]["max_points"], items[1]["max_points"] = 55, 45
    ev = support.start(world, kind="gp_goods", config={"method": "consultation", "items": items})
    assert ev.rules["price_weight_min"]["rule_id"] == "gp.consultation_price_weight_goods_min"


def test_staff_lists_what_they_oversee_and_members_their_tasks(world, clock):
    ev = support.start(world)
    assert [i.section_ref for i in queries.list_evaluations_for(world.staff)] == [ev.section_ref]
    person = world.experts[0]
    assert queries.list_my_tasks(person.actor) == []  # drawn experts see the task once convened
    ev = support.convene(world, ev, clock)
    sitting = [p for p in world.experts if ev.members.filter(account_id=p.account.pk).exists()]
    tasks = queries.list_my_tasks(sitting[0].actor)
    assert [(t.section_ref, t.role) for t in tasks] == [
        (
            ev.section_ref,
            "chair" if ev.members.get(account_id=sitting[0].account.pk).pk == ev.chair_member_id else "member",
        )
    ]
