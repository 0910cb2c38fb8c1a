"""Check-in (by staff or by the expert with the desk's code), late and not-arrived flags, the attendance the
evaluation context reads, and the access log of isolated evaluation areas."""

from __future__ import annotations

import pytest

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.platform import testing
from yiwang.services.venues import actions, jobs, queries
from yiwang.services.venues.tests import support
from yiwang.services.venues.tests.support import at, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def seated(world):
    b = book(world.staff, world.evaluation, at(9), at(12), seats=3)
    committee = support.committee(
        ("experts.seat:1", "310112"), ("experts.seat:2", "310104"), ("experts.seat:3", "310112")
    )
    committee[0]["account_id"] = 501
    actions.do_seat_booking(actor=world.staff, booking_id=b.pk, committee=committee)
    return b


def test_staff_check_in_on_time_and_late(world, seated, clock):
    clock.set(at(6, 59))
    with pytest.raises(Conflict) as exc:
        actions.do_check_in_expert(actor=world.staff, booking_id=seated.pk, expert_ref="experts.seat:1")
    assert exc.value.code == "venues.check_in_not_open"  # opens two hours before the start
    clock.set(at(8, 40))
    base = testing.base()
    a = actions.do_check_in_expert(
        actor=world.staff, booking_id=seated.pk, expert_ref="experts.seat:2", method="staff_manual"
    )
    assert not a.late
    assert a.attendance == "present"
    assert a.check_in_method == "staff_manual"
    [event] = support.events(base, "venues.expert_checked_in.v1")
    assert event.data["expert_ref"] == "experts.seat:2"
    assert event.data["owner_ref"] == "tender.section:1"
    assert event.visibility == "restricted"
    with pytest.raises(Conflict) as exc:
        actions.do_check_in_expert(actor=world.staff, booking_id=seated.pk, expert_ref="experts.seat:2")
    assert exc.value.code == "venues.already_checked_in"
    clock.set(at(9, 1))
    late = actions.do_check_in_expert(actor=world.staff, booking_id=seated.pk, expert_ref="experts.seat:3")
    assert late.late
    assert late.attendance == "late"
    [entry] = [e for e in support.witnessed(base, "venues.check_in_expert") if e["expert_ref"] == "experts.seat:3"]
    assert entry["late"] is True
    assert entry["seat"] == "E03"
    with pytest.raises(NotFound) as exc:
        actions.do_check_in_expert(actor=world.staff, booking_id=seated.pk, expert_ref="experts.seat:99")
    assert exc.value.code == "venues.not_expected"
    with pytest.raises(PermissionDenied):
        actions.do_check_in_expert(actor=world.pudong_staff, booking_id=seated.pk, expert_ref="experts.seat:1")
    with pytest.raises(InvalidInput):
        actions.do_check_in_expert(
            actor=world.staff, booking_id=seated.pk, expert_ref="experts.seat:1", method="telepathy"
        )


def test_the_expert_confirms_with_the_desk_code(world, seated, clock):
    clock.set(at(8, 50))
    me = support.expert_actor(501)
    before = support.counts()
    with pytest.raises(PermissionDenied) as exc:
        actions.do_check_in_expert(
            actor=me, booking_id=seated.pk, expert_ref="experts.seat:1", method="self_confirm", code="000000x"
        )
    assert exc.value.code == "venues.check_in_code_wrong"
    with pytest.raises(PermissionDenied) as exc:  # somebody else's place
        actions.do_check_in_expert(
            actor=me,
            booking_id=seated.pk,
            expert_ref="experts.seat:2",
            method="self_confirm",
            code=seated.check_in_code,
        )
    assert exc.value.code == "venues.forbidden"
    with pytest.raises(PermissionDenied):  # staff's methods are not for experts
        actions.do_check_in_expert(actor=me, booking_id=seated.pk, expert_ref="experts.seat:1")
    assert support.counts() == before
    assert [c.expert_ref for c in queries.my_check_ins(me)] == ["experts.seat:1"]
    base = testing.base()
    a = actions.do_check_in_expert(
        actor=me, booking_id=seated.pk, expert_ref="experts.seat:1", method="self_confirm", code=seated.check_in_code
    )
    [entry] = [e for e in base.entries() if e.fields.action == "venues.check_in_expert"]
    assert entry.fields.actor_ref == me.ref
    assert entry.fields.actor_label == "评标评审专家"  # not the expert's name
    assert a.check_in_method == "self_confirm"
    assert a.checked_in_by_ref == me.ref


