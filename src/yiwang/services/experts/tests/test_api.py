"""The experts API: codes, shapes, permissions, Idempotency-Key and If-Match."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.platform.clock import now
from yiwang.services.experts.models import Draw, Expert, Seat
from yiwang.services.experts.tests import support
from yiwang.services.experts.tests.support import counts, expert_data, request

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_(test_actors, api):
    def make(actor):
        token = f"t-{actor.ref}-{len(test_actors)}"
        test_actors[token] = actor
        return api.with_token(token)

    return make


def test_public_classification_statistics_and_committee_check(api, clock):
    r = api.get("/experts/specialties", {"level": 2})
    assert r.status_code == 200
    assert r.json()[0]["code"] == "A01"
    assert api.get("/experts/statistics").status_code == 200
    ok = api.get("/experts/committee-check", {"kind": "works", "experts": 4, "representatives": 1}).json()
    assert ok == {"ok": True, "problems": []}
    bad = api.get("/experts/committee-check", {"kind": "gp", "experts": 5, "budget_fen": 2_000_000_000}).json()
    assert bad["ok"] is False
    assert bad["problems"][0]["rule_id"] == "gp.committee_min_size_large"
    assert api.get("/experts/committee-check", {"kind": "land", "experts": 5}).json()["code"] == "experts.kind_invalid"


def test_enrol_read_update_and_status_over_the_api(as_, clock):
    staff = as_(support.staff())
    data = expert_data(employer_name="上海市政设计研究总院")
    r = staff.post("/experts/pool", data, headers={"Idempotency-Key": "enrol-1"})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert r["Location"].endswith(f"/experts/pool/{body['id']}")
    assert r["ETag"] == '"1"'
    assert body["id_number"] == data["id_number"]
    assert body["gender"] in ("male", "female")
    again = staff.post("/experts/pool", data, headers={"Idempotency-Key": "enrol-1"})
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Expert.objects.count() == 1
    dup = staff.post("/experts/pool", {**data, "phone": "13800000000"})
    assert dup.status_code == 409
    assert dup.json()["code"] == "experts.duplicate_expert"
    young = staff.post("/experts/pool", expert_data(practice_since="2022-01-01"))
    assert young.status_code == 422
    assert young.json()["code"] == "experts.experience_insufficient"
    assert young.json()["details"]["rule_id"] in ("expert.experience_min", "expert.gp_experience_min")
    path = f"/experts/pool/{body['id']}"
    assert staff.patch(path, {"phone": "13800000001"}).status_code == 428
    assert staff.patch(path, {"phone": "13800000001"}, headers={"If-Match": '"9"'}).status_code == 412
    r = staff.patch(path, {"phone": "13800000001"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    assert r.json()["phone"] == "13800000001"
    assert r["ETag"] == '"2"'
    r = staff.put(f"{path}/status", {"action": "suspend", "reason": "考核"}, headers={"If-Match": '"2"'})
    assert r.status_code == 200
    assert r.json()["status"] == "suspended"
    r = staff.put(f"{path}/status", {"action": "suspend", "reason": "考核"}, headers={"If-Match": "*"})
    assert r.status_code == 409
    assert r.json()["code"] == "experts.status_change_invalid"


def test_pool_permissions_over_the_api(as_, api, clock):
    expert = support.enrol(account_id=8001)
    assert api.get("/experts/pool").status_code == 401
    assert as_(support.party(1)).get("/experts/pool").status_code == 403
    assert as_(support.party(1)).get(f"/experts/pool/{expert.pk}").status_code == 404
    other_staff = as_(support.staff("310115"))
    assert other_staff.post("/experts/pool", expert_data()).status_code == 403
    r = as_(support.regulator()).get(f"/experts/pool/{expert.pk}")
    assert r.status_code == 200
    assert r.json()["phone"] != expert.phone
    me = as_(support.expert_actor(8001))
    assert me.get("/experts/me").json()["id"] == expert.pk
    r = me.post(f"/experts/pool/{expert.pk}/unavailability", {"start_date": "2026-03-20", "end_date": "2026-03-21"})
    assert r.status_code == 201
    firm = support.make_firm()
    r = me.post(f"/experts/pool/{expert.pk}/ties", {"entity_id": firm, "kind": "relative"})
    assert r.status_code == 201
    assert r.json()["entity_id"] == firm
    r = me.post(
        f"/experts/pool/{expert.pk}/sanctions",
        {"kind": "other", "authority": "x", "reason": "y", "start_date": "2026-01-01"},
    )
    assert r.status_code == 403


def test_draw_over_the_api_with_sealed_views_answers_and_replay(as_, clock):
    staff_actor = support.staff()
    experts = [support.enrol(staff_actor, account_id=9000 + i) for i in range(8)]
    tenderer = support.make_firm()
    staff = as_(staff_actor)
    data = request(avoided_firms=[{"entity_id": tenderer, "reason": "2"}])
    before = counts()
    bad = staff.post("/experts/draws", {**data, "lines": [{"specialty": "A080101", "count": 9, "reserve": 0}]})
    assert bad.status_code == 422
    assert bad.json()["code"] == "experts.draw_unsatisfiable"
    assert bad.json()["details"]["lines"][0]["eligible"] == 8
    assert counts() == before
    r = staff.post("/experts/draws", data, headers={"Idempotency-Key": "draw-1"})
    assert r.status_code == 201, r.json()
    draw = r.json()
    assert draw["sealed"]
    assert draw["full"]
    assert len(draw["seats"]) == 7
    assert staff.post("/experts/draws", data, headers={"Idempotency-Key": "draw-1"}).json()["id"] == draw["id"]
    assert Draw.objects.count() == 1
    party = as_(support.party(tenderer))
    seen = party.get(f"/experts/draws/{draw['id']}").json()
    assert seen["sealed"]
    assert seen["seats"] == []
    assert seen["lines"][0]["active"] == 5
    assert seen["digests"] == {}
    assert as_(support.party(999)).get(f"/experts/draws/{draw['id']}").status_code == 404
    assert party.get(f"/experts/draws/{draw['id']}/replay").status_code == 404
    replay = staff.get(f"/experts/draws/{draw['id']}/replay").json()
    assert replay[0]["ok"] is True
    assert replay[0]["candidates"][0] == sorted(e.pk for e in experts)
    # a drawn expert answers
    seat = Seat.objects.filter(draw_id=draw["id"], role="member").first()
    me = as_(support.expert_actor(seat.expert.account_id))
    tasks = me.get("/experts/me/tasks").json()
    assert tasks[0]["seat_id"] == seat.pk
    assert tasks[0]["project"] == ""
    r = me.post(f"/experts/seats/{seat.pk}/answer", {"accept": False})
    assert r.status_code == 422
    assert r.json()["code"] == "experts.reason_required"
    r = me.post(f"/experts/seats/{seat.pk}/answer", {"accept": False, "reason": "出差"})
    assert r.status_code == 200
    assert r.json()["status"] == "declined"
    other = Seat.objects.filter(draw_id=draw["id"], role="member").exclude(pk=seat.pk).first()
    assert me.post(f"/experts/seats/{other.pk}/answer", {"accept": True}).status_code == 404
    # unseal, check-in, performance
    assert party.post(f"/experts/draws/{draw['id']}/unseal").status_code == 403
    r = staff.post(f"/experts/draws/{draw['id']}/unseal")
    assert r.status_code == 200
    assert not r.json()["sealed"]
    assert party.get(f"/experts/draws/{draw['id']}").json()["seats"][0]["name"] == ""  # secret until the award
    clock.set(Draw.objects.get(pk=draw["id"]).meeting_start - timedelta(minutes=5))
    r = staff.post(f"/experts/seats/{other.pk}/check-in")
    assert r.status_code == 200
    assert r.json()["status"] == "checked_in"
    r = staff.patch(
        f"/experts/seats/{other.pk}/performance", {"rating": 4, "evaluation_minutes": 150}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200
    assert r.json()["rating"] == 4
    assert r["ETag"] == '"2"'
    perf = staff.get(f"/experts/pool/{other.expert_id}/performance").json()
    assert perf["summary"]["attended"] == 1
    assert staff.get("/experts/draws").json()[0]["id"] == draw["id"]


def test_draw_request_errors_over_the_api(as_, clock):
    staff = as_(support.staff())
    support.enrol()
    r = staff.post("/experts/draws", request(hub="zj"))
    assert r.status_code == 503
    assert r.json()["code"] == "experts.remote_pool_unavailable"
    r = staff.post("/experts/draws", request(lines=[{"specialty": "A080101", "count": 4, "reserve": 0}]))
    assert r.status_code == 422
    assert r.json()["code"] == "experts.committee_invalid"
    r = staff.post("/experts/draws", request(meeting_start=(now() - timedelta(days=1)).isoformat()))
    assert r.status_code == 422
    assert r.json()["code"] == "experts.meeting_in_past"
    assert as_(support.party(1)).post("/experts/draws", request()).status_code == 403
