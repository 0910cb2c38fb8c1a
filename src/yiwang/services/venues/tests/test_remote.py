"""Remote cross-region evaluation (远程异地评标): a main site and secondary sites, each approved by its own
centre, and the committee seated by home region."""

from __future__ import annotations

import pytest

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.platform import testing
from yiwang.services.venues import actions, queries
from yiwang.services.venues.models import Assignment, Booking
from yiwang.services.venues.tests import support
from yiwang.services.venues.tests.support import at, book

pytestmark = pytest.mark.django_db


def _session(world, *, suzhou_seats=4, pudong_seats=3, **kw):
    return actions.do_create_remote_session(
        actor=world.staff,
        owner_ref="tender.section:88",
        title="沪苏跨区域远程异地评标项目",
        start=kw.get("start", at(9)),
        end=kw.get("end", at(12)),
        main={"room_id": world.evaluation.pk, "seats": kw.get("main_seats", 5)},
        secondaries=[
            {"room_id": world.suzhou_remote.pk, "seats": suzhou_seats},
            {"room_id": world.pudong_eval.pk, "seats": pudong_seats},
        ],
    )


def _bookings(session):
    main = Booking.objects.get(session=session, session_role="main")
    secondary = {b.room_id: b for b in Booking.objects.filter(session=session, session_role="secondary")}
    return main, secondary


def test_main_site_at_once_secondaries_wait_for_their_centre(world):
    base = testing.base()
    session = _session(world)
    main, secondary = _bookings(session)
    assert main.status == "approved"
    assert {b.status for b in secondary.values()} == {"pending"}
    assert all(b.start == at(9) and b.end == at(12) for b in [main, *secondary.values()])
    [entry] = support.witnessed(base, "venues.create_remote_session", "venues.remotesession")
    assert entry["main_booking"] == main.pk
    assert sorted(entry["secondary_bookings"]) == sorted(b.pk for b in secondary.values())
    with pytest.raises(PermissionDenied):  # Pudong's staff cannot approve Suzhou's seats
        actions.do_approve_booking(actor=world.pudong_staff, booking_id=secondary[world.suzhou_remote.pk].pk)
    with pytest.raises(Conflict) as exc:
        actions.do_seat_session(
            actor=world.staff, session_id=session.pk, committee=support.committee(("e:01", "310112"))
        )
    assert exc.value.code == "venues.session_pending"


def test_experts_sit_at_their_regions_site_or_travel_to_the_main_site(world):
    session = _session(world)
    main, secondary = _bookings(session)
    actions.do_approve_booking(actor=world.suzhou_staff, booking_id=secondary[world.suzhou_remote.pk].pk)
    actions.do_reject_booking(
        actor=world.pudong_staff, booking_id=secondary[world.pudong_eval.pk].pk, reason="席位已满"
    )
    committee = support.committee(
        ("e:01", "310112"),  # 闵行: main site
        ("e:02", "320506"),  # 苏州吴中: Suzhou site
        ("e:03", "320500"),  # 苏州: Suzhou site
        ("e:04", "310115"),  # 浦东: its site refused → main site
        ("e:05", "330100"),  # 杭州: no site → main site
    )
    base = testing.base()
    made = actions.do_seat_session(actor=world.staff, session_id=session.pk, committee=committee)
    where = {a.expert_ref: (a.booking_id, a.seat.number) for a in made}
    suzhou = secondary[world.suzhou_remote.pk].pk
    assert where == {
        "e:01": (main.pk, "E01"),
        "e:04": (main.pk, "E02"),
        "e:05": (main.pk, "E03"),
        "e:02": (suzhou, "S01"),
        "e:03": (suzhou, "S02"),
    }
    [entry] = support.witnessed(base, "venues.seat_session", "venues.remotesession")
    assert len(entry["seating"]) == 5
    assert "专家" not in str(entry)
    view = queries.get_session_for(world.staff, session.pk)
    assert view.ready
    assert view.experts == 5
    main_map = next(s for s in view.sites if s.role == "main")
    assert [e.seat for e in main_map.entries] == ["E01", "E02", "E03"]
    assert main_map.free_seats == [
        "E04",
        "E05",
        "E06",
        "E07",
    ]
    assert main_map.entries[0].name == "专家01"
    # Suzhou's staff sees its own site's names, Pudong's (refused) staff sees nothing of the session
    assert queries.get_session_for(world.suzhou_staff, session.pk).experts == 5
    with pytest.raises(NotFound):
        queries.get_session_for(support.staff("310104", 9), session.pk)