def test_not_arrived_flags_and_attendance_for_the_evaluation_context(world, seated, clock):
    clock.set(at(8, 55))
    actions.do_check_in_expert(actor=world.staff, booking_id=seated.pk, expert_ref="experts.seat:1")
    clock.set(at(9, 10))
    actions.do_check_in_expert(actor=world.staff, booking_id=seated.pk, expert_ref="experts.seat:2")
    assert jobs.flag_no_shows(clock.now()) == 0  # not due before start + 30 minutes
    with pytest.raises(Conflict) as exc:
        actions.do_flag_no_shows(booking_id=seated.pk)
    assert exc.value.code == "venues.no_show_not_due"
    clock.set(at(9, 30))
    base = testing.base()
    assert jobs.flag_no_shows(clock.now()) == 1
    assert jobs.flag_no_shows(clock.now()) == 0  # idempotent
    assert support.witnessed(base, "venues.flag_no_shows") == [{"no_show": ["experts.seat:3"]}]
    rows = queries.attendance_of(seated.pk)
    assert [(r.expert_ref, r.seat, r.status) for r in rows] == [
        ("experts.seat:1", "E01", "present"),
        ("experts.seat:2", "E02", "late"),
        ("experts.seat:3", "E03", "no_show"),
    ]
    expert_ref, checked_in_at, seat, status = rows[0]  # a plain tuple for the evaluation context
    assert (expert_ref, checked_in_at, seat, status) == ("experts.seat:1", at(8, 55), "E01", "present")
    assert rows[2].checked_in_at is None
    clock.set(at(9, 40))  # arrives after all: late, and the earlier flag stays in the log
    a = actions.do_check_in_expert(actor=world.staff, booking_id=seated.pk, expert_ref="experts.seat:3")
    assert a.attendance == "late"
    assert a.no_show_at == at(9, 30)
    assert queries.attendance_of(seated.pk)[2].status == "late"


def test_access_log_of_an_isolated_area(world, seated, clock):
    clock.set(at(8, 35))
    record = actions.do_record_access
    with pytest.raises(InvalidInput) as exc:
        record(
            actor=world.staff,
            booking_id=seated.pk,
            person_ref="experts.seat:1",
            person_kind="expert",
            direction="enter",
        )
    assert exc.value.code == "venues.devices_not_deposited"
    with pytest.raises(NotFound) as exc:
        record(
            actor=world.staff,
            booking_id=seated.pk,
            person_ref="experts.seat:9",
            person_kind="expert",
            direction="enter",
            devices_deposited=True,
        )
    assert exc.value.code == "venues.not_expected"
    with pytest.raises(Conflict) as exc:
        record(actor=world.staff, booking_id=seated.pk, person_ref="staff:7", person_kind="staff", direction="leave")
    assert exc.value.code == "venues.not_inside"
    base = testing.base()
    for ref, kind in (("experts.seat:1", "expert"), ("account:200", "staff"), ("reg:1", "supervisor")):
        record(
            actor=world.staff,
            booking_id=seated.pk,
            person_ref=ref,
            person_kind=kind,
            direction="enter",
            devices_deposited=True,
            name=f"人员{ref[-1]}",
        )
    with pytest.raises(Conflict) as exc:
        record(
            actor=world.staff,
            booking_id=seated.pk,
            person_ref="reg:1",
            person_kind="supervisor",
            direction="enter",
            devices_deposited=True,
        )
    assert exc.value.code == "venues.already_inside"
    clock.set(at(11, 50))
    record(actor=world.staff, booking_id=seated.pk, person_ref="account:200", person_kind="staff", direction="leave")
    assert len(support.witnessed(base, "venues.record_access")) == 4
    log = queries.access_log_for(world.staff, seated.pk)
    assert [o.person_ref for o in log.inside] == ["experts.seat:1", "reg:1"]
    assert not log.flagged
    clock.set(at(12, 5))
    log = queries.access_log_for(world.staff, seated.pk)
    assert log.ended
    assert [o.person_ref for o in log.flagged] == ["experts.seat:1", "reg:1"]
    base = testing.base()
    actions.do_complete_booking(actor=world.staff, booking_id=seated.pk)
    [entry] = support.witnessed(base, "venues.complete_booking")
    assert entry["still_inside"] == ["experts.seat:1", "reg:1"]
    with pytest.raises(NotFound):  # the access log is for overseers of the site
        queries.access_log_for(world.pudong_staff, seated.pk)
    clock.set(at(13))  # leaving is recorded whenever it happens; entering only within the booking
    record(actor=world.staff, booking_id=seated.pk, person_ref="reg:1", person_kind="supervisor", direction="leave")


def test_entry_only_within_the_booking_and_only_in_isolated_rooms(world, clock):
    b = book(world.staff, world.evaluation, at(14), at(15))
    clock.set(at(13, 29))
    with pytest.raises(Conflict) as exc:
        actions.do_record_access(
            actor=world.staff,
            booking_id=b.pk,
            person_ref="s:1",
            person_kind="staff",
            direction="enter",
            devices_deposited=True,
        )
    assert exc.value.code == "venues.access_outside_booking"
    opening = book(world.staff, world.opening, at(14), at(15))
    with pytest.raises(Conflict) as exc:
        actions.do_record_access(
            actor=world.staff,
            booking_id=opening.pk,
            person_ref="s:1",
            person_kind="staff",
            direction="enter",
            devices_deposited=True,
        )
    assert exc.value.code == "venues.room_not_isolated"
    clock.set(at(13, 30))
    actions.do_record_access(
        actor=world.staff,
        booking_id=b.pk,
        person_ref="s:1",
        person_kind="staff",
        direction="enter",
        devices_deposited=True,
    )
    assert [o.person_ref for o in queries.access_log_for(world.staff, b.pk).inside] == ["s:1"]
