"""Ports the registry declares and higher tiers implement (ARCHITECTURE.md §4.1: upward needs go through ports).

``RegistrationHook``: called inside the registration action, in the same transaction, after the entity row is
written. identity implements it to make the registering person the entity's administrator, so "register my
company" is one atomic, witnessed step — the registry itself never imports identity.

``RoleGate``: asked before an entity takes on a trading role it did not have (新增交易角色). Credit sanctions
live in supervision, a tier above; its adapter (``YIWANG_REGISTRY_ROLE_GATE``) refuses an entity whose records
restrict registration (失信联合惩戒: 限制办理主体登记或新增交易角色). A new registration has no records yet (they
are kept per registered entity), so the gate is asked when roles are added to a registered entity.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.kernel.actors import Actor


class RegistrationHook(Protocol):
    def entity_registered(self, *, actor: Actor, entity_id: int, roles: tuple[str, ...]) -> None: ...


class NoRegistrationHook:
    def entity_registered(self, *, actor: Actor, entity_id: int, roles: tuple[str, ...]) -> None:
        return None


@cache
def registration_hook() -> RegistrationHook:
    path = getattr(settings, "YIWANG_REGISTRY_REGISTRATION_HOOK", "")
    return import_string(path)() if path else NoRegistrationHook()


@dataclass(frozen=True)
class RoleDecision:
    allowed: bool
    reason_zh: str = ""
    reason_en: str = ""
    refs: tuple[str, ...] = ()  # the records behind a refusal (e.g. ``supervision.credit:12``)


class RoleGate(Protocol):
    def check(self, *, entity_id: int, roles: tuple[str, ...]) -> RoleDecision: ...


class NoRoleGate:
    """The default until supervision provides an adapter: every role may be taken on."""

    def check(self, *, entity_id: int, roles: tuple[str, ...]) -> RoleDecision:
        return RoleDecision(True)


@cache
def role_gate() -> RoleGate:
    path = getattr(settings, "YIWANG_REGISTRY_ROLE_GATE", "")
    return import_string(path)() if path else NoRoleGate()
