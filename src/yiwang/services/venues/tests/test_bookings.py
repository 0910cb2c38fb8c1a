"""Booking rules: conflicts with buffers, maintenance windows, approval by another centre, changes, cancellation,
completion, permissions — and nothing left behind when a booking is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.kernel.errors import Conflict, InvalidInput, PermissionDenied, PreconditionFailed
from yiwang.platform import testing
from yiwang.services.venues import actions
from yiwang.services.venues.models import Booking
from yiwang.services.venues.tests import support
from yiwang.services.venues.tests.support import at, book

pytestmark = pytest.mark.django_db


def test_site_staff_book_at_once_with_buffers_from_settings(world):
    base = testing.base()
    b = book(
        world.staff,
        world.evaluation,
        at(9),
        at(11),
        seats=5,
        title="闵行某学校新建工程施工",
        owner_ref="tender.section:12",
    )
    assert b.status == "approved"
    assert (b.buffer_before, b.buffer_after) == (30, 30)  # evaluation rooms: the defaults of the settings
    assert b.blocked_from == at(8, 30)
    assert b.blocked_until == at(11, 30)
    assert len(b.check_in_code) == 6
    [entry] = support.witnessed(base, "venues.book_room")
    assert entry["owner_ref"] == "tender.section:12"
    assert entry["auto_approved"] is True
    [event] = support.events(base, "venues.booking_requested.v1")
    assert event.visibility == "restricted"


def test_overlap_refused_with_the_clashing_times_only(world):
    book(world.staff, world.evaluation, at(9), at(11), owner_ref="tender.section:secret", title="保密项目")
    before = support.counts()
    with pytest.raises(Conflict) as exc:
        book(world.staff, world.evaluation, at(10), at(12))
    assert exc.value.code == "venues.room_conflict"
    assert exc.value.details["clashes"] == [
        {"start": "2026-03-03T01:00:00.000000Z", "end": "2026-03-03T03:00:00.000000Z"}
    ]
    assert "secret" not in str(exc.value.as_dict())
    assert "保密" not in str(exc.value.as_dict())
    assert support.counts() == before


@pytest.mark.parametrize(
    ("start", "end", "clash"),
    [
        (at(11, 30), at(12, 30), True),  # starts when A's clearing ends, but needs its own set-up
        (at(11, 59), at(13), True),
        (at(12), at(13), False),  # A's clearing (to 11:30) + B's set-up (from 11:30): exactly adjacent
        (at(7), at(8), False),  # B blocks 06:30–08:30, A from 08:30
        (at(7), at(8, 1), True),
    ],
)
def test_buffers_on_both_sides(world, start, end, clash):
    book(world.staff, world.evaluation, at(9), at(11))
    if clash:
        with pytest.raises(Conflict):
            book(world.staff, world.evaluation, start, end)
    else:
        assert book(world.staff, world.evaluation, start, end).status == "approved"


def test_other_rooms_are_independent_and_buffers_follow_settings(world, settings):
    settings.YIWANG_VENUES = {"BUFFERS_MINUTES": {"opening_hall": [0, 45]}}
    a = book(world.staff, world.opening, at(9), at(10))
    assert (a.buffer_before, a.buffer_after) == (0, 45)
    with pytest.raises(Conflict):
        book(world.staff, world.opening, at(10, 30), at(11))
    assert book(world.staff, world.opening, at(10, 45), at(11)).status == "approved"
    assert book(world.staff, world.evaluation, at(9), at(10)).status == "approved"  # another room


def test_bad_windows_and_requests(world, clock):
    cases = [
        (dict(start=at(11), end=at(9)), "venues.end_before_start"),
        (dict(start=at(9), end=at(9) + timedelta(hours=25)), "venues.booking_too_long"),
        (dict(start=clock.now() - timedelta(hours=1), end=clock.now() + timedelta(hours=1)), "venues.start_in_past"),
        (dict(start=at(9), end=at(10), seats=8), "venues.seats_exceed"),  # 7 seats
        (dict(start=at(9), end=at(10), purpose="opening"), "venues.purpose_mismatch"),
        (dict(start=at(9), end=at(10), purpose="party"), "venues.invalid"),
        (dict(start=at(9), end=at(10), owner_ref="有 空格"), "venues.invalid"),
    ]
    before = support.counts()
    for kwargs, code in cases:
        with pytest.raises(InvalidInput) as exc:
            book(world.staff, world.evaluation, **kwargs)
        assert exc.value.code == code, kwargs
    assert support.counts() == before


def test_maintenance_blocks_bookings_and_is_refused_over_bookings(world):
    window = actions.do_schedule_maintenance(
        actor=world.staff, room_id=world.opening.pk, start=at(13), end=at(17), reason="音视频系统检修"
    )
    before = support.counts()
    with pytest.raises(Conflict) as exc:
        book(world.staff, world.opening, at(16, 50), at(18))  # its set-up reaches into the window
    assert exc.value.code == "venues.room_in_maintenance"
    assert support.counts() == before
    assert book(world.staff, world.opening, at(17, 15), at(18)).status == "approved"
    with pytest.raises(Conflict) as exc:
        actions.do_schedule_maintenance(
            actor=world.staff, room_id=world.opening.pk, start=at(17), end=at(19), reason="保洁"
        )
    assert exc.value.code == "venues.maintenance_conflict"
    actions.do_cancel_maintenance(actor=world.staff, maintenance_id=window.pk, reason="检修改期")
    assert book(world.staff, world.opening, at(14), at(15)).status == "approved"
    with pytest.raises(PermissionDenied):
        actions.do_schedule_maintenance(
            actor=world.pudong_staff, room_id=world.opening.pk, start=at(20), end=at(21), reason="x"
        )


def test_another_centres_room_needs_its_approval(world):
    base = testing.base()
    b = book(world.pudong_staff, world.evaluation, at(9), at(11), owner_ref="tender.section:77")
    assert b.status == "pending"
    assert b.apply_type == "venue"
    with pytest.raises(Conflict):  # a pending application already holds the room
        book(world.staff, world.evaluation, at(10), at(12))
    with pytest.raises(PermissionDenied):  # the applicant's own centre cannot approve
        actions.do_approve_booking(actor=world.pudong_staff, booking_id=b.pk)
    approved = actions.do_approve_booking(actor=world.staff, booking_id=b.pk, note="同意")
    assert approved.status == "approved"
    assert approved.decided_by_ref == world.staff.ref
    with pytest.raises(Conflict) as exc:
        actions.do_approve_booking(actor=world.staff, booking_id=b.pk)
    assert exc.value.code == "venues.wrong_status"
    assert [e["status"] for e in support.witnessed(base, "venues.approve_booking")] == ["approved"]
    assert len(support.events(base, "venues.booking_approved.v1")) == 1


def test_rejection_frees_the_room(world):
    b = book(support.agency(), world.opening, at(9), at(10))
    assert b.status == "pending"
    with pytest.raises(InvalidInput):
        actions.do_reject_booking(actor=world.staff, booking_id=b.pk, reason="  ")
    rejected = actions.do_reject_booking(actor=world.staff, booking_id=b.pk, reason="当日场地已安排其他项目")
    assert rejected.status == "rejected"
    assert book(world.staff, world.opening, at(9), at(10)).status == "approved"


def test_changes_check_again_and_go_back_for_approval(world):
    mine = book(world.pudong_staff, world.evaluation, at(9), at(11))
    actions.do_approve_booking(actor=world.staff, booking_id=mine.pk)
    other = book(world.staff, world.evaluation, at(14), at(16))
    with pytest.raises(Conflict):
        actions.do_change_booking(
            actor=world.pudong_staff, booking_id=mine.pk, changes={"end": at(14)}, reason="评标时间延长"
        )
    with pytest.raises(InvalidInput):
        actions.do_change_booking(actor=world.pudong_staff, booking_id=mine.pk, changes={"end": at(12)}, reason="")
    with pytest.raises(PreconditionFailed):
        actions.do_change_booking(
            actor=world.pudong_staff, booking_id=mine.pk, changes={"end": at(12)}, reason="延长", expected_version=99
        )
    changed = actions.do_change_booking(
        actor=world.pudong_staff,
        booking_id=mine.pk,
        changes={"end": at(12, 30)},
        reason="评标时间延长",
        expected_version=2,
    )
    assert changed.status == "pending"
    assert changed.apply_type == "change"
    assert changed.blocked_until == at(13)
    # a change by the site's own staff keeps the status
    moved = actions.do_change_booking(
        actor=world.staff, booking_id=other.pk, changes={"start": at(14, 30)}, reason="调整"
    )
    assert moved.status == "approved"
    assert moved.blocked_from == at(14)
    with pytest.raises(PermissionDenied):
        actions.do_change_booking(actor=support.agency(), booking_id=other.pk, changes={"title": "x"}, reason="x")


def test_cancellation_frees_the_room_and_needs_the_requester_or_site_staff(world):
    b = book(world.pudong_staff, world.evaluation, at(9), at(11))
    with pytest.raises(PermissionDenied):
        actions.do_cancel_booking(actor=support.agency(), booking_id=b.pk, reason="x")
    cancelled = actions.do_cancel_booking(actor=world.pudong_staff, booking_id=b.pk, reason="项目暂停")
    assert cancelled.status == "cancelled"
    assert cancelled.apply_type == "cancel"
    with pytest.raises(Conflict):
        actions.do_cancel_booking(actor=world.staff, booking_id=b.pk, reason="again")
    assert book(world.staff, world.evaluation, at(9), at(11)).status == "approved"


def test_completion_after_the_end_records_no_shows(world, clock):
    b = book(world.staff, world.evaluation, at(9), at(10), seats=2)
    actions.do_seat_booking(
        actor=world.staff, booking_id=b.pk, committee=support.committee(("x:01", "310112"), ("x:02", "310112"))
    )
    clock.set(at(9, 5))
    actions.do_check_in_expert(actor=world.staff, booking_id=b.pk, expert_ref="x:01")
    with pytest.raises(Conflict) as exc:
        actions.do_complete_booking(actor=world.staff, booking_id=b.pk)
    assert exc.value.code == "venues.not_finished"
    clock.set(at(10, 1))
    base = testing.base()
    done = actions.do_complete_booking(actor=world.staff, booking_id=b.pk)
    assert done.status == "done"
    [entry] = support.witnessed(base, "venues.complete_booking")
    assert entry["no_show"] == ["x:02"]


def test_who_may_book_and_manage(world):
    for actor in (support.public(), support.expert_actor(5), support.regulator()):
        with pytest.raises(PermissionDenied):
            book(actor, world.opening, at(9), at(10))
    from yiwang.kernel.actors import Actor

    with pytest.raises(PermissionDenied) as exc:
        book(Actor.anonymous(), world.opening, at(9), at(10))
    assert exc.value.code == "venues.sign_in_required"
    with pytest.raises(PermissionDenied):
        actions.do_create_room(
            actor=world.pudong_staff, site_id=world.site.pk, data={"code": "X", "kind": "opening_hall", "capacity": 3}
        )
    with pytest.raises(PermissionDenied):
        actions.do_add_seats(actor=world.pudong_staff, room_id=world.evaluation.pk, seats=support.seats("Z", 1))
    assert Booking.objects.count() == 0
