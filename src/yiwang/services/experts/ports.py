"""Ports the experts service declares and higher tiers implement.

``CreditGate`` (失信联合惩戒 at the expert draw): credit records live in supervision, a tier above. A natural
person whose credit records bar them from serving as an evaluation expert (限制担任评标评审专家) is not drawn while
the bar is in force, exactly like an expert under the service's own sanction. The gate names people by their
identity number (居民身份证号码), which is how the registry knows a natural person and how the pool knows an
expert. The adapter is chosen by ``YIWANG_EXPERTS_CREDIT_GATE``; without one nobody is barred.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class CreditGate(Protocol):
    def barred_people(self, first: date, last: date) -> dict[str, list[tuple[date, date | None]]]:
        """Identity number → the periods (first day, last day or open) of credit bars on serving as an expert
        that touch the days ``first``…``last``."""
        ...


class NoCreditGate:
    def barred_people(self, first: date, last: date) -> dict[str, list[tuple[date, date | None]]]:
        return {}


@cache
def credit_gate() -> CreditGate:
    path = getattr(settings, "YIWANG_EXPERTS_CREDIT_GATE", "")
    return import_string(path)() if path else NoCreditGate()
