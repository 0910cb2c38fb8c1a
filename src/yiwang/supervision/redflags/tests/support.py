"""Actors and log helpers for the red-flag tests (independent of other contexts' tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import NotAuthenticated
from yiwang.platform import testing
from yiwang.supervision.redflags.models import Alert, AlertEvent, AlertFinding, IndicatorFeedback, Run, RunFinding

ACTORS: dict[str, Actor] = {}


class TestActors:
    __test__ = False

    def from_bearer(self, request: HttpRequest, token: str) -> Actor:
        actor = ACTORS.get(token)
        if actor is None:
            raise NotAuthenticated("auth.invalid_token", "访问令牌无效", "The access token is invalid")
        return actor

    def from_session(self, request: HttpRequest) -> Actor:
        return ACTORS.get(request.headers.get("X-Test-Actor", ""), Actor.anonymous())


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
