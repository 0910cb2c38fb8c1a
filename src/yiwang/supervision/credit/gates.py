"""Adapters that let lower tiers enforce credit sanctions through the ports they declare (失信联合惩戒).

Trading sits below supervision and cannot import it, so the tender context declares
``yiwang.trading.tender.ports.CreditGate`` and names the adapter in its settings::

    YIWANG_TENDER = {"CREDIT_GATE": "yiwang.supervision.credit.gates.TenderCreditGate"}

The adapter answers from :func:`yiwang.supervision.credit.queries.is_restricted` with the ``bidding`` action,
so a bidder is refused while a penalty, violation or black-list record restricting bidding is in force on the
Shanghai day of the instant asked about.
"""

from __future__ import annotations

from datetime import date, datetime

from yiwang.registry import queries as registry
from yiwang.registry.ports import RoleDecision
from yiwang.supervision.credit.domain.records import ConfinedAction, Kind
from yiwang.supervision.credit.queries import Reason, is_restricted, restricted_entities
from yiwang.trading.auction.ports import CreditDecision
from yiwang.trading.tender.ports import Sanction


def _sanction(entity_id: int, reason: Reason) -> Sanction:
    source = "；".join(x for x in (reason.decision_number, reason.basis) if x)
    return Sanction(
        entity_id=entity_id,
        kind="blacklist" if reason.kind == Kind.BLACKLIST else "restriction",
        reason=f"{reason.kind_label}：{reason.title}",
        authority=reason.authority,
        source=source,
        starts=reason.starts_on,
        ends=reason.ends_on,
        ref=reason.ref,
    )


class TenderCreditGate:
    """``CreditGate`` for the tender context: the credit sanctions barring ``entity_id`` from bidding at ``at``."""

    def check(self, entity_id: int, at: datetime) -> list[Sanction]:
        found = is_restricted(entity_id, on=at, action=ConfinedAction.BIDDING)
        return [_sanction(entity_id, r) for r in found.reasons]


class AuctionCreditGate:
    """``CreditGate`` for the auction context (``YIWANG_AUCTION_CREDIT_GATE``): an entity whose records restrict
    taking part in auctions (竞买) today may not register for a lot; the reasons name the records."""

    def check(self, *, entity_id: int, category: str, region_code: str) -> CreditDecision:
        found = is_restricted(entity_id, action=ConfinedAction.AUCTION)
        if not found:
            return CreditDecision(True)
        zh = "；".join(f"{r.kind_label}：{r.title}（{r.authority}）" for r in found.reasons)
        en = "; ".join(f"{r.kind} record {r.ref}" for r in found.reasons)
        return CreditDecision(False, reason_zh=f"信用记录限制竞买：{zh}", reason_en=f"restricted from auctions: {en}")


class RegistryRoleGate:
    """``RoleGate`` for the registry (``YIWANG_REGISTRY_ROLE_GATE``): an entity whose records restrict
    registration (限制办理主体登记或新增交易角色) today may not take on a trading role it did not have; the reasons
    name the records."""

    def check(self, *, entity_id: int, roles: tuple[str, ...]) -> RoleDecision:
        found = is_restricted(entity_id, action=ConfinedAction.REGISTRATION)
        if not found:
            return RoleDecision(True)
        zh = "；".join(f"{r.kind_label}：{r.title}（{r.authority}）" for r in found.reasons)
        en = "; ".join(f"{r.kind} record {r.ref}" for r in found.reasons)
        return RoleDecision(
            False,
            reason_zh=f"信用记录限制新增交易角色：{zh}",
            reason_en=f"restricted from taking on new trading roles: {en}",
            refs=tuple(r.ref for r in found.reasons),
        )


class ExpertCreditGate:
    """``CreditGate`` for the experts service (``YIWANG_EXPERTS_CREDIT_GATE``): natural persons whose records bar
    them from serving as evaluation experts (限制担任评标评审专家), by identity number, with the periods."""

    def barred_people(self, first: date, last: date) -> dict[str, list[tuple[date, date | None]]]:
        entities = restricted_entities(ConfinedAction.EXPERT, first, last)
        if not entities:
            return {}
        numbers = registry.natural_person_id_numbers(sorted(entities))
        return {numbers[e]: periods for e, periods in entities.items() if e in numbers}
