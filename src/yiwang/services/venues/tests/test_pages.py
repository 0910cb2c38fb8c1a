"""The venues pages render for the right people, show refusals next to their fields, and drive the actions."""

from __future__ import annotations

import pytest

from yiwang.services.venues import actions
from yiwang.services.venues.models import AccessEvent, Assignment, Booking, Seat
from yiwang.services.venues.tests import support
from yiwang.services.venues.tests.support import at, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def browse(test_actors, client, clock):
    def as_actor(actor=None):
        headers = {}
        if actor is not None:
            key = f"page-{actor.ref}-{len(test_actors)}"
            test_actors[key] = actor
            headers["X-Test-Actor"] = key

        class Browser:
            def get(self, url, data=None, **extra):
                return client.get(url, data or {}, headers={**headers, **extra.pop("headers", {})}, **extra)

            def post(self, url, data=None, **extra):
                return client.post(url, data or {}, headers={**headers, **extra.pop("headers", {})}, **extra)

        return Browser()

    return as_actor


def html(response) -> str:
    return response.content.decode()


def local(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_public_pages(world, browse, clock):
    book(
        world.staff,
        world.opening,
        at(9),
        at(10),
        purpose="opening",
        public_title="闵行区某道路改建工程",
        title="内部名称",
    )
    page = html(browse().get("/venues/today/", {"date": "2026-03-03"}))
    assert "闵行区某道路改建工程" in page
    assert "内部名称" not in page
    assert "09:00–10:00" in page
    directory = browse().get("/venues/")
    assert directory.status_code == 200
    assert "评标室1" in html(directory)
    assert "隔离区" in html(directory)
    room = html(browse().get(f"/venues/rooms/{world.evaluation.pk}/"))
    assert "E07" in room
    assert "cam-E01" in room
    assert browse().get("/venues/calendar/").status_code == 302  # sign in first
    assert browse().get("/venues/rooms/99999/").status_code == 404


def test_staff_manage_sites_rooms_seats_and_maintenance(world, browse):
    staff = browse(world.staff)
    assert browse(support.agency()).get("/venues/sites/new/").status_code == 403
    r = staff.post(
        "/venues/sites/new/",
        {"organisation_id": world.minhang.pk, "name": "闵行第二交易场所", "region_code": "310112", "address": "莘庄"},
    )
    assert r.status_code == 302
    bad = staff.post(
        "/venues/sites/new/",
        {"organisation_id": world.minhang.pk, "name": "越界场所", "region_code": "310115", "address": "浦东"},
    )
    assert bad.status_code == 422
    assert "venues.region_outside_centre" in html(bad)
    created = staff.post(
        f"/venues/sites/{world.site.pk}/",
        {"code": "P2", "name": "评标室2", "kind": "evaluation_room", "capacity": 5, "isolated": "on"},
    )
    assert created.status_code == 302
    room_id = int(created["Location"].rstrip("/").split("/")[-1])
    staff.post(f"/venues/rooms/{room_id}/seats/", {"seats-lines": "F01,cam-1\nF02，cam-2"})
    assert list(Seat.objects.filter(room_id=room_id).values_list("number", "camera_id")) == [
        ("F01", "cam-1"),
        ("F02", "cam-2"),
    ]
    dup = staff.post(f"/venues/rooms/{room_id}/seats/", {"seats-lines": "F01"}, follow=True)
    assert "venues.seat_exists" in html(dup)
    staff.post(
        f"/venues/rooms/{room_id}/maintenance/",
        {"m-start": local(at(8)), "m-end": local(at(18)), "m-reason": "设备升级"},
    )
    assert "设备升级" in html(staff.get(f"/venues/rooms/{room_id}/"))
    assert (
        browse(world.pudong_staff)
        .post(f"/venues/rooms/{room_id}/seats/", {"seats-lines": "F03"}, follow=True)
        .status_code
        == 200
    )
    assert not Seat.objects.filter(room_id=room_id, number="F03").exists()


def test_booking_form_gives_conflict_feedback_and_books(world, browse):
    book(world.staff, world.evaluation, at(9), at(11))
    staff = browse(world.staff)
    assert staff.get("/venues/bookings/new/").status_code == 200
    form = {
        "room_id": world.evaluation.pk,
        "purpose": "evaluation",
        "start": local(at(11)),
        "end": local(at(12)),
        "seats": 3,
        "owner_ref": "tender.section:5",
        "title": "评标",
    }
    partial = {k: v for k, v in form.items() if k not in ("owner_ref", "title")}  # checked before it is complete
    check = staff.post("/venues/bookings/check/", partial, headers={"HX-Request": "true"})
    assert "<html" not in html(check)
    assert 'data-testid="conflict"' in html(check)
    assert "已有预约 2026-03-03 09:00–11:00" in html(check)
    refused = staff.post("/venues/bookings/new/", form)
    assert refused.status_code == 422
    assert "venues.room_conflict" in html(refused)
    free = {**form, "start": local(at(12)), "end": local(at(13))}
    assert 'data-testid="free"' in html(staff.post("/venues/bookings/check/", free))
    ok = staff.post("/venues/bookings/new/", free)
    assert ok.status_code == 302
    assert Booking.objects.count() == 2
    calendar = html(staff.get("/venues/calendar/", {"date": "2026-03-03"}))
    assert "12:00–13:00" in calendar
    assert "09:00–11:00" in calendar
    week = html(browse(world.suzhou_staff).get("/venues/calendar/", {"date": "2026-03-02", "view": "week"}))
    assert "已预约" in week
    assert "tender.section" not in week  # others see only that the time is taken


def test_approval_queue_and_booking_page(world, browse):
    b = book(world.pudong_staff, world.evaluation, at(9), at(11), title="浦东某项目")
    queue = html(browse(world.staff).get("/venues/approvals/"))
    assert "浦东某项目" in queue
    assert "浦东某项目" not in html(browse(world.suzhou_staff).get("/venues/approvals/"))
    page = html(browse(world.pudong_staff).get(f"/venues/bookings/{b.pk}/"))
    assert "待审批" in page
    assert b.check_in_code not in page  # the code is for the site's staff
    browse(world.staff).post(f"/venues/bookings/{b.pk}/approve/", {"note": "同意"})
    b.refresh_from_db()
    assert b.status == "approved"
    assert b.check_in_code in html(browse(world.staff).get(f"/venues/bookings/{b.pk}/"))
    assert browse(world.suzhou_staff).get(f"/venues/bookings/{b.pk}/").status_code == 404
    browse(world.pudong_staff).post(f"/venues/bookings/{b.pk}/cancel/", {"reason": "项目延期"})
    b.refresh_from_db()
    assert b.status == "cancelled"


def test_remote_session_builder_seat_map_desk_and_access(world, browse, clock):
    staff = browse(world.staff)
    assert staff.get("/venues/sessions/new/").status_code == 200
    r = staff.post(
        "/venues/sessions/new/",
        {
            "owner_ref": "tender.section:88",
            "title": "沪苏远程异地评标",
            "start": local(at(9)),
            "end": local(at(12)),
            "main_room": world.evaluation.pk,
            "main_seats": 3,
            "secondary_rooms": [world.suzhou_remote.pk],
            "secondary_seats": 2,
        },
    )
    assert r.status_code == 302, html(r)
    session_id = int(r["Location"].rstrip("/").split("/")[-1])
    page = html(staff.get(f"/venues/sessions/{session_id}/"))
    assert "副场待审批" in page
    assert "沪苏远程异地评标" in html(staff.get("/venues/sessions/new/"))  # the recent sessions
    secondary = Booking.objects.get(session_id=session_id, session_role="secondary")
    actions.do_approve_booking(actor=world.suzhou_staff, booking_id=secondary.pk)
    staff.post(
        f"/venues/sessions/{session_id}/seating/",
        {"k-lines": "e:1,310112,王工\ne:2,320506,李工,77\ne:3,330100,赵工"},
    )
    page = html(staff.get(f"/venues/sessions/{session_id}/"))
    assert "各场已就绪" in page
    assert "王工" in page
    assert "李工" in page
    assert Assignment.objects.get(expert_ref="e:2").booking_id == secondary.pk
    main = Booking.objects.get(session_id=session_id, session_role="main")
    clock.set(at(8, 40))
    desk = staff.get(f"/venues/bookings/{main.pk}/desk/")
    assert main.check_in_code in html(desk)
    search = staff.get(f"/venues/bookings/{main.pk}/desk/", {"q": "赵"}, headers={"HX-Request": "true"})
    assert "赵工" in html(search)
    assert "王工" not in html(search)
    staff.post(f"/venues/bookings/{main.pk}/desk/", {"expert_ref": "e:1", "method": "staff_scan"})
    assert Assignment.objects.get(expert_ref="e:1").checked_in_at is not None
    assert browse(world.suzhou_staff).get(f"/venues/bookings/{main.pk}/desk/").status_code == 404
    access = staff.post(
        f"/venues/bookings/{main.pk}/access/",
        {"person_ref": "e:1", "name": "王工", "person_kind": "expert", "direction": "enter", "method": "manual"},
    )
    assert access.status_code == 422
    assert "venues.devices_not_deposited" in html(access)
    staff.post(
        f"/venues/bookings/{main.pk}/access/",
        {
            "person_ref": "e:1",
            "name": "王工",
            "person_kind": "expert",
            "direction": "enter",
            "method": "face",
            "devices_deposited": "on",
        },
    )
    assert AccessEvent.objects.count() == 1
    clock.set(at(12, 1))
    assert 'data-testid="flagged"' in html(staff.get(f"/venues/bookings/{main.pk}/access/"))


def test_expert_confirms_their_own_check_in(world, browse, clock):
    b = book(world.staff, world.evaluation, at(9), at(12), seats=1)
    actions.do_seat_booking(
        actor=world.staff,
        booking_id=b.pk,
        committee=[{"expert_ref": "e:7", "home_region": "310112", "account_id": 777}],
    )
    clock.set(at(8, 50))
    me = browse(support.expert_actor(777))
    page = html(me.get("/venues/check-in/"))
    assert "评标室1" in page
    wrong = me.post("/venues/check-in/", {"booking_id": b.pk, "expert_ref": "e:7", "code": "xxxxxx"}, follow=True)
    assert "venues.check_in_code_wrong" in html(wrong)
    me.post("/venues/check-in/", {"booking_id": b.pk, "expert_ref": "e:7", "code": b.check_in_code})
    assert Assignment.objects.get(expert_ref="e:7").check_in_method == "self_confirm"
    assert "已于 08:50 签到" in html(me.get("/venues/check-in/"))
    assert browse(support.expert_actor(778)).get("/venues/check-in/").status_code == 200
