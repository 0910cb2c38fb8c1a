"""The venues API: codes and bodies of refusals, ETags and If-Match, idempotent creation, who may call what."""

from __future__ import annotations

import pytest

from yiwang.services.venues.models import Booking
from yiwang.services.venues.tests import support
from yiwang.services.venues.tests.support import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_(test_actors, api):
    def client(actor=None):
        if actor is None:
            return api.with_token(None)
        token = f"t-{actor.ref}-{len(test_actors)}"
        test_actors[token] = actor
        return api.with_token(token)

    return client


def _body(room, **kw):
    return {
        "room_id": room.pk,
        "owner_ref": "tender.section:12",
        "purpose": "evaluation",
        "start": at(9).isoformat(),
        "end": at(11).isoformat(),
        "seats": 3,
        "title": "某工程施工评标",
        **kw,
    }


def test_directory_is_public(world, as_):
    r = as_().get("/venues/sites")
    assert r.status_code == 200
    sites = {s["name"]: s for s in r.json()}
    evaluation = next(x for x in sites["闵行交易大厅"]["rooms"] if x["code"] == "P1")
    assert evaluation["isolated"] is True
    assert evaluation["seat_count"] == 7
    assert evaluation["buffer_before"] == 30
    room = as_().get(f"/venues/rooms/{world.suzhou_remote.pk}")
    assert room.headers["ETag"] == '"1"'
    assert [s["number"] for s in room.json()["seats"]] == ["S01", "S02", "S03", "S04"]
    assert as_().get("/venues/rooms/999999").json()["code"] == "venues.room_not_found"