def test_seat_counts_are_checked_and_a_refused_plan_seats_nobody(world):
    session = _session(world, suzhou_seats=2)
    _main, secondary = _bookings(session)
    for b in secondary.values():
        actions.do_approve_booking(
            actor=world.suzhou_staff if b.room_id == world.suzhou_remote.pk else world.pudong_staff, booking_id=b.pk
        )
    before = support.counts()
    with pytest.raises(Conflict) as exc:
        actions.do_seat_session(
            actor=world.staff,
            session_id=session.pk,
            committee=support.committee(("e:1", "320500"), ("e:2", "320500"), ("e:3", "320501")),
        )
    assert exc.value.code == "venues.not_enough_seats"
    assert exc.value.details["sites"] == [
        {"booking_id": secondary[world.suzhou_remote.pk].pk, "experts": 3, "seats": 2}
    ]
    assert support.counts() == before
    with pytest.raises(InvalidInput) as exc:
        actions.do_seat_session(
            actor=world.staff, session_id=session.pk, committee=support.committee(("e:1", "310112"), ("e:1", "320500"))
        )
    assert exc.value.code == "venues.duplicate_expert"
    with pytest.raises(InvalidInput):
        actions.do_seat_session(actor=world.staff, session_id=session.pk, committee=[])
    with pytest.raises(PermissionDenied):
        actions.do_seat_session(
            actor=world.suzhou_staff, session_id=session.pk, committee=support.committee(("e:1", "310112"))
        )


def test_seating_again_replaces_the_plan_until_someone_checks_in(world, clock):
    b = book(world.staff, world.evaluation, at(9), at(12), seats=3)
    actions.do_seat_booking(
        actor=world.staff, booking_id=b.pk, committee=support.committee(("a", "310112"), ("b", "310112"))
    )
    actions.do_seat_booking(
        actor=world.staff, booking_id=b.pk, committee=support.committee(("c", "310112"), ("a", "310112"))
    )
    assert list(
        Assignment.objects.filter(booking=b).order_by("seat__number").values_list("expert_ref", "seat__number")
    ) == [
        ("c", "E01"),
        ("a", "E02"),
    ]
    clock.set(at(8, 30))
    actions.do_check_in_expert(actor=world.staff, booking_id=b.pk, expert_ref="a")
    with pytest.raises(Conflict) as exc:
        actions.do_seat_booking(actor=world.staff, booking_id=b.pk, committee=support.committee(("d", "310112")))
    assert exc.value.code == "venues.seating_locked"


def test_a_conflict_at_any_site_books_nothing(world):
    book(world.suzhou_staff, world.suzhou_remote, at(11, 30), at(13))
    before = support.counts()
    with pytest.raises(Conflict) as exc:
        _session(world)
    assert exc.value.code == "venues.room_conflict"
    assert support.counts() == before


def test_secondaries_are_other_centres_and_the_organiser_is_main_site_staff(world):
    with pytest.raises(InvalidInput) as exc:
        actions.do_create_remote_session(
            actor=world.staff,
            owner_ref="tender.section:1",
            start=at(9),
            end=at(10),
            main={"room_id": world.evaluation.pk, "seats": 3},
            secondaries=[{"room_id": world.negotiation.pk, "seats": 2}],
        )
    assert exc.value.code == "venues.secondary_not_elsewhere"
    with pytest.raises(PermissionDenied):
        actions.do_create_remote_session(
            actor=world.pudong_staff,
            owner_ref="tender.section:1",
            start=at(9),
            end=at(10),
            main={"room_id": world.evaluation.pk, "seats": 3},
            secondaries=[{"room_id": world.suzhou_remote.pk, "seats": 2}],
        )
    assert Booking.objects.count() == 0


def test_cancelling_the_main_booking_cancels_the_session_and_sites_can_be_added(world):
    session = _session(world)
    main, secondary = _bookings(session)
    actions.do_reject_booking(actor=world.suzhou_staff, booking_id=secondary[world.suzhou_remote.pk].pk, reason="检修")
    with pytest.raises(Conflict) as exc:
        actions.do_change_booking(actor=world.staff, booking_id=main.pk, changes={"seats": 2}, reason="x")
    assert exc.value.code == "venues.session_booking"
    added = actions.do_add_session_site(
        actor=world.staff, session_id=session.pk, room_id=world.suzhou_remote.pk, seats=2
    )
    assert added.status == "pending"
    assert added.session_role == "secondary"
    actions.do_cancel_booking(actor=world.staff, booking_id=main.pk, reason="项目终止")
    statuses = dict(Booking.objects.filter(session=session).values_list("pk", "status"))
    assert statuses[main.pk] == "cancelled"
    assert statuses[added.pk] == "cancelled"
    assert statuses[secondary[world.suzhou_remote.pk].pk] == "rejected"
    assert queries.get_session_for(world.staff, session.pk).cancelled
