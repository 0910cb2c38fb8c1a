"""Test helpers of the venues context: actors, trading centres with sites and rooms, times in Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from yiwang.identity import actions as identity_actions
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform import testing
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.services.venues import actions
from yiwang.services.venues.models import (
    AccessEvent,
    Assignment,
    Booking,
    BookingHistory,
    Maintenance,
    RemoteSession,
)

TOMORROW = date(2026, 3, 3)  # the clock fixture stands at 2026-03-02 09:00 Shanghai


def person(n: int | str, *grants: RoleGrant, label: str | None = None) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label or f"测试用户{n}", tuple(grants))


def staff(region: str = "310112", n: int = 200) -> Actor:
    return person(n, RoleGrant(Role.STAFF, region=region), label=f"工作人员{n}")


def regulator(region: str = "310000", n: int = 300) -> Actor:
    return person(n, RoleGrant(Role.REGULATOR, region=region), label=f"监管{n}")


def auditor(region: str = "310000", n: int = 310) -> Actor:
    return person(n, RoleGrant(Role.AUDITOR, region=region), label=f"审计{n}")


def agency(n: int = 400, entity_id: int = 1) -> Actor:
    return person(n, RoleGrant(Role.AGENCY, entity_id=entity_id), label=f"代理机构{n}")


def expert_actor(account_id: int) -> Actor:
    return person(account_id, RoleGrant(Role.EXPERT), label=f"专家{account_id}")


def public() -> Actor:
    return person(999, RoleGrant(Role.PUBLIC), label="公众")


def at(hour: int, minute: int = 0, day: date = TOMORROW) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@dataclass
class World:
    minhang: Any  # organisation 闵行分中心 (310112)
    pudong: Any  # organisation 浦东分中心 (310115)
    suzhou: Any  # organisation 苏州市公共资源交易中心 (320500)
    site: Any  # 闵行 site
    pudong_site: Any
    suzhou_site: Any
    opening: Any  # 闵行 开标室1
    evaluation: Any  # 闵行 评标室1 (isolated, seats E01–E07)
    negotiation: Any  # 闵行 谈判室1
    pudong_eval: Any  # 浦东 评标室A (seats A01–A05)
    suzhou_remote: Any  # 苏州 远程评标席位区 (seats S01–S04)
    staff: Actor  # 闵行 staff
    pudong_staff: Actor
    suzhou_staff: Actor


def seats(prefix: str, n: int) -> list[dict[str, str]]:
    return [{"number": f"{prefix}{i:02d}", "camera_id": f"cam-{prefix}{i:02d}"} for i in range(1, n + 1)]


def make_world() -> World:
    system = Actor.system("test")
    org = identity_actions.do_create_organisation
    minhang = org(actor=system, kind="trading_centre", name="闵行区公共资源交易分中心", region_code="310112")
    pudong = org(actor=system, kind="trading_centre", name="浦东新区公共资源交易分中心", region_code="310115")
    suzhou = org(actor=system, kind="trading_centre", name="苏州市公共资源交易中心", region_code="320500")
    mh, pd, sz = staff("310112", 201), staff("310115", 202), staff("320500", 203)
    site = actions.do_create_site(
        actor=mh, organisation_id=minhang.pk, name="闵行交易大厅", region_code="310112", address="沪闵路 1 号"
    )
    pudong_site = actions.do_create_site(
        actor=pd, organisation_id=pudong.pk, name="浦东交易大厅", region_code="310115", address="世纪大道 1 号"
    )
    suzhou_site = actions.do_create_site(
        actor=sz, organisation_id=suzhou.pk, name="苏州评标基地", region_code="320500", address="苏州市 1 号"
    )
    room = actions.do_create_room
    opening = room(
        actor=mh,
        site_id=site.pk,
        data={"code": "K1", "name": "开标室1", "kind": "opening_hall", "capacity": 60, "recording": True},
    )
    evaluation = room(
        actor=mh,
        site_id=site.pk,
        data={"code": "P1", "name": "评标室1", "kind": "evaluation_room", "capacity": 9, "recording": True},
    )
    actions.do_add_seats(actor=mh, room_id=evaluation.pk, seats=seats("E", 7))
    negotiation = room(
        actor=mh, site_id=site.pk, data={"code": "T1", "name": "谈判室1", "kind": "negotiation_room", "capacity": 12}
    )
    pudong_eval = room(
        actor=pd,
        site_id=pudong_site.pk,
        data={"code": "PA", "name": "评标室A", "kind": "evaluation_room", "capacity": 7},
    )
    actions.do_add_seats(actor=pd, room_id=pudong_eval.pk, seats=seats("A", 5))
    suzhou_remote = room(
        actor=sz,
        site_id=suzhou_site.pk,
        data={"code": "R1", "name": "远程评标席位区", "kind": "remote_seats", "capacity": 20, "video_link": True},
    )
    actions.do_add_seats(actor=sz, room_id=suzhou_remote.pk, seats=seats("S", 4))
    return World(
        minhang,
        pudong,
        suzhou,
        site,
        pudong_site,
        suzhou_site,
        opening,
        evaluation,
        negotiation,
        pudong_eval,
        suzhou_remote,
        mh,
        pd,
        sz,
    )


def book(actor: Actor, room: Any, start: datetime, end: datetime, **kw: Any) -> Booking:
    kw.setdefault("owner_ref", "tender.section:1")
    kw.setdefault("purpose", "opening" if room.kind == "opening_hall" else "evaluation")
    return actions.do_book_room(actor=actor, room_id=room.pk, start=start, end=end, **kw)


def committee(*members: tuple[str, str], names: bool = True) -> list[dict[str, Any]]:
    return [
        {"expert_ref": ref, "home_region": region, **({"name": f"专家{ref[-2:]}"} if names else {})}
        for ref, region in members
    ]


@dataclass(frozen=True)
class Counts:
    log: testing.LogState
    bookings: int
    history: int
    sessions: int
    assignments: int
    access: int
    maintenance: int


def counts() -> Counts:
    """Everything a refused action must leave as it was."""
    return Counts(
        testing.log_state(),
        Booking.objects.count(),
        BookingHistory.objects.count(),
        RemoteSession.objects.count(),
        Assignment.objects.count(),
        AccessEvent.objects.count(),
        Maintenance.objects.count(),
    )


def witnessed(base: testing.Base, action: str, object_type: str | None = None) -> list[dict[str, Any]]:
    """The payloads of the witness entries of ``action`` (about ``object_type``) written since ``base``."""
    import json

    return [
        json.loads(e.payload_text)
        for e in base.entries()
        if e.fields.action == action and object_type in (None, e.fields.object_type)
    ]


def events(base: testing.Base, event_type: str) -> list[Any]:
    return [e for e in base.events() if e.event_type == event_type]
