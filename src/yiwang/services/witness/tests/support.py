"""Test helpers of on-site records: actors and a page/API resolver (independent of other contexts' tests)."""

from __future__ import annotations

import io
import json
from typing import Any

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform import testing
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # enough for the store's type sniffing


def person(n: int, *grants: RoleGrant, label: str) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label, tuple(grants))


def staff(region: str = "310112", n: int = 201) -> Actor:
    return person(n, RoleGrant(Role.STAFF, region=region), label=f"见证人员{n}")


def regulator(region: str = "310000", n: int = 300) -> Actor:
    return person(n, RoleGrant(Role.REGULATOR, region=region), label=f"监管{n}")


def agency(n: int = 400) -> Actor:
    return person(n, RoleGrant(Role.AGENCY, entity_id=1), label=f"代理{n}")


def png(name: str = "现场照片.png"):
    from yiwang.services.witness.actions import Upload

    return Upload(name, io.BytesIO(PNG))


def witnessed(base: testing.Base, action: str) -> list[dict[str, Any]]:
    return [
        json.loads(e.payload_text)
        for e in base.entries()
        if e.fields.action == action and e.fields.object_type == "onsite.onsiterecord"
    ]


def events(base: testing.Base, event_type: str) -> list[Any]:
    return [e for e in base.events() if e.event_type == event_type]
