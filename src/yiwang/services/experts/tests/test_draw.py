"""The draw: eligibility and recusal, unsatisfiable requests, seeding and replay, sealing, answers and
automatic redraws, check-in and absence, committee composition, permissions."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from yiwang.kernel.canonical import digest_json
from yiwang.kernel.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
    ServiceUnavailable,
    YiwangError,
)
from yiwang.platform.audit import queries as witness
from yiwang.platform.clock import now
from yiwang.services.experts import actions, jobs, queries
from yiwang.services.experts.domain import draw as draw_domain
from yiwang.services.experts.models import Draw, DrawStatus, Performance, Seat, SeedCommitment
from yiwang.services.experts.tests import support
from yiwang.services.experts.tests.support import counts, enrol, request

pytestmark = pytest.mark.django_db


def _draw(staff, **overrides) -> Draw:
    return actions.do_request_draw(actor=staff, data=request(**overrides))


def _members(draw: Draw) -> list[Seat]:
    return list(Seat.objects.filter(draw__in=[draw, *draw.supplements.all()], role="member").order_by("pk"))


def test_a_draw_seats_members_and_reserves_and_notifies(pool, staff):
    draw = _draw(staff)
    members = [s for s in draw.seats.all() if s.role == "member"]
    reserves = [s for s in draw.seats.all() if s.role == "reserve"]
    assert len(members) == 5
    assert len(reserves) == 2
    assert {s.status for s in members} == {"notified"}
    assert {s.status for s in reserves} == {"reserve"}
    assert len({s.expert_id for s in members + reserves}) == 7
    assert draw.status == DrawStatus.CONFIRMING
    assert sum(len(support.inbox_of(s.expert)) for s in members) == 5
    assert Performance.objects.filter(seat__in=members, attendance="pending").count() == 5
    # a commitment is waiting for the next draw
    assert SeedCommitment.objects.filter(draw__isnull=True).count() == 1


def test_the_draw_witness_and_event_carry_no_names_or_expert_ids(pool, staff):
    draw = _draw(staff)
    entry = witness.entries_about(draw)[0]
    payload = json.loads(entry.payload_text)
    names = [e.name for e in pool["building"]]
    assert not any(name in entry.payload_text for name in names)
    assert "expert" not in json.dumps(payload["seats"])
    assert payload["sealed_digest"] == draw.sealed_digest
    from django.apps import apps

    event = apps.get_model("outbox", "OutboxEvent").objects.filter(event_type="experts.draw_made.v1").get()
    assert event.visibility == "restricted"
    assert not any(name in json.dumps(event.data, ensure_ascii=False) for name in names)


def test_unsatisfiable_draw_draws_nobody_and_explains(pool, staff):
    firm = support.make_firm()
    actions.do_update_expert(
        actor=staff, expert_id=pool["building"][0].pk, changes={"employer_entity_id": firm}, expected_version=None
    )
    actions.do_change_expert_status(
        actor=staff, expert_id=pool["building"][1].pk, change="suspend", reason="考核", expected_version=None
    )
    before = counts()
    seeds = SeedCommitment.objects.count()
    with pytest.raises(RuleViolation) as exc:
        _draw(
            staff,
            lines=[{"specialty": "A080101", "count": 7, "reserve": 0}],
            avoided_firms=[{"entity_id": firm, "reason": "1"}],
        )
    err = exc.value
    assert err.code == "experts.draw_unsatisfiable"
    line = err.details["lines"][0]
    assert line == {
        "line": 0,
        "specialty": "A080101",
        "needed": 7,
        "eligible": 6,
        "holders": 8,
        "excluded": {"not_active": 1, "avoided_employer": 1},
    }
    assert "A080101 需要 7 人，符合条件 6 人" in err.message_zh
    assert counts() == before
    assert not Draw.objects.exists()
    assert not Seat.objects.exists()
    assert SeedCommitment.objects.count() == seeds


def test_shared_candidates_across_lines_are_explained(pool, staff):
    with pytest.raises(RuleViolation) as exc:
        _draw(
            staff,
            lines=[
                {"specialty": "A0801", "count": 5, "reserve": 0},
                {"specialty": "A080104", "count": 2, "reserve": 0},
                {"specialty": "A080101", "count": 4, "reserve": 0},
            ],
        )
    # each line alone can be filled (10, 2 and 8 candidates) but together they need 11 different experts
    assert [line["eligible"] for line in exc.value.details["lines"]] == [10, 2, 8]
    assert exc.value.details["shortages"] == [{"lines": [0, 1, 2], "needed": 11, "available": 10}]
    assert "合计需要 11 人" in exc.value.message_zh


def test_recusal_rules_are_respected(pool, staff, clock):
    bidder, agency, other = support.make_firm(), support.make_firm(), support.make_firm()
    b = pool["building"]
    actions.do_update_expert(
        actor=staff, expert_id=b[0].pk, changes={"employer_entity_id": bidder}, expected_version=None
    )
    actions.do_declare_tie(actor=staff, expert_id=b[1].pk, data={"entity_id": agency, "kind": "relative"})
    actions.do_declare_tie(actor=staff, expert_id=b[2].pk, data={"entity_id": other, "kind": "interest"})
    actions.do_record_sanction(
        actor=staff,
        expert_id=b[3].pk,
        data={"kind": "suspension", "authority": "发改委", "reason": "违规", "start_date": "2026-01-01"},
    )
    meeting = now() + timedelta(days=2)
    actions.do_declare_unavailability(
        actor=staff, expert_id=b[4].pk, start_date=meeting.date(), end_date=meeting.date() + timedelta(days=1)
    )
    with pytest.raises(RuleViolation) as exc:
        _draw(
            staff,
            start=meeting,
            lines=[{"specialty": "A080101", "count": 5, "reserve": 0}],
            avoided_firms=[{"entity_id": bidder, "reason": "1"}, {"entity_id": agency, "reason": "4"}],
        )
    assert exc.value.details["lines"][0]["excluded"] == {
        "avoided_employer": 1,
        "declared_relationship": 1,
        "sanctioned": 1,
        "unavailable": 1,
    }
    draw = _draw(
        staff,
        start=meeting,
        lines=[{"specialty": "A080101", "count": 4, "reserve": 1}],
        representatives=1,
        avoided_firms=[{"entity_id": bidder, "reason": "1"}, {"entity_id": agency, "reason": "4"}],
    )
    chosen = {s.expert_id for s in draw.seats.all()}
    assert chosen == {b[2].pk, b[5].pk, b[6].pk, b[7].pk}  # b[2]'s tie is with a firm not avoided
    # the four members are now booked: an overlapping second draw cannot use them (and, although a seed
    # commitment is ready this time, the refused draw leaves nothing behind)
    assert SeedCommitment.objects.filter(draw__isnull=True).exists()
    before = counts()
    with pytest.raises(RuleViolation) as exc2:
        _draw(
            staff,
            start=meeting + timedelta(hours=1),
            project_ref="TP-2026-002",
            lines=[{"specialty": "A080101", "count": 5, "reserve": 0}],
        )
    assert exc2.value.details["lines"][0]["excluded"]["booked"] == 4
    assert counts() == before
    assert Draw.objects.count() == 1


def test_avoided_firm_by_uscc_only_matches_the_employer_uscc(pool, staff):
    from yiwang.kernel.ids import make_uscc

    uscc = make_uscc("9", "1", "310112", "U0000001")
    actions.do_update_expert(
        actor=staff,
        expert_id=pool["building"][0].pk,
        changes={"employer_uscc": uscc, "employer_name": "未登记的单位"},
        expected_version=None,
    )
    draw = _draw(
        staff, lines=[{"specialty": "A080101", "count": 7, "reserve": 0}], avoided_firms=[{"uscc": uscc, "reason": "2"}]
    )
    assert pool["building"][0].pk not in {s.expert_id for s in draw.seats.all()}


def test_draw_is_deterministic_and_replays_byte_exactly(pool, staff):
    draw = _draw(staff)
    [replay] = queries.replay_draw(draw.pk)
    assert replay.ok
    assert replay.commitment_precedes
    assert draw_domain.result_digest(replay.report.results) == draw.result_digest
    assert [r.as_json() for r in replay.report.results] == draw.result
    # the seed follows the documented scheme from witnessed values
    entry = json.loads(witness.entries_about(draw)[0].payload_text)
    assert (
        draw_domain.derive_seed(draw.commitment.secret, entry["request_digest"], entry["public_hash"]) == entry["seed"]
    )
    assert draw_domain.commitment_of(draw.commitment.secret) == entry["commitment"]
    # tampering with the recorded candidates is detected
    Draw.objects.filter(pk=draw.pk).update(candidates=[list(reversed(draw.candidates[0][1:]))])
    [broken] = queries.replay_draw(draw.pk)
    assert not broken.ok
    assert "candidates_digest" in broken.report.problems


def test_sealed_views_by_role_and_unsealing(pool, staff, clock):
    tenderer = support.make_firm()
    draw = _draw(staff, avoided_firms=[{"entity_id": tenderer, "reason": "2"}])
    names = {e.name for e in pool["building"]}
    party = support.party(tenderer)
    view = queries.get_draw_for(party, draw.pk)
    assert view.sealed
    assert not view.seats
    assert view.lines[0].active == 5
    assert not view.full
    assert view.avoided_firms == ()
    staff_view = queries.get_draw_for(staff, draw.pk)
    assert {s.name for s in staff_view.seats} <= names
    assert staff_view.seats[0].phone
    with pytest.raises(NotFound):
        queries.get_draw_for(support.party(999), draw.pk)
    # witness entries so far name nobody
    for entry in witness.entries(after=0, limit=10_000):
        if entry.object_type in ("experts.draw", "experts.seat"):
            assert not any(n in entry.payload_text for n in names)
    # the meeting starts: the parties see the seats but never the names (published with the award by the
    # tendering context) nor phones; the clock job writes the unsealed entry
    clock.set(draw.meeting_start)
    assert not queries.get_draw_for(party, draw.pk).sealed
    shown = queries.get_draw_for(party, draw.pk).seats
    assert shown
    assert all(s.name == "" and s.phone == "" and s.expert_id is None for s in shown)
    assert jobs.unseal_due(now()) == 1
    unsealed = json.loads(witness.entries_about(draw)[-1].payload_text)
    assert digest_json({"draw": draw.ref, "salt": unsealed["salt"], "seats": unsealed["seats"]}) == draw.sealed_digest
    assert draw_domain.commitment_of(unsealed["secret"]) == unsealed["commitment"]
    assert draw_domain.request_digest(unsealed["request"]) == draw.request_digest
    with pytest.raises(Conflict):
        actions.do_unseal_draw(actor=staff, draw_id=draw.pk)


def test_staff_can_unseal_early_and_others_cannot(pool, staff):
    draw = _draw(staff)
    with pytest.raises(PermissionDenied):
        actions.do_unseal_draw(actor=support.staff("310115"), draw_id=draw.pk)
    actions.do_unseal_draw(actor=staff, draw_id=draw.pk)
    assert not queries.is_sealed(Draw.objects.get(pk=draw.pk))


def _link_accounts(pool):
    for i, e in enumerate(pool["building"] + pool["electric"]):
        actions.do_update_expert(
            actor=support.staff(), expert_id=e.pk, changes={"account_id": 7000 + i}, expected_version=None
        )


def _me(seat: Seat):
    return support.expert_actor(seat.expert.account_id)


def test_confirm_and_decline_with_automatic_redraw_from_reserves(pool, staff):
    _link_accounts(pool)
    draw = _draw(staff, lines=[{"specialty": "A080101", "count": 5, "reserve": 1}])
    seats = _members(draw)
    actions.do_answer_seat(actor=_me(seats[0]), seat_id=seats[0].pk, accept=True)
    with pytest.raises(InvalidInput):
        actions.do_answer_seat(actor=_me(seats[1]), seat_id=seats[1].pk, accept=False)
    with pytest.raises(NotFound):
        actions.do_answer_seat(actor=_me(seats[1]), seat_id=seats[2].pk, accept=True)
    actions.do_answer_seat(actor=_me(seats[1]), seat_id=seats[1].pk, accept=False, reason="身体不适")
    reserve = Seat.objects.get(draw=draw, role="reserve")
    assert reserve.status == "notified"
    assert reserve.replaces_id == seats[1].pk
    # the second decline finds no reserve: a supplementary draw from the remaining pool
    actions.do_answer_seat(actor=_me(seats[2]), seat_id=seats[2].pk, accept=False, reason="出差")
    child = draw.supplements.get()
    added = Seat.objects.get(draw=child)
    assert added.status == "notified"
    assert added.replaces_id == seats[2].pk
    assert added.line == 0
    assert added.expert_id not in {s.expert_id for s in draw.seats.all()}
    [root_replay, child_replay] = queries.replay_draw(draw.pk)
    assert root_replay.ok
    assert child_replay.ok
    # a third decline: the last building expert is drawn; a fourth leaves the draw short
    actions.do_answer_seat(actor=_me(seats[3]), seat_id=seats[3].pk, accept=False, reason="回避")
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.CONFIRMING
    actions.do_answer_seat(actor=_me(seats[4]), seat_id=seats[4].pk, accept=False, reason="回避")
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.SHORT
    with pytest.raises(Conflict):
        actions.do_answer_seat(actor=_me(seats[0]), seat_id=seats[0].pk, accept=True)
    # the declined seats' performance says so
    assert Performance.objects.get(seat=seats[1]).attendance == "declined"


def test_unanswered_seats_expire_and_call_reserves(pool, staff, clock):
    draw = _draw(staff, confirm_minutes=30)
    clock.advance(timedelta(minutes=31))
    assert jobs.answers_due(now()) == 5
    assert Seat.objects.filter(draw=draw, status="no_answer").count() == 5
    assert Seat.objects.filter(draw=draw, role="reserve", status="notified").count() == 2
    draw.refresh_from_db()
    assert draw.status in (DrawStatus.CONFIRMING, DrawStatus.SHORT)


def test_check_in_late_and_absence_with_on_site_replacement(pool, staff, clock):
    _link_accounts(pool)
    draw = _draw(staff)
    seats = _members(draw)
    for s in seats:
        actions.do_answer_seat(actor=_me(s), seat_id=s.pk, accept=True)
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.CONFIRMED
    with pytest.raises(Conflict):
        actions.do_check_in(actor=staff, seat_id=seats[0].pk)  # not the meeting day yet
    clock.set(draw.meeting_start - timedelta(minutes=10))
    actions.do_check_in(actor=staff, seat_id=seats[0].pk)
    clock.set(draw.meeting_start + timedelta(minutes=5))
    actions.do_check_in(actor=staff, seat_id=seats[1].pk)
    actions.do_mark_absent(actor=staff, seat_id=seats[2].pk)
    assert Performance.objects.get(seat=seats[0]).attendance == "attended"
    assert Performance.objects.get(seat=seats[1]).attendance == "late"
    assert Performance.objects.get(seat=seats[2]).attendance == "absent"
    called = Seat.objects.get(replaces=seats[2])
    assert called.role == "reserve"
    assert called.status == "notified"
    perf = actions.do_record_performance(
        actor=staff,
        seat_id=seats[0].pk,
        data={"evaluation_minutes": 185, "score_deviation": "0.0420", "complaints": 0, "rating": 5},
        expected_version=1,
    )
    assert perf.version == 2
    summary, rows = queries.list_performance_for(staff, seats[0].expert_id)
    assert summary.attended == 1
    assert summary.mean_rating == 5
    assert rows[0].evaluation_minutes == 185
    with pytest.raises(InvalidInput):
        actions.do_record_performance(actor=staff, seat_id=seats[0].pk, data={"rating": 9}, expected_version=2)


def test_supplementary_draw_by_staff_when_short(pool, staff):
    _link_accounts(pool)
    draw = _draw(
        staff,
        lines=[{"specialty": "A080104", "count": 1, "reserve": 0}, {"specialty": "A080101", "count": 4, "reserve": 0}],
    )
    electric = next(s for s in _members(draw) if s.line == 0)
    actions.do_answer_seat(actor=_me(electric), seat_id=electric.pk, accept=False, reason="出差")
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.CONFIRMING  # the other electrician was drawn
    second = Seat.objects.get(replaces=electric)
    actions.do_answer_seat(actor=_me(second), seat_id=second.pk, accept=False, reason="出差")
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.SHORT
    with pytest.raises(RuleViolation):
        actions.do_supplementary_draw(actor=staff, draw_id=draw.pk)
    enrol(staff, specialties=[{"code": "A080104", "main": True}])
    actions.do_supplementary_draw(actor=staff, draw_id=draw.pk)
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.CONFIRMING


@pytest.mark.parametrize(
    ("lines", "representatives", "problem"),
    [
        ([{"specialty": "A080101", "count": 4, "reserve": 0}], 0, "experts.committee_too_small"),
        ([{"specialty": "A080101", "count": 4, "reserve": 0}], 2, "experts.committee_even"),
        ([{"specialty": "A080101", "count": 3, "reserve": 0}], 2, "experts.committee_expert_share"),
    ],
)
def test_committee_composition_is_checked_before_drawing(pool, staff, lines, representatives, problem):
    before = counts()
    with pytest.raises(RuleViolation) as exc:
        _draw(staff, lines=lines, representatives=representatives)
    assert exc.value.code == "experts.committee_invalid"
    assert problem in [p["code"] for p in exc.value.details["problems"]]
    assert counts() == before


def test_gp_large_budget_needs_seven(pool, staff):
    problems = queries.check_committee_composition("gp", 5, 0, budget_fen=10_000_000 * 100)
    assert [p.code for p in problems] == ["experts.committee_too_small"]
    assert problems[0].rule_id == "gp.committee_min_size_large"
    assert queries.check_committee_composition("gp", 5, 0, budget_fen=9_999_999 * 100) == []
    assert queries.check_committee_composition("works", 4, 1) == []
    with pytest.raises(RuleViolation):
        _draw(staff, kind="gp", budget_fen=20_000_000 * 100)


def test_requests_are_checked(pool, staff):
    for overrides, code in [
        ({"lines": []}, "experts.draw_lines_empty"),
        ({"lines": [{"specialty": "Z01", "count": 5}]}, "experts.specialty_unknown"),
        (
            {"meeting_start": "2020-01-01T09:00:00+08:00", "meeting_end": "2020-01-01T12:00:00+08:00"},
            "experts.meeting_in_past",
        ),
        ({"meeting_start": "2026-04-01 09:00"}, "experts.instant_invalid"),
        ({"avoided_firms": [{"entity_id": 999999, "reason": "1"}]}, "experts.entity_unknown"),
        ({"avoided_firms": [{"name": "某公司", "reason": "1"}]}, "experts.avoided_firm_unidentified"),
        ({"avoided_firms": [{"uscc": "91310000132260947A", "reason": "7"}]}, "experts.avoid_reason_invalid"),
        ({"kind": "land"}, "experts.kind_invalid"),
    ]:
        before = counts()
        with pytest.raises((InvalidInput, NotFound)) as exc:
            _draw(staff, **overrides)
        assert exc.value.code == code, overrides
        assert counts() == before


def test_only_staff_over_the_region_draw(pool):
    for actor in (support.staff("310115"), support.regulator(), support.party(1), support.expert_actor(1)):
        with pytest.raises(PermissionDenied):
            actions.do_request_draw(actor=actor, data=request())


def test_cross_region_hub_is_a_port_not_a_fake(pool, staff):
    with pytest.raises(ServiceUnavailable) as exc:
        _draw(staff, hub="js")
    assert exc.value.code == "experts.remote_pool_unavailable"


def test_cancel_releases_seats_and_tells_the_experts(pool, staff):
    draw = _draw(staff)
    actions.do_cancel_draw(actor=staff, draw_id=draw.pk, reason="项目终止")
    assert set(Seat.objects.filter(draw=draw).values_list("status", flat=True)) == {"released"}
    seats = Seat.objects.filter(draw=draw, role="member").select_related("expert")
    assert sum(1 for s in seats for m in support.inbox_of(s.expert) if "取消" in m.title) == 5
    # released experts are free again
    again = _draw(staff, project_ref="TP-2026-009")
    assert again.pk


def test_my_tasks_show_the_project_only_after_unsealing(pool, staff, clock):
    _link_accounts(pool)
    draw = _draw(staff)
    seat = _members(draw)[0]
    [task] = queries.list_my_tasks(_me(seat))
    assert task.may_answer
    assert task.project == ""
    assert task.venue == "评标室 3"
    view = queries.get_draw_for(_me(seat), draw.pk)
    assert [s.id for s in view.seats] == [seat.pk]
    clock.set(draw.meeting_start)
    assert queries.list_my_tasks(_me(seat))[0].project.startswith("测试道路改造工程施工")


def test_age_limit_of_gp_draws(pool, staff):
    old = enrol(staff, birth=date(1956, 4, 1), kinds=["gp"])  # 69 at enrolment, 70 at the meeting
    assert old.pk
    draw = _draw(staff, kind="gp", lines=[{"specialty": "A080101", "count": 7, "reserve": 2}])
    assert old.pk in {s.expert_id for s in draw.seats.all()}


def test_a_gp_negotiation_panel_may_have_three_members_a_committee_may_not(pool, staff):
    """竞争性谈判/询价小组: at least 3 (gp.negotiation_panel_min); an evaluation committee: at least 5."""
    three = {"lines": [{"specialty": "A080101", "count": 3, "reserve": 1}], "kind": "gp"}
    with pytest.raises(YiwangError) as caught:
        actions.do_request_draw(actor=staff, data=support.request(**three))
    assert "gp.committee_min_size" in json.dumps(caught.value.details, ensure_ascii=False)
    draw = actions.do_request_draw(actor=staff, data=support.request(**three, panel="panel"))
    assert sum(1 for s in draw.seats.all() if s.role == "member") == 3
    with pytest.raises(YiwangError) as caught:
        actions.do_request_draw(actor=staff, data=support.request(**{**three, "kind": "works"}, panel="panel"))
    assert caught.value.code == "experts.panel_kind"