def test_book_conflict_and_idempotent_retry(world, as_):
    staff = as_(world.staff)
    headers = {"Idempotency-Key": "book-1"}
    r = staff.post("/venues/bookings", _body(world.evaluation), headers=headers)
    assert r.status_code == 201, r.json()
    assert r.headers["Location"].endswith(f"/venues/bookings/{r.json()['id']}")
    assert r.json()["status"] == "approved"
    assert len(r.json()["check_in_code"]) == 6
    again = staff.post("/venues/bookings", _body(world.evaluation), headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    clash = as_(world.pudong_staff).post("/venues/bookings", _body(world.evaluation, start=at(10).isoformat()))
    assert clash.status_code == 409
    body = clash.json()
    assert body["code"] == "venues.room_conflict"
    assert body["message_zh"]
    assert body["details"]["clashes"] == [
        {"start": "2026-03-03T01:00:00.000000Z", "end": "2026-03-03T03:00:00.000000Z"}
    ]
    assert "tender.section" not in clash.content.decode()
    bad = staff.post("/venues/bookings", _body(world.evaluation, start="2026-03-03T09:00:00"))
    assert bad.status_code == 422  # a time without zone
    assert staff.post("/venues/bookings", _body(world.evaluation, seats=99)).json()["code"] == "venues.seats_exceed"
    assert as_().post("/venues/bookings", _body(world.opening)).status_code == 401
    assert as_(support.expert_actor(3)).post("/venues/bookings", _body(world.opening)).status_code == 403


def test_approval_change_and_cancel_over_the_api(world, as_):
    pudong = as_(world.pudong_staff)
    b = pudong.post("/venues/bookings", _body(world.evaluation)).json()
    assert b["status"] == "pending"
    queue = as_(world.staff).get("/venues/approvals").json()
    assert [x["id"] for x in queue] == [b["id"]]
    assert as_(world.suzhou_staff).get("/venues/approvals").json() == []
    assert pudong.post(f"/venues/bookings/{b['id']}/approve", {}).status_code == 403
    approved = as_(world.staff).post(f"/venues/bookings/{b['id']}/approve", {"note": "同意"})
    assert approved.json()["status"] == "approved"
    assert approved.json()["history"][-1]["what_label"] == "审核通过"
    path = f"/venues/bookings/{b['id']}"
    assert pudong.patch(path, {"seats": 4, "reason": "增加专家"}).status_code == 428
    stale = pudong.patch(path, {"seats": 4, "reason": "增加专家"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    etag = pudong.get(path).headers["ETag"]
    changed = pudong.patch(path, {"seats": 4, "reason": "增加专家"}, headers={"If-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["status"] == "pending"
    assert changed.json()["apply_type"] == "change"
    assert changed.json()["check_in_code"] == ""  # for the site's staff only
    assert pudong.post(f"{path}/cancel", {"reason": ""}).json()["code"] == "venues.reason_required"
    cancelled = pudong.post(f"{path}/cancel", {"reason": "项目暂停"}, headers={"If-Match": changed.headers["ETag"]})
    assert cancelled.json()["status"] == "cancelled"
    assert as_(world.suzhou_staff).get(path).status_code == 404  # not theirs to see


def test_availability_lists_free_slots_without_private_details(world, as_):
    staff = as_(world.staff)
    staff.post("/venues/bookings", _body(world.evaluation, owner_ref="tender.section:secret"))
    r = staff.get(
        "/venues/availability",
        {
            "kind": "evaluation_room",
            "start": at(8).isoformat(),
            "end": at(18).isoformat(),
            "min_minutes": 120,
            "region": "310112",
        },
    )
    assert r.status_code == 200
    [room] = r.json()
    assert room["room"]["id"] == world.evaluation.pk
    assert [(s["earliest_start"], s["latest_end"]) for s in room["slots"]] == [
        ("2026-03-03T04:00:00Z", "2026-03-03T10:00:00Z")  # 12:00–18:00 (the 08:00–08:30 gap is too short)
    ]
    assert "secret" not in r.content.decode()
    wrong = staff.get("/venues/availability", {"start": at(18).isoformat(), "end": at(8).isoformat()})
    assert wrong.json()["code"] == "venues.end_before_start"


def test_remote_session_check_in_and_access_over_the_api(world, as_, clock):
    staff = as_(world.staff)
    s = staff.post(
        "/venues/sessions",
        {
            "owner_ref": "tender.section:88",
            "start": at(9).isoformat(),
            "end": at(12).isoformat(),
            "main": {"room_id": world.evaluation.pk, "seats": 3},
            "secondaries": [{"room_id": world.suzhou_remote.pk, "seats": 2}],
        },
    )
    assert s.status_code == 201, s.json()
    session = s.json()
    secondary = next(x for x in session["sites"] if x["role"] == "secondary")["booking"]
    committee = {
        "committee": [
            {"expert_ref": "e:1", "home_region": "310112", "name": "王专家"},
            {"expert_ref": "e:2", "home_region": "320505"},
        ]
    }
    pending = staff.post(f"/venues/sessions/{session['id']}/seating", committee)
    assert pending.status_code == 409
    assert pending.json()["code"] == "venues.session_pending"
    as_(world.suzhou_staff).post(f"/venues/bookings/{secondary['id']}/approve", {})
    seated = staff.post(f"/venues/sessions/{session['id']}/seating", committee)
    assert seated.json() == [
        {"expert_ref": "e:1", "booking_id": session["sites"][0]["booking"]["id"], "seat": "E01"},
        {"expert_ref": "e:2", "booking_id": secondary["id"], "seat": "S01"},
    ]
    main_id = session["sites"][0]["booking"]["id"]
    clock.set(at(8, 45))
    ok = staff.post(f"/venues/bookings/{main_id}/check-ins", {"expert_ref": "e:1"})
    assert ok.status_code == 201
    assert ok.json()["attendance"] == "present"
    assert (
        staff.post(f"/venues/bookings/{main_id}/check-ins", {"expert_ref": "e:1"}).json()["code"]
        == "venues.already_checked_in"
    )
    assert staff.post(f"/venues/bookings/{main_id}/check-ins", {"expert_ref": "e:9"}).status_code == 404
    desk = staff.get(f"/venues/bookings/{main_id}/attendance", {"q": "王"}).json()
    assert [(d["expert_ref"], d["name"], d["attendance"]) for d in desk] == [("e:1", "王专家", "present")]
    entry = staff.post(
        f"/venues/bookings/{main_id}/access-events",
        {"person_ref": "e:1", "person_kind": "expert", "direction": "enter", "devices_deposited": True},
    )
    assert entry.status_code == 201
    assert entry.json()["direction_label"] == "进入"
    log = staff.get(f"/venues/bookings/{main_id}/access-log").json()
    assert [o["person_ref"] for o in log["inside"]] == ["e:1"]
    assert as_(world.pudong_staff).get(f"/venues/bookings/{main_id}/access-log").status_code == 404


def test_today_lists_public_titles_only(world, as_, clock):
    staff = as_(world.staff)
    staff.post(
        "/venues/bookings", _body(world.opening, purpose="opening", public_title="闵行区某道路改建工程", title="内部")
    )
    staff.post(
        "/venues/bookings", _body(world.opening, purpose="opening", start=at(14).isoformat(), end=at(15).isoformat())
    )
    assert as_().get("/venues/today").json() == []  # today is 2026-03-02
    r = as_().get("/venues/today", {"day": "2026-03-03"})
    assert [(o["room_name"], o["title"]) for o in r.json()] == [("开标室1", "闵行区某道路改建工程")]
