"""Ports the tender context declares and others implement (chosen by settings).

**Credit (信用).** Blacklists and other credit sanctions live in supervision, a tier *above* trading, so trading
cannot import it. This module declares what the bid gate needs — ``CreditGate.check(entity_id, at) ->
list[Sanction]`` — and supervision implements it later (``settings.YIWANG_TENDER["CREDIT_GATE"]`` names the
class). The default adapter knows no sanctions. A bidder with any sanction in force at the submission instant
(and again at the deadline, when the valid bids are handed to the evaluation) is refused with the sanction's
reason and source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from yiwang.trading.tender.conf import tender_settings


@dataclass(frozen=True)
class Sanction:
    """A credit sanction in force (失信/黑名单/限制投标): who, what, why, on which basis, until when."""

    entity_id: int
    kind: str  # blacklist (严重失信名单) | restriction (限制参加招标投标活动) | other
    reason: str  # 处罚事由, shown to the bidder
    authority: str = ""  # 决定机关
    source: str = ""  # 依据 (decision number, rule)
    starts: date | None = None
    ends: date | None = None
    ref: str = ""  # the implementing context's reference (supervision.credit:…)

    def as_json(self) -> dict[str, str | int | None]:
        return {
            "entity_id": self.entity_id,
            "kind": self.kind,
            "reason": self.reason,
            "authority": self.authority,
            "source": self.source,
            "starts": self.starts.isoformat() if self.starts else None,
            "ends": self.ends.isoformat() if self.ends else None,
            "ref": self.ref,
        }


class CreditGate(Protocol):
    def check(self, entity_id: int, at: datetime) -> list[Sanction]:
        """The sanctions in force against ``entity_id`` at ``at`` that bar it from bidding (empty: none)."""
        ...


class NoCreditGate:
    """The default adapter until supervision provides one: nobody is sanctioned."""

    def check(self, entity_id: int, at: datetime) -> list[Sanction]:
        return []


def credit_gate() -> CreditGate:
    from django.utils.module_loading import import_string

    return import_string(tender_settings().credit_gate)()
