"""Services working together (the services issue's "done when"): staff book an evaluation room, draw a committee
that respects every recusal rule, seat it in the room, and an expert's check-in at the desk reaches the expert
pool. Contexts of the services tier never import each other; this test composes them as the trading tier will.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yiwang.identity import actions as identity
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.ids import make_resident_id, make_uscc
from yiwang.platform.clock import now
from yiwang.registry import actions as registry
from yiwang.services.experts import actions as experts
from yiwang.services.experts import queries as expert_queries
from yiwang.services.venues import actions as venues
from yiwang.services.venues import queries as venue_queries

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
STAFF = Actor(ActorKind.ACCOUNT, "500", "闵行工作人员", (RoleGrant(Role.STAFF, region="310112", admin=True),))


def _firm(n: int, name: str) -> int:
    entity = registry.do_register_entity(
        actor=SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": make_uscc("9", "1", "310112", f"MA1{n:05d}"),
            "name": name,
            "legal_rep_name": "张三",
            "region_code": "310112",
            "roles": ["bidder"],
            "contact_name": "联系人",
            "contact_phone": "13800138000",
        },
    )
    return entity.pk


def _expert(n: int, *, employer_id: int | None = None):
    data = {
        "name": f"测试专家{n}",
        "id_number": make_resident_id("310104", date(1970, 1, n), n),
        "title": "高级工程师",
        "title_level": "senior",
        "kinds": ["works"],
        "region_code": "310112",
        "practice_since": "2005-07-01",
        "phone": f"139{n:08d}",
        "specialties": [{"code": "A080101", "main": True}],
        "account_id": 20_000 + n,
    }
    if employer_id is None:
        data["employer_name"] = "退休"
    else:
        data["employer_entity_id"] = employer_id
    return experts.do_enrol_expert(actor=STAFF, data=data)


def test_a_committee_drawn_for_a_booked_room_respects_recusal_and_checks_in(clock):
    centre = identity.do_create_organisation(
        actor=SYSTEM, kind="trading_centre", name="闵行分中心（测试）", region_code="310112"
    )
    site = venues.do_create_site(
        actor=STAFF, organisation_id=centre.pk, name="闵行评标基地", region_code="310112", address="莘庄路 1 号"
    )
    room = venues.do_create_room(
        actor=STAFF, site_id=site.pk, data={"kind": "evaluation_room", "code": "E1", "capacity": 9}
    )
    venues.do_add_seats(actor=STAFF, room_id=room.pk, seats=[{"number": f"A{i}"} for i in range(1, 10)])

    bidder = _firm(1, "上海测试投标一公司")
    other = _firm(2, "上海测试投标二公司")
    pool = []
    for n in range(1, 11):
        pool.append(_expert(n))
    employee = _expert(11, employer_id=bidder)  # works for a bidder: must never be drawn
    related = _expert(12)
    experts.do_declare_tie(
        actor=STAFF, expert_id=related.pk, data={"kind": "relative", "entity_id": other, "name": "上海测试投标二公司"}
    )

    start = now() + timedelta(days=2)
    booking = venues.do_book_room(
        actor=STAFF,
        room_id=room.pk,
        owner_ref="tender.section:1",
        purpose="evaluation",
        start=start,
        end=start + timedelta(hours=4),
        seats=5,
        title="测试道路工程施工评标",
    )
    draw = experts.do_request_draw(
        actor=STAFF,
        data={
            "project_ref": "tender.project:1",
            "section_ref": "tender.section:1",
            "title": "测试道路工程施工",
            "kind": "works",
            "region_code": "310112",
            "region_scope": ["310000"],
            "meeting_start": start.isoformat(),
            "meeting_end": (start + timedelta(hours=4)).isoformat(),
            "venue": f"{site.name} {room.code}",
            "lines": [{"specialty": "A080101", "count": 5, "reserve": 2}],
            "avoided_firms": [{"entity_id": bidder, "reason": "1"}, {"entity_id": other, "reason": "1"}],
        },
    )
    seats = expert_queries.get_draw_for(STAFF, draw.pk).seats
    drawn = {s.expert_id for s in seats}
    assert len(drawn) == 7  # 5 members and 2 reserves
    assert employee.pk not in drawn  # employed by an avoided firm
    assert related.pk not in drawn  # declared a relationship with an avoided firm

    members = [s for s in seats if s.role == "member"]
    venues.do_seat_booking(
        actor=STAFF,
        booking_id=booking.pk,
        committee=[{"expert_ref": f"experts.seat:{s.id}", "home_region": "310112"} for s in members],
    )
    clock.set(start - timedelta(minutes=10))
    first = members[0]
    venues.do_check_in_expert(actor=STAFF, booking_id=booking.pk, expert_ref=f"experts.seat:{first.id}")
    (row,) = [r for r in venue_queries.attendance_of(booking.pk) if r.expert_ref == f"experts.seat:{first.id}"]
    assert row.status == "present"
    # the trading tier forwards the desk's check-in to the expert pool (venues never imports experts)
    checked = experts.do_check_in(actor=STAFF, seat_id=first.id)
    assert checked.checked_in_at is not None
