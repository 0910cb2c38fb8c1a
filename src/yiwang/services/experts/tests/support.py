"""Test helpers of the experts context: actors, registry firms, enrolled experts, draw requests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.apps import apps

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.ids import make_resident_id, make_uscc
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.platform.clock import now
from yiwang.registry import actions as registry_actions


def person(n: int | str, *grants: RoleGrant, label: str | None = None) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label or f"测试用户{n}", tuple(grants))


def staff(region: str = "310000", n: int = 200) -> Actor:
    return person(n, RoleGrant(Role.STAFF, region=region), label=f"交易中心{n}")


def regulator(region: str = "310000", n: int = 300) -> Actor:
    return person(n, RoleGrant(Role.REGULATOR, region=region), label=f"监管{n}")


def auditor(region: str = "310000", n: int = 310) -> Actor:
    return person(n, RoleGrant(Role.AUDITOR, region=region), label=f"审计{n}")


def expert_actor(account_id: int, label: str = "专家") -> Actor:
    return person(account_id, RoleGrant(Role.EXPERT), label=label)


def party(entity_id: int, n: int = 400) -> Actor:
    return person(n, RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id), label=f"主体用户{n}")


_firms = iter(range(1, 10_000_000))


def make_firm(name: str | None = None, region: str = "310112") -> int:
    """Register a company in the registry (typed in full) and return its entity id."""
    n = next(_firms)
    uscc = make_uscc("9", "1", region, f"T{n:07d}")
    entity = registry_actions.do_register_entity(
        actor=Actor.system("test"),
        data={
            "kind": "legal_person",
            "uscc": uscc,
            "name": name or f"上海测试工程有限公司{n}",
            "legal_rep_name": "王测",
            "legal_rep_id_number": make_resident_id("310112", date(1975, 1, 1), 11),
            "region_code": region,
            "address": "上海市测试路 1 号",
            "contact_name": "王测",
            "contact_phone": "021-55550000",
            "registered_capital_fen": 100_000_000,
            "established_on": "2015-01-01",
            "enterprise_nature": "5",
            "business_scope": "工程施工。",
            "roles": ["bidder"],
        },
    )
    return entity.pk


_people = iter(range(1, 10_000_000))


def expert_data(**overrides: Any) -> dict[str, Any]:
    n = next(_people)
    birth = overrides.pop("birth", date(1970, 1, 1) + timedelta(days=n % 3000))
    data = {
        "name": f"专家{n}",
        "id_number": make_resident_id("310104", birth, n % 1000),
        "title": "高级工程师",
        "title_level": "senior",
        "kinds": ["works", "gp"],
        "region_code": "310112",
        "practice_since": "2005-07-01",
        "phone": f"139{n:08d}",
        "employer_name": "退休",
        "specialties": [{"code": "A080101", "main": True}],
        "account_id": 10_000 + n,  # every test expert can sign in (their in-site messages go to this account)
    }
    data.update(overrides)
    return data


def enrol(actor: Actor | None = None, **overrides: Any):
    from yiwang.services.experts import actions

    return actions.do_enrol_expert(actor=actor or staff(), data=expert_data(**overrides))


def request(**overrides: Any) -> dict[str, Any]:
    start = overrides.pop("start", now() + timedelta(days=2))
    data = {
        "project_ref": "TP-2026-001",
        "section_ref": "S01",
        "title": "测试道路改造工程施工",
        "kind": "works",
        "region_code": "310112",
        "region_scope": ["310000"],
        "meeting_start": start.isoformat(),
        "meeting_end": (start + timedelta(hours=4)).isoformat(),
        "venue": "评标室 3",
        "lines": [{"specialty": "A080101", "count": 5, "reserve": 2}],
        "avoided_firms": [],
        "representatives": 0,
    }
    data.update(overrides)
    return data


def counts() -> tuple[int, int]:
    """(witness entries, feed events) so far."""
    witness = apps.get_model("audit", "WitnessEntry").objects.count()
    events = apps.get_model("outbox", "OutboxEvent").objects.count()
    return witness, events


def inbox_of(expert) -> list:
    """The in-site messages of an expert's account (through the platform inbox's own query)."""
    from yiwang.platform.notify import queries as inbox

    if expert.account_id is None:
        return []
    return inbox.list_messages_for(expert_actor(expert.account_id), size=100).items
