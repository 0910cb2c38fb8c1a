"""Actors and log helpers for the red-flag tests (independent of other contexts' tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform import testing
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.supervision.redflags.models import Alert, AlertEvent, AlertFinding, IndicatorFeedback, Run, RunFinding


def person(n: int, *grants: RoleGrant, label: str) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label, tuple(grants))


def regulator(region: str = "310112", n: int = 301) -> Actor:
    return person(n, RoleGrant(Role.REGULATOR, region=region), label=f"监管{n}（{region}）")


def auditor(region: str = "310000", n: int = 501) -> Actor:
    return person(n, RoleGrant(Role.AUDITOR, region=region), label=f"审计{n}")


def staff(region: str = "310112", n: int = 201) -> Actor:
    return person(n, RoleGrant(Role.STAFF, region=region), label=f"工作人员{n}")


def bidder(entity_id: int = 9001, n: int = 601) -> Actor:
    return person(n, RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id), label=f"投标人{n}")


@dataclass(frozen=True)
class State:
    log: testing.LogState
    rows: dict[str, int]


def state() -> State:
    rows = {
        m.__name__: m.objects.count() for m in (Run, RunFinding, Alert, AlertFinding, AlertEvent, IndicatorFeedback)
    }
    return State(testing.log_state(), rows)


def witnessed(base: testing.Base, action: str) -> list[dict[str, Any]]:
    return [json.loads(e.payload_text) for e in base.entries() if e.fields.action == action]


def events(base: testing.Base, prefix: str = "redflags.") -> list[Any]:
    return [e for e in base.events() if e.event_type.startswith(prefix)]
