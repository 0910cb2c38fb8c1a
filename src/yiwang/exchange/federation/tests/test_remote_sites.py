"""Remote-evaluation bookings spanning hubs (远程异地评标): the main site is booked here and a secondary site (副场)
is asked of a peer hub by a signed message; the peer books its room in its venues context (pending its own
staff's approval), answers at once, and answers again when its staff decide. Refusals are specific and leave
nothing; a room the peer cannot give is answered 'refused' with the venues code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.exchange.federation import actions
from yiwang.exchange.federation.models import HostedBooking, OutboundMessage, RemoteSiteRequest
from yiwang.exchange.federation.tests.support import ZHEJIANG, RemoteHub, counts
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import YiwangError
from yiwang.services.venues import actions as venues
from yiwang.services.venues import queries as venues_queries
from yiwang.services.venues.tests.support import at, make_world

pytestmark = pytest.mark.django_db

REQUEST, ANSWER = "venue.booking_request", "venue.booking_answer"
STAFF = Actor(ActorKind.ACCOUNT, "60", "闵行工作人员", (RoleGrant(Role.STAFF, region="310112"),))


def _ask(jiangsu, **over):
    values = {
        "actor": STAFF,
        "peer_code": jiangsu.code,
        "room_id": 41,
        "start": at(9),
        "end": at(17),
        "seats": 3,
        "owner_ref": "tender.section:12",
        "title": "某道路工程施工评标",
        "session_id": 5,
    }
    values.update(over)
    return actions.do_request_remote_site(**values)


def _code(call) -> str:
    with pytest.raises(YiwangError) as info:
        call()
    return info.value.code


# -- the hub with the main site -------------------------------------------------------------------------------------
def test_a_secondary_site_is_asked_of_one_peer_by_a_signed_message(jiangsu, clock):
    RemoteHub(ZHEJIANG, "浙江省公共资源交易平台", "http://127.0.0.1:18102").register()
    row = _ask(jiangsu)
    assert row.state == "requested"
    assert actions.collect_feed(clock.now()) == 1
    [message] = OutboundMessage.objects.all()
    assert message.peer.code == jiangsu.code
    assert message.message_type == REQUEST
    assert message.body == {
        "request_id": row.request_id,
        "room_id": 41,
        "start": iso_utc(at(9)),
        "end": iso_utc(at(17)),
        "seats": 3,
        "owner_ref": "tender.section:12",
        "title": "某道路工程施工评标",
    }


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"actor": Actor(ActorKind.ACCOUNT, "61", "公众", (RoleGrant(Role.PUBLIC),))}, "federation.forbidden"),
        ({"peer_code": ZHEJIANG}, "federation.unknown_peer"),
        ({"seats": 0}, "federation.bad_site_request"),
        ({"room_id": 0}, "federation.bad_site_request"),
        ({"end": at(8)}, "federation.bad_site_request"),
        ({"start": at(9) - timedelta(days=2), "end": at(10) - timedelta(days=2)}, "federation.bad_site_request"),
        ({"owner_ref": ""}, "federation.bad_site_request"),
    ],
)
def test_bad_site_requests_are_refused_and_leave_nothing(jiangsu, clock, over, code):
    before = counts()
    assert _code(lambda: _ask(jiangsu, **over)) == code
    assert counts() == before
    assert not RemoteSiteRequest.objects.exists()


def test_the_peers_answers_are_recorded(api, jiangsu, clock):
    row = _ask(jiangsu)
    answer = {"request_id": row.request_id, "status": "pending", "booking_id": 77, "code": "", "note": ""}
    assert jiangsu.send(api, jiangsu.batch((ANSWER, answer))).status_code == 200
    row.refresh_from_db()
    assert row.state == "pending"
    assert row.booking_id == 77
    jiangsu.send(api, jiangsu.batch((ANSWER, {**answer, "status": "approved"})))
    row.refresh_from_db()
    assert row.state == "approved"
    assert row.answered_at is not None
    # an answer about a request this hub never made changes nothing
    stray = {**answer, "request_id": "0" * 32}
    assert jiangsu.send(api, jiangsu.batch((ANSWER, stray))).json()["applied"] == 1
    row.refresh_from_db()
    assert row.state == "approved"


# -- the hub with the secondary site -----------------------------------------------------------------------------------
@pytest.fixture
def world(db, clock):
    return make_world()


def _request(world, request_id: str = "a" * 32, **over) -> dict:
    body = {
        "request_id": request_id,
        "room_id": world.evaluation.pk,
        "start": iso_utc(at(9)),
        "end": iso_utc(at(12)),
        "seats": 3,
        "owner_ref": "tender.section:12",
        "title": "苏州某工程评标",
    }
    body.update(over)
    return body


def test_a_peer_request_books_the_room_pending_approval_and_the_answers_go_back(api, jiangsu, world, clock):
    response = jiangsu.send(api, jiangsu.batch((REQUEST, _request(world))))
    assert response.status_code == 200, response.content
    hosted = HostedBooking.objects.get()
    booking = venues_queries.get_booking_for(world.staff, hosted.booking_id)
    assert booking.status == "pending"
    assert booking.owner_ref == f"hub:{jiangsu.code}:{'a' * 32}"
    assert booking.requested_by_ref == f"client:hub-{jiangsu.code}"
    assert [b.id for b in venues_queries.approval_queue_for(world.staff)] == [booking.id]
    actions.collect_feed(clock.now())
    [first] = OutboundMessage.objects.filter(peer__code=jiangsu.code)
    assert first.message_type == ANSWER
    assert first.body == {"request_id": "a" * 32, "status": "pending", "booking_id": booking.id, "code": "", "note": ""}
    venues.do_approve_booking(actor=world.staff, booking_id=booking.id)
    actions.collect_feed(clock.now())
    second = OutboundMessage.objects.filter(peer__code=jiangsu.code).order_by("seq").last()
    assert second.body["status"] == "approved"
    assert second.body["booking_id"] == booking.id


def test_a_room_the_site_cannot_give_is_answered_refused_and_nothing_is_booked(api, jiangsu, world, clock):
    venues.do_book_room(
        actor=world.staff, room_id=world.evaluation.pk, owner_ref="tender.section:9", purpose="evaluation",
        start=at(10), end=at(11), seats=3,
    )  # fmt: skip
    bookings = apps.get_model("venues", "Booking").objects
    before = bookings.count()
    jiangsu.send(api, jiangsu.batch((REQUEST, _request(world)), (REQUEST, _request(world, "b" * 32, room_id=999_999))))
    assert bookings.count() == before
    refusals = dict(HostedBooking.objects.values_list("request_id", "refusal"))
    assert refusals["a" * 32] == "venues.room_conflict"
    assert refusals["b" * 32].startswith("venues.")
    actions.collect_feed(clock.now())
    answers = [m.body for m in OutboundMessage.objects.filter(peer__code=jiangsu.code).order_by("seq")]
    assert [(a["status"], a["code"]) for a in answers] == [
        ("refused", "venues.room_conflict"),
        ("refused", refusals["b" * 32]),
    ]
    assert all(a["booking_id"] is None for a in answers)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"request_id": "short"}, "request_id"),
        ({"room_id": "41"}, "room_id"),
        ({"start": "tomorrow"}, "start"),
        ({"end": iso_utc(at(8))}, "end"),
        ({"seats": 0}, "seats"),
    ],
)
def test_malformed_site_requests_are_refused(api, jiangsu, world, change, field):
    before = counts()
    response = jiangsu.send(api, jiangsu.batch((REQUEST, _request(world, **change))))
    assert response.status_code == 422, response.content
    assert response.json()["details"]["field"] == field
    assert counts() == before


def test_the_api_asks_for_a_site_and_lists_the_answers(api, jiangsu, clock, settings):
    from yiwang.platform.api import auth
    from yiwang.platform.api.testing import ACTORS

    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.api.testing.TestActors"
    auth.resolver.cache_clear()
    try:
        ACTORS["staff-token"] = STAFF
        staff = api.with_token("staff-token")
        body = {
            "peer_code": jiangsu.code,
            "room_id": 41,
            "start": iso_utc(at(9)),
            "end": iso_utc(at(17)),
            "seats": 3,
            "owner_ref": "tender.section:12",
            "session_id": 5,
        }
        created = staff.post("/federation/site-requests", body, headers={"Idempotency-Key": "site-1"})
        assert created.status_code == 201, created.content
        assert created.json()["state"] == "requested"
        listed = staff.get("/federation/site-requests?session_id=5").json()
        assert [r["request_id"] for r in listed] == [created.json()["request_id"]]
        bad = staff.post(
            "/federation/site-requests", {**body, "end": iso_utc(at(8))}, headers={"Idempotency-Key": "s2"}
        )
        assert bad.status_code == 422
        assert bad.json()["code"] == "federation.bad_site_request"
    finally:
        ACTORS.pop("staff-token", None)
        auth.resolver.cache_clear()
