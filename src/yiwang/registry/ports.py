"""Ports the registry declares and higher tiers implement (ARCHITECTURE.md §4.1: upward needs go through ports).

``RegistrationHook``: called inside the registration action, in the same transaction, after the entity row is
written. identity implements it to make the registering person the entity's administrator, so "register my
company" is one atomic, witnessed step — the registry itself never imports identity.
"""

from __future__ import annotations

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
