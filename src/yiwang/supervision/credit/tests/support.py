"""Actors, entities, the credit rules in the catalogue and log helpers for the credit tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from yiwang.catalog import actions as catalog_actions
from yiwang.catalog import queries as catalog_queries
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.ids import make_uscc
from yiwang.platform import testing
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.registry import actions as registry_actions
from yiwang.supervision.credit.models import CreditCheck, CreditRecord, RepairRequest

SYSTEM = Actor.system("test")


def person(n: int, *grants: RoleGrant, label: str) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label, tuple(grants))


def regulator(region: str = "310112", n: int = 301) -> Actor:
    return person(n, RoleGrant(Role.REGULATOR, region=region), label=f"监管{n}（{region}）")


def staff(region: str = "310112", n: int = 201) -> Actor:
    return person(n, RoleGrant(Role.STAFF, region=region), label=f"工作人员{n}")


def auditor(region: str = "310000", n: int = 501) -> Actor:
    return person(n, RoleGrant(Role.AUDITOR, region=region), label=f"审计{n}")


def user_of(entity_id: int, n: int = 601) -> Actor:
    return person(n, RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id), label=f"主体用户{n}")


def register_company(orgcode: str, name: str, region: str = "310112") -> int:
    entity = registry_actions.do_register_entity(
        actor=SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": make_uscc("9", "1", region, orgcode),
            "name": name,
            "legal_rep_name": "王强",
            "legal_rep_id_number": "310117198001011230",
            "region_code": region,
            "address": "上海市闵行区沪闵路 1 号",
            "contact_name": "王强",
            "contact_phone": "13800000001",
            "registered_capital_fen": 100_000_000,
            "established_on": "2001-05-06",
            "enterprise_nature": "1",
            "business_scope": "建筑工程施工。",
            "roles": ["bidder"],
        },
    )
    return entity.pk


# The credit rules the shipped catalogue does not list yet (docs/credit.md §Rules the catalogue must list).
CREDIT_DOCUMENT = {
    "key": "doc.cn.credit_repair_plan",
    "item_type": "document",
    "title_zh": "关于进一步完善信用修复制度的实施方案",
    "data": {
        "number": "国办发〔2025〕22号",
        "issuer": "国务院办公厅",
        "level": "normative",
        "issued_on": "2025-06-22",
        "status": "in_force",
        "confidence": "◇",
    },
}


def _rule(key: str, title: str, value: str, unit: str, kind: str, anchor: str, article: str) -> dict[str, Any]:
    return {
        "key": key,
        "item_type": "rule",
        "title_zh": title,
        "data": {
            "value": value,
            "unit": unit,
            "kind": kind,
            "anchor": anchor,
            "document": "doc.cn.credit_repair_plan",
            "article": article,
            "confidence": "◇",
        },
    }


CREDIT_RULES = [
    _rule(
        "credit.penalty_publication_min_general",
        "一般失信信息最短公示期（期满后方可申请信用修复）",
        "3",
        "month",
        "min_gap",
        "penalty_decided",
        "二",
    ),
    _rule(
        "credit.penalty_publication_max_general",
        "一般失信信息最长公示期",
        "1",
        "year",
        "duration",
        "penalty_decided",
        "二",
    ),
    _rule(
        "credit.penalty_publication_min_serious",
        "严重失信信息最短公示期（期满后方可申请信用修复）",
        "1",
        "year",
        "min_gap",
        "penalty_decided",
        "二",
    ),
    _rule(
        "credit.penalty_publication_max_serious",
        "严重失信信息最长公示期",
        "3",
        "year",
        "duration",
        "penalty_decided",
        "二",
    ),
    _rule(
        "credit.repair_review_max",
        "行业主管部门自受理信用修复申请之日起作出决定的期限",
        "3",
        "workday",
        "max_delay",
        "repair_requested",
        "明确信用修复办理期限",
    ),
]


def _draft_keys(effective_from: date) -> tuple[int, set[str]]:
    draft = catalog_actions.do_create_draft(actor=SYSTEM, kind="rules", effective_from=effective_from)
    keys = {i.key for i in catalog_queries.version_items(draft)}
    return draft.number, keys


def list_credit_rules(effective_from: date) -> None:
    """Publish a rules-catalogue version (effective ``effective_from``) that lists the credit rules as these tests
    expect them (replacing the shipped entries once the catalogue lists them)."""
    number, keys = _draft_keys(effective_from)
    for item in [CREDIT_DOCUMENT, *CREDIT_RULES]:
        replace = item["key"] if item["key"] in keys else None
        catalog_actions.do_put_item(actor=SYSTEM, kind="rules", number=number, item=item, replace_key=replace)
    catalog_actions.do_publish_version(actor=SYSTEM, kind="rules", number=number)


def unlist_credit_rules(effective_from: date, keys: list[str] | None = None) -> None:
    """Publish a version without the credit rules (or only without ``keys``)."""
    number, present = _draft_keys(effective_from)
    for key in keys or [r["key"] for r in CREDIT_RULES]:
        if key in present:
            catalog_actions.do_delete_item(actor=SYSTEM, kind="rules", number=number, key=key)
    catalog_actions.do_publish_version(actor=SYSTEM, kind="rules", number=number)


@dataclass(frozen=True)
class State:
    log: testing.LogState
    rows: dict[str, int]


def state() -> State:
    return State(
        testing.log_state(), {m.__name__: m.objects.count() for m in (CreditRecord, RepairRequest, CreditCheck)}
    )


def witnessed(base: testing.Base, action: str) -> list[dict[str, Any]]:
    return [json.loads(e.payload_text) for e in base.entries() if e.fields.action == action]


def events(base: testing.Base, prefix: str = "credit.") -> list[Any]:
    return [e for e in base.events() if e.event_type.startswith(prefix)]
