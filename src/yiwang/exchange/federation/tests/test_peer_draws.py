"""Cross-region expert draws (跨区域抽取专家): a hub asks a peer hub's pool for experts by signed message; the peer
draws with its own rules and seed (witnessed there) and answers sealed — the seats without names and the sealed
digest — then with the names once the draw is unsealed at the meeting. Refusals are specific and leave nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.exchange.federation import actions
from yiwang.exchange.federation.models import HostedDraw, OutboundMessage, PeerDrawRequest
from yiwang.exchange.federation.tests.support import counts
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import now
from yiwang.services.experts import actions as experts
from yiwang.services.experts import queries as experts_queries
from yiwang.services.experts.tests import support as experts_support

pytestmark = pytest.mark.django_db

REQUEST, ANSWER = "experts.draw_request", "experts.draw_answer"
STAFF = Actor(ActorKind.ACCOUNT, "70", "闵行工作人员", (RoleGrant(Role.STAFF, region="310112"),))
PUDONG = Actor(ActorKind.ACCOUNT, "71", "浦东工作人员", (RoleGrant(Role.STAFF, region="310115"),))
BY_ID = {"entity_id": 5, "reason": "1"}  # this hub's entity id: meaningless on the peer


def _draw_request(**over) -> dict:
    """A draw for a 苏州 project from this hub's (上海) pool."""
    start = now() + timedelta(days=2)
    data = {
        "project_ref": "JS-TP-2026-007",
        "section_ref": "S01",
        "title": "苏州某道路工程施工评标",
        "kind": "works",
        "region_code": "320505",  # the project's region on the asking hub (the draw is made over this hub's)
        "region_scope": ["310000"],
        "meeting_start": start.isoformat(),
        "meeting_end": (start + timedelta(hours=4)).isoformat(),
        "lines": [{"specialty": "A080101", "count": 5, "reserve": 1}],
        "avoided_firms": [{"uscc": "91320505MA1ABC1232", "name": "苏州示范路桥建设有限公司", "reason": "1"}],
        "representatives": 0,
    }
    data.update(over)
    return data


def _code(call) -> str:
    with pytest.raises(YiwangError) as info:
        call()
    return info.value.code


# -- the hub that asks ---------------------------------------------------------------------------------------------
def test_a_draw_is_asked_of_one_peer_and_its_sealed_answer_recorded(api, jiangsu, clock):
    row = actions.do_request_peer_draw(
        actor=STAFF, peer_code=jiangsu.code, data=_draw_request(region_code="310112", region_scope=["320000"])
    )
    actions.collect_feed(clock.now())
    [message] = OutboundMessage.objects.all()
    assert message.message_type == REQUEST
    assert message.body["request_id"] == row.request_id
    assert message.body["request"]["region_scope"] == ["320000"]
    sealed = [{"line": 0, "specialty": "A080101", "role": "member", "rank": i, "status": "notified"} for i in range(5)]
    answer = {
        "request_id": row.request_id,
        "status": "drawn",
        "draw_id": 31,
        "sealed_digest": "ab" * 32,
        "seats": sealed,
        "code": "",
        "note": "",
    }
    assert jiangsu.send(api, jiangsu.batch((ANSWER, answer))).status_code == 200
    row.refresh_from_db()
    assert row.state == "drawn"
    assert row.draw_id == 31
    assert row.sealed_digest == "ab" * 32
    assert all("name" not in seat for seat in row.seats)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"actor": PUDONG}, "federation.forbidden"),
        ({"peer_code": "12330000MB0000000E"}, "federation.unknown_peer"),
        ({"data": {"title": "无项目编号", "region_code": "310112"}}, "federation.bad_draw_request"),
        ({"data": _draw_request(region_code="310112", avoided_firms=[BY_ID])}, "federation.bad_draw_request"),
    ],
)  # fmt: skip
def test_bad_draw_requests_are_refused_and_leave_nothing(jiangsu, clock, kwargs, code):
    values = {"actor": STAFF, "peer_code": jiangsu.code, "data": _draw_request(region_code="310112")}
    values.update(kwargs)
    before = counts()
    assert _code(lambda: actions.do_request_peer_draw(**values)) == code
    assert counts() == before
    assert not PeerDrawRequest.objects.exists()


