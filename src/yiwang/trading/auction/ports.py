"""Ports the auction context declares and higher tiers implement.

``CreditGate``: may this entity register to bid? Credit (失信被执行人, blacklists) lives in supervision, above
trading; supervision sets an adapter through ``settings.YIWANG_AUCTION_CREDIT_GATE`` (a dotted path). The default
lets everyone through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class CreditDecision:
    allowed: bool
    reason_zh: str = ""
    reason_en: str = ""


class CreditGate(Protocol):
    def check(self, *, entity_id: int, category: str, region_code: str) -> CreditDecision: ...


class NoSanctions:
    """The default: nobody is barred."""

    def check(self, *, entity_id: int, category: str, region_code: str) -> CreditDecision:
        return CreditDecision(True)


_override: CreditGate | None = None


def credit_gate() -> CreditGate:
    if _override is not None:
        return _override
    path = getattr(settings, "YIWANG_AUCTION_CREDIT_GATE", "")
    return import_string(path)() if path else NoSanctions()


def use_credit_gate(gate: CreditGate | None) -> None:
    """Tests and wiring: replace the gate (None restores the settings' one)."""
    global _override
    _override = gate
