"""The experts pages render for the right people and show errors next to their fields."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.platform.clock import now
from yiwang.services.experts import actions
from yiwang.services.experts.models import Draw, Expert, Seat
from yiwang.services.experts.tests import support
from yiwang.services.experts.tests.support import request

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


def test_public_index_shows_statistics_only(browse):
    support.enrol(name="不公开的名字")
    r = browse().get("/experts/")
    assert r.status_code == 200
    page = html(r)
    assert "综合评标评审专家库" in page
    assert "不公开的名字" not in page
    assert 'data-testid="total">1<' in page
    assert "房屋建筑工程土建施工" in html(browse().get("/experts/classification/"))


def test_pool_pages_are_for_overseers(browse):
    expert = support.enrol(name="陈工")
    assert browse().get("/experts/pool/").status_code == 302
    assert browse(support.party(1)).get("/experts/pool/").status_code == 403
    staff = browse(support.staff())
    page = html(staff.get("/experts/pool/", {"q": "陈"}))
    assert "陈工" in page
    assert "共 1 名专家" in page
    partial = staff.get("/experts/pool/", {"q": "陈"}, headers={"HX-Request": "true"})
    assert "<html" not in html(partial)
    assert "陈工" in html(partial)
    detail = html(staff.get(f"/experts/pool/{expert.pk}/"))
    assert expert.id_number in detail
    assert expert.phone in detail
    assert "暂停 · 恢复 · 出库" in detail
    reg = html(browse(support.regulator()).get(f"/experts/pool/{expert.pk}/"))
    assert expert.id_number not in reg
    assert expert.phone not in reg
    assert browse(support.party(1)).get(f"/experts/pool/{expert.pk}/").status_code == 404


def test_enrolment_form_shows_rule_errors_and_enrols(browse):
    staff = browse(support.staff())
    assert staff.get("/experts/pool/new/").status_code == 200
    data = support.expert_data(practice_since="2023-01-01")
    form = {
        **{k: v for k, v in data.items() if k not in ("specialties", "kinds")},
        "kinds": ["works"],
        "main_specialty": "A080101",
        "notify_channels": ["in_site", "sms"],
    }
    r = staff.post("/experts/pool/new/", form)
    assert r.status_code == 422
    assert "experts.experience_insufficient" in html(r)
    form["practice_since"] = "2001-01-01"
    r = staff.post("/experts/pool/new/", form)
    assert r.status_code == 302
    expert = Expert.objects.get()
    assert r["Location"].endswith(f"/experts/pool/{expert.pk}/")
    assert browse(support.party(1)).get("/experts/pool/new/").status_code == 403


def test_draw_request_form_result_and_replay(browse):
    for _ in range(7):
        support.enrol()
    staff = browse(support.staff())
    assert staff.get("/experts/draws/new/").status_code == 200
    start = (now() + timedelta(days=2)).astimezone().strftime("%Y-%m-%dT%H:%M")
    end = (now() + timedelta(days=2, hours=3)).astimezone().strftime("%Y-%m-%dT%H:%M")
    form = {
        "project_ref": "TP-9",
        "kind": "works",
        "region_code": "310112",
        "meeting_start": start,
        "meeting_end": end,
        "representatives": 0,
        "confirm_minutes": 60,
        "line_0_specialty": "A080101",
        "line_0_count": 9,
        "line_0_reserve": 0,
    }
    r = staff.post("/experts/draws/new/", form)
    assert r.status_code == 422
    assert 'data-testid="unsatisfiable"' in html(r)
    assert not Draw.objects.exists()
    form["line_0_count"], form["line_0_reserve"] = 5, 2
    r = staff.post("/experts/draws/new/", form)
    assert r.status_code == 302, html(r)
    draw = Draw.objects.get()
    page = html(staff.get(f"/experts/draws/{draw.pk}/"))
    assert 'data-testid="sealed"' in page
    assert page.count('data-testid="seat"') == 7
    replay = staff.get(f"/experts/draws/{draw.pk}/replay/", headers={"HX-Request": "true"})
    assert "复核一致" in html(replay)
    assert "TP-9" in html(staff.get("/experts/draws/"))


def test_party_sees_counts_only_until_unsealed(browse):
    for _ in range(7):
        support.enrol()
    tenderer = support.make_firm()
    draw = actions.do_request_draw(
        actor=support.staff(), data=request(avoided_firms=[{"entity_id": tenderer, "reason": "2"}])
    )
    names = list(Expert.objects.values_list("name", flat=True))
    party = browse(support.party(tenderer))
    page = html(party.get(f"/experts/draws/{draw.pk}/"))
    assert 'data-testid="sealed-note"' in page
    assert not any(n in page for n in names)
    assert "复核抽取" not in page
    actions.do_unseal_draw(actor=support.staff(), draw_id=draw.pk)
    page = html(party.get(f"/experts/draws/{draw.pk}/"))
    assert not any(n in page for n in names)  # names are secret until the award, even after unsealing
    assert "电话" not in page
    assert browse(support.party(12345)).get(f"/experts/draws/{draw.pk}/").status_code == 404


def test_expert_tasks_confirm_and_decline(browse):
    experts = [support.enrol(account_id=6000 + i) for i in range(7)]
    draw = actions.do_request_draw(actor=support.staff(), data=request())
    seat = Seat.objects.filter(draw=draw, role="member").first()
    me = browse(support.expert_actor(seat.expert.account_id))
    page = html(me.get("/experts/tasks/"))
    assert "确认参加" in page
    assert "评标室 3" in page
    assert "测试道路改造工程施工" not in page
    r = me.post(f"/experts/tasks/{seat.pk}/answer/", {"accept": "0", "reason": ""})
    assert r.status_code == 302
    assert Seat.objects.get(pk=seat.pk).status == "notified"  # refused: a reason is required
    r = me.post(f"/experts/tasks/{seat.pk}/answer/", {"accept": "1"})
    assert r.status_code == 302
    assert Seat.objects.get(pk=seat.pk).status == "confirmed"
    other = Seat.objects.filter(draw=draw, role="member").exclude(pk=seat.pk).first()
    assert me.post(f"/experts/tasks/{other.pk}/answer/", {"accept": "1"}).status_code == 404
    not_expert = browse(support.staff())
    assert not_expert.get("/experts/tasks/").status_code == 404
    r = me.post(
        f"/experts/pool/{seat.expert_id}/unavailability/",
        {"start_date": "2026-04-01", "end_date": "2026-04-02", "next": "tasks"},
    )
    assert r.status_code == 302
    assert r["Location"].endswith("/experts/tasks/")
    assert len(experts) == 7


def test_staff_check_in_and_absence_from_the_result_page(browse, clock):
    for i in range(7):
        support.enrol(account_id=6100 + i)
    draw = actions.do_request_draw(actor=support.staff(), data=request())
    seats = list(Seat.objects.filter(draw=draw, role="member"))
    staff = browse(support.staff())
    clock.set(draw.meeting_start + timedelta(minutes=1))
    r = staff.post(f"/experts/draws/{draw.pk}/seats/{seats[0].pk}/check-in/")
    assert r.status_code == 302
    assert Seat.objects.get(pk=seats[0].pk).status == "checked_in"
    r = staff.post(f"/experts/draws/{draw.pk}/seats/{seats[1].pk}/absent/")
    assert Seat.objects.get(pk=seats[1].pk).status == "absent"
    assert browse(support.party(1)).post(f"/experts/draws/{draw.pk}/seats/{seats[2].pk}/absent/").status_code == 403
