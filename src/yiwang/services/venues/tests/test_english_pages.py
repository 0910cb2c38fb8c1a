"""English for the venues pages: under the switch the room directory, a room, 今日开标, the booking form, a booking
as staff see it, the calendar, the approval queue, a remote-evaluation session with its seat map, the check-in
desk, the access log and an expert's own check-in read in English (headings, labels, buttons, table heads, room
kinds, purposes, states, attendance). What people entered stays as written (venue, room and organisation names,
addresses, region names, titles, the names of people and experts) and is named in each test. Without the switch
the same pages are Chinese."""

from __future__ import annotations

import pytest

from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.services.venues import actions
from yiwang.services.venues.tests import support
from yiwang.services.venues.tests.support import at, book

pytestmark = pytest.mark.django_db


def _data(world) -> list[str]:
    """What the world's people entered: names of centres, venues, rooms and staff, addresses, regions."""
    return [
        world.minhang.name,
        world.pudong.name,
        world.suzhou.name,
        world.site.name,
        world.pudong_site.name,
        world.suzhou_site.name,
        world.site.address,
        world.pudong_site.address,
        world.suzhou_site.address,
        world.opening.name,
        world.evaluation.name,
        world.negotiation.name,
        world.pudong_eval.name,
        world.suzhou_remote.name,
        "闵行区",
        "浦东新区",
        "苏州市",
        "工作人员201",
        "工作人员202",
        "工作人员203",
        "中文",
    ]


@pytest.fixture
def as_(test_actors, client):
    def headers(actor) -> dict[str, str]:
        key = f"en-{actor.ref}"
        test_actors[key] = actor
        return {"X-Test-Actor": key}

    return headers


def test_the_directory_a_room_and_todays_openings_in_english(world, client, as_):
    book(world.staff, world.opening, at(9), at(10), purpose="opening", public_title="闵行区某道路改建工程")
    actions.do_schedule_maintenance(
        actor=world.staff, room_id=world.evaluation.pk, start=at(14), end=at(16), reason="空调检修"
    )
    staff = as_(world.staff)
    pages = {
        "/venues/": "开评标场所目录",
        f"/venues/rooms/{world.evaluation.pk}/": "隔离区：门禁、存放通讯设备、进出登记",
        f"/venues/sites/{world.site.pk}/": "添加房间",
        "/venues/today/?date=2026-03-03": "仅显示项目单位同意公开名称的开标场次",
    }
    for url, chinese in pages.items():
        assert chinese in client.get(url, headers=staff).content.decode(), url
    assert "2026年3月3日" in client.get("/venues/today/?date=2026-03-03").content.decode()
    use_english(client)
    english = {
        "/venues/": (
            "Opening and evaluation venues",
            "Evaluation room",
            "Capacity",
            "Register a venue",
            "Isolated area",
        ),
        f"/venues/rooms/{world.evaluation.pk}/": (
            "Seats (7)",
            "Maintenance windows",
            "Add seats",
            "Full audio and video recording",
            "Seats (one a line: number,camera id)",
        ),
        f"/venues/sites/{world.site.pk}/": ("Add a room", "Room number", "Opening room", "60 people", "7 seats"),
        "/venues/today/?date=2026-03-03": ("Today's openings", "3 March 2026", "Previous day"),
        "/venues/sites/new/": ("Register a venue", "Venue name", "Region (region code)", "Register"),
    }
    for url, words in english.items():
        html = client.get(url, headers=staff).content.decode()
        for word in words:
            assert word in html, (url, word)
        assert chinese_left(html, *_data(world), "闵行区某道路改建工程", "空调检修") == [], url
    public = client.get(f"/venues/rooms/{world.evaluation.pk}/", headers=as_(support.agency())).content.decode()
    assert "Maintenance" in public
    assert chinese_left(public, *_data(world), "测试用户400", "代理机构400") == []


