"""Test helpers of the registry: actors without the identity context, registration data, log counters."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors

# Demo companies of registry/data/authoritative_demo.json
PUJIANG = "91310115MA1FL2X37F"  # 上海浦江数智建设工程有限公司, 浦东新区
MINHANG = "91310112MA1G8K4P1Q"  # 上海闵行绿源环保科技有限公司, 闵行区
SHENCHENG = "91310000132260947A"  # 上海申城工程咨询有限公司 (registrar 310000, seat 静安 310106)
CANCELLED = "91310101MA1H9W2E87"  # 上海黄浦旧城置业有限公司, 注销
SOLE_TRADER = "92310112L4567890X1"  # 个体工商户
# A valid USCC the authoritative source does not know (typed in by hand).
UNKNOWN = "91310117MA1K7T4W1Q"


def person(n: int | str, *grants: RoleGrant, label: str | None = None) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label or f"测试用户{n}", tuple(grants))


def admin_of(entity_id: int, n: int | str = 100) -> Actor:
    return person(n, RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id, admin=True), label=f"主体管理员{n}")


def user_of(entity_id: int, n: int | str = 101) -> Actor:
    return person(n, RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id), label=f"主体用户{n}")


def staff(region: str = "310000", n: int | str = 200) -> Actor:
    return person(n, RoleGrant(Role.STAFF, region=region), label=f"交易中心{n}")


def regulator(region: str = "310000", n: int | str = 300) -> Actor:
    return person(n, RoleGrant(Role.REGULATOR, region=region), label=f"监管{n}")


def org_data(uscc: str = PUJIANG, **overrides: Any) -> dict[str, Any]:
    """A registration of a demo company: only what the authoritative source does not know."""
    data = {
        "kind": "legal_person",
        "uscc": uscc,
        "contact_name": "刘敏",
        "contact_phone": "13812345678",
        "contact_email": "liumin@example.com",
        "roles": ["bidder"],
    }
    data.update(overrides)
    return data


def full_org_data(uscc: str = UNKNOWN, **overrides: Any) -> dict[str, Any]:
    """A registration typed in full (the source has no record of ``uscc``)."""
    data = {
        "kind": "legal_person",
        "uscc": uscc,
        "name": "上海松江示范机电安装有限公司",
        "legal_rep_name": "吴刚",
        "legal_rep_id_number": "310117198001011230",
        "region_code": "310117",
        "address": "上海市松江区示范路 1 号",
        "contact_name": "吴刚",
        "contact_phone": "021-57123456",
        "registered_capital_fen": 100_000_000,
        "established_on": "2020-05-06",
        "enterprise_nature": "5",
        "business_scope": "机电设备安装。",
        "roles": ["bidder", "supplier"],
    }
    data.update(overrides)
    return data


def person_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "natural_person",
        "id_document_type": "resident_id",
        "id_number": "310112199001011233",
        "name": "赵小明",
        "region_code": "310112",
        "contact_name": "赵小明",
        "contact_phone": "13912345678",
        "roles": ["transferee"],
    }
    data.update(overrides)
    return data


def counts() -> dict[str, int]:
    """Rows that a refused action must not leave behind."""
    names = {
        "witness": ("audit", "WitnessEntry"),
        "events": ("outbox", "OutboxEvent"),
        "entities": ("registry", "Entity"),
        "roles": ("registry", "EntityRole"),
        "changes": ("registry", "EntityChange"),
        "qualifications": ("registry", "Qualification"),
        "personnel": ("registry", "Personnel"),
        "certificates": ("registry", "PractisingCertificate"),
        "accounts": ("registry", "BankAccount"),
        "idempotency": ("platform_api", "IdempotencyRecord"),
    }
    return {key: apps.get_model(*model).objects.count() for key, model in names.items()}


def events(event_type: str) -> list[Any]:
    return list(apps.get_model("outbox", "OutboxEvent").objects.filter(event_type=event_type).order_by("seq"))


def witness_entries(action: str) -> list[Any]:
    return list(apps.get_model("audit", "WitnessEntry").objects.filter(action=action).order_by("seq"))


class StaticSource:
    """An authoritative source whose records a test sets (``StaticSource.records[uscc] = OfficialRecord(...)``)."""

    records: dict[str, Any] = {}

    def lookup(self, uscc: str) -> Any:
        return self.records.get(uscc)