# -- the hub whose pool is drawn -----------------------------------------------------------------------------------
@pytest.fixture
def pool(db, clock):
    staff = experts_support.staff()
    return [experts_support.enrol(staff) for _ in range(8)]


def test_a_peer_request_is_drawn_here_with_this_hubs_rules_and_answered_sealed_then_named(api, jiangsu, pool, clock):
    response = jiangsu.send(api, jiangsu.batch((REQUEST, {"request_id": "c" * 32, "request": _draw_request()})))
    assert response.status_code == 200, response.content
    hosted = HostedDraw.objects.get()
    assert hosted.draw_id is not None
    view = experts_queries.get_draw_for(experts_support.staff(), hosted.draw_id)
    assert view.sealed
    assert view.region_code == "310000"
    assert view.title.startswith("江苏省公共资源交易平台项目 JS-TP-2026-007")
    assert len([s for s in view.seats if s.role == "member"]) == 5
    actions.collect_feed(clock.now())
    [sealed] = OutboundMessage.objects.filter(peer__code=jiangsu.code)
    assert sealed.message_type == ANSWER
    assert sealed.body["status"] == "drawn"
    assert sealed.body["draw_id"] == hosted.draw_id
    assert len(sealed.body["sealed_digest"]) == 64
    assert len(sealed.body["seats"]) == 6  # 5 members and 1 reserve
    assert all("name" not in seat for seat in sealed.body["seats"])
    experts.do_unseal_draw(actor=experts_support.staff(), draw_id=hosted.draw_id)
    actions.collect_feed(clock.now())
    named = OutboundMessage.objects.filter(peer__code=jiangsu.code).order_by("seq").last()
    assert named.body["status"] == "unsealed"
    names = {seat["name"] for seat in named.body["seats"] if seat["role"] == "member"}
    assert names <= {e.name for e in pool}
    assert len(names) == 5
    assert all("phone" not in seat for seat in named.body["seats"])


def test_a_draw_this_pool_cannot_satisfy_is_answered_refused(api, jiangsu, pool, clock):
    request = _draw_request(lines=[{"specialty": "A080101", "count": 9, "reserve": 0}])
    jiangsu.send(api, jiangsu.batch((REQUEST, {"request_id": "d" * 32, "request": request})))
    hosted = HostedDraw.objects.get()
    assert hosted.draw_id is None
    assert hosted.refusal.startswith("experts.")
    actions.collect_feed(clock.now())
    [answer] = OutboundMessage.objects.filter(peer__code=jiangsu.code)
    assert answer.body["status"] == "refused"
    assert answer.body["code"] == hosted.refusal


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"request_id": "short", "request": {}}, "request_id"),
        ({"request_id": "e" * 32, "request": []}, "request"),
        ({"request_id": "e" * 32}, "body"),
    ],
)
def test_malformed_draw_requests_are_refused(api, jiangsu, body, field):
    before = counts()
    response = jiangsu.send(api, jiangsu.batch((REQUEST, body)))
    assert response.status_code == 422, response.content
    assert response.json()["details"]["field"] == field
    assert counts() == before


def test_the_api_asks_for_a_draw_and_lists_it(api, jiangsu, clock, settings):
    from yiwang.platform.api import auth
    from yiwang.platform.api.testing import ACTORS

    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.api.testing.TestActors"
    auth.resolver.cache_clear()
    try:
        ACTORS["staff-token"] = STAFF
        staff = api.with_token("staff-token")
        body = {"peer_code": jiangsu.code, "request": _draw_request(region_code="310112", region_scope=["320000"])}
        created = staff.post("/federation/draw-requests", body, headers={"Idempotency-Key": "draw-1"})
        assert created.status_code == 201, created.content
        assert created.json()["state"] == "requested"
        listed = staff.get("/federation/draw-requests?project_ref=JS-TP-2026-007").json()
        assert [r["request_id"] for r in listed] == [created.json()["request_id"]]
        assert api.get("/federation/draw-requests").status_code == 401
    finally:
        ACTORS.pop("staff-token", None)
        auth.resolver.cache_clear()