def test_booking_a_room_and_deciding_in_english(world, client, as_):
    pending = book(world.staff, world.pudong_eval, at(9), at(12), seats=3, title="外区评标")
    staff = as_(world.staff)
    mine = book(world.staff, world.evaluation, at(9), at(12), seats=2, title="闵行评标")
    pages = {
        "/venues/bookings/new/": "填写房间、用途与起止时间后自动检查冲突。",
        f"/venues/bookings/{mine.pk}/": "办理记录",
        "/venues/bookings/": "全部状态",
        "/venues/calendar/?date=2026-03-03&view=week": "房间占用",
    }
    for url, chinese in pages.items():
        assert chinese in client.get(url, headers=staff).content.decode(), url
    pudong = as_(world.pudong_staff)
    assert "场地申请审批" in client.get("/venues/approvals/", headers=pudong).content.decode()
    use_english(client)
    english = {
        "/venues/bookings/new/": (
            "Room request",
            "Start (Beijing time)",
            "Business object reference",
            "Evaluation room",
        ),
        f"/venues/bookings/{mine.pk}/": ("Approved", "History", "Room requested", "Cancel the booking"),
        "/venues/bookings/": ("Bookings", "All statuses", "Awaiting approval", "Applicant"),
        "/venues/calendar/?date=2026-03-03&view=week": ("Room occupancy", "Next week", "Week", "Approved"),
    }
    data = [*_data(world), "外区评标", "闵行评标"]
    for url, words in english.items():
        html = client.get(url, headers=staff).content.decode()
        for word in words:
            assert word in html, (url, word)
        assert chinese_left(html, *data) == [], url

    def check(room, purpose: str, hours: str) -> str:
        """The booking preview for 2026-03-03 ``hours`` ("14:00-15:00") of ``room``."""
        start, end = hours.split("-")
        form = {"room_id": room.pk, "purpose": purpose, "start": f"2026-03-03T{start}", "end": f"2026-03-03T{end}"}
        return client.post("/venues/bookings/check/", {**form, "seats": 0}, headers=staff).content.decode()

    free = check(world.negotiation, "negotiation", "14:00-15:00")
    assert "This slot is free" in free
    assert chinese_left(free) == []
    clash = check(world.evaluation, "evaluation", "10:00-11:00")
    assert "Existing booking" in clash
    assert chinese_left(clash) == []  # the refusal's English message with its code
    queue = client.get("/venues/approvals/", headers=pudong).content.decode()
    for word in ("Room request approvals", "1 awaiting approval", "Approve", "Reject", "Reason for rejection"):
        assert word in queue, word
    assert chinese_left(queue, *data) == []
    page = client.get(f"/venues/bookings/{pending.pk}/", headers=pudong).content.decode()
    assert "Awaiting approval" in page
    assert chinese_left(page, *data) == []


def test_a_remote_session_the_desk_and_the_access_log_in_english(world, client, clock, as_):
    session = actions.do_create_remote_session(
        actor=world.staff,
        owner_ref="tender.section:88",
        title="沪苏远程异地评标",
        start=at(9),
        end=at(12),
        main={"room_id": world.evaluation.pk, "seats": 2},
        secondaries=[{"room_id": world.suzhou_remote.pk, "seats": 2}],
    )
    main = session.bookings.get(session_role="main")
    secondary = session.bookings.get(session_role="secondary")
    actions.do_approve_booking(actor=world.suzhou_staff, booking_id=secondary.pk)
    actions.do_seat_session(
        actor=world.staff,
        session_id=session.pk,
        committee=[
            {"expert_ref": "e:1", "home_region": "310112", "name": "王工", "account_id": 501},
            {"expert_ref": "e:2", "home_region": "320506", "name": "李工"},
        ],
    )
    clock.set(at(8, 40))
    actions.do_check_in_expert(actor=world.staff, booking_id=main.pk, expert_ref="e:1")
    actions.do_record_access(
        actor=world.staff,
        booking_id=main.pk,
        person_ref="e:1",
        name="王工",
        person_kind="expert",
        direction="enter",
        devices_deposited=True,
    )
    staff = as_(world.staff)
    pages = {
        f"/venues/sessions/{session.pk}/": "各场已就绪",
        f"/venues/bookings/{main.pk}/desk/": "专家自助签到码",
        f"/venues/bookings/{main.pk}/access/": "隔离评标区进出登记",
        "/venues/sessions/new/": "近期场次",
    }
    for url, chinese in pages.items():
        assert chinese in client.get(url, headers=staff).content.decode(), url
    use_english(client)
    english = {
        f"/venues/sessions/{session.pk}/": (
            "Remote evaluation",
            "All sites ready",
            "Main site",
            "checked in",
            "Seat by region",
        ),
        f"/venues/bookings/{main.pk}/desk/": ("Check-in desk", "Code for experts' self check-in", "Check-in"),
        f"/venues/bookings/{main.pk}/access/": (
            "Access log of the isolated evaluation area",
            "People inside (1)",
            "Evaluation expert",
            "Devices deposited",
            "Phone and other devices deposited",
        ),
        "/venues/sessions/new/": ("Remote evaluation session", "Main-site room (this centre)", "Recent sessions"),
        f"/venues/bookings/{main.pk}/": (
            "Expert seats and check-in",
            f"Session {session.pk}",
            "(main site)",
            "Access log",
        ),
    }
    data = [*_data(world), "沪苏远程异地评标", "王工", "李工"]
    for url, words in english.items():
        html = client.get(url, headers=staff).content.decode()
        for word in words:
            assert word in html, (url, word)
        assert chinese_left(html, *data) == [], url
    expert = as_(support.expert_actor(501))
    html = client.get("/venues/check-in/", headers=expert).content.decode()
    assert "Expert check-in" in html
    assert "Checked in at 08:40" in html
    assert chinese_left(html, *data, "专家501", "测试用户501") == []
