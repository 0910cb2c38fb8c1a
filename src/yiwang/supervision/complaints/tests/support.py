"""Actors, entities, a recording procedure port and log helpers for the complaints tests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import Conflict
from yiwang.kernel.ids import make_uscc
from yiwang.platform import testing
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.registry import actions as registry_actions
from yiwang.supervision.complaints.models import Complaint

SYSTEM = Actor.system("test")

CALLS: list[tuple[str, str, str]] = []


class RecordingPort:
    """Remembers what it was told; refuses procedures whose ref ends with ``:locked``."""

    def suspend(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime, order_ref: str) -> None:
        if procedure_ref.endswith(":locked"):
            raise Conflict("tender.wrong_state", "该标段当前不能暂停", "cannot suspend now", {})
        CALLS.append(("suspend", procedure_ref, reason))

    def resume(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime, order_ref: str) -> None:
        CALLS.append(("resume", procedure_ref, reason))


def person(n: int, *grants: RoleGrant, label: str) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label, tuple(grants))


def regulator(region: str = "310112", n: int = 301) -> Actor:
    return person(n, RoleGrant(Role.REGULATOR, region=region), label=f"监管{n}（{region}）")


def user_of(entity_id: int, n: int = 601) -> Actor:
    return person(n, RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id), label=f"主体用户{n}")


def register_company(orgcode: str, name: str, region: str = "310112") -> int:
    entity = registry_actions.do_register_entity(
        actor=SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": make_uscc("9", "1", region, orgcode),
            "name": name,
            "legal_rep_name": "李明",
            "legal_rep_id_number": "310117198001011230",
            "region_code": region,
            "address": "上海市闵行区沪闵路 2 号",
            "contact_name": "李明",
            "contact_phone": "13800000002",
            "registered_capital_fen": 100_000_000,
            "established_on": "2003-05-06",
            "enterprise_nature": "1",
            "business_scope": "建筑工程施工。",
            "roles": ["bidder"],
        },
    )
    return entity.pk


def state() -> tuple[testing.LogState, int]:
    return testing.log_state(), Complaint.objects.count()


def witnessed(base: testing.Base, action: str) -> list[dict[str, Any]]:
    return [json.loads(e.payload_text) for e in base.entries() if e.fields.action == action]


def events(base: testing.Base) -> list[Any]:
    return [e for e in base.events() if e.event_type.startswith("complaints.")]
