"""Test helpers: actors without the identity context, participants registered in the registry, a market."""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.registry import actions as registry_actions
from yiwang.trading.orderbook import actions

SYSTEM = Actor.system("test")
# companies of the registry's authoritative demo source
USCCS = ("91310115MA1FL2X37F", "91310112MA1G8K4P1Q", "91310104132203571A", "91310000132260947A", "91310117MA1J5R6T2U")


def person(n: int | str, *grants: RoleGrant, label: str | None = None) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label or f"测试用户{n}", tuple(grants))


def user_of(entity_id: int) -> Actor:
    return person(f"u{entity_id}", RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id))


def staff() -> Actor:
    return person("staff", RoleGrant(Role.STAFF, region="310000"), label="交易中心工作人员")


@dataclass(frozen=True)
class Trader:
    entity_id: int
    name: str
    actor: Actor


def register(uscc: str) -> Trader:
    entity = registry_actions.do_register_entity(
        actor=SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": uscc,
            "contact_name": "王芳",
            "contact_phone": "13812345678",
            "roles": ["transferor", "transferee"],
        },
    )
    return Trader(entity.pk, entity.name, user_of(entity.pk))


def make_market(
    code: str = "SHEA",
    mode: str = "listing",
    reference_fen: int = 6000,
    *,
    traders: int = 3,
    cash_fen: int = 1_000_000_000,
    allowances_t: int = 200_000,
    open_day: bool = True,
):
    """A market with ``traders`` funded participants (10 million yuan and 200 kt each), its day open."""
    actions.do_create_market(actor=SYSTEM, code=code, name=f"测试品种 {code}", mode=mode, reference_fen=reference_fen)
    people = []
    for uscc in USCCS[:traders]:
        t = register(uscc)
        actions.do_open_account(actor=SYSTEM, market_code=code, entity_id=t.entity_id)
        actions.do_deposit_cash(actor=SYSTEM, market_code=code, entity_id=t.entity_id, amount_fen=cash_fen)
        actions.do_deposit_allowances(actor=SYSTEM, market_code=code, entity_id=t.entity_id, quantity_t=allowances_t)
        people.append(t)
    if open_day:
        actions.do_open_trading_day(actor=SYSTEM, market_code=code)
    return people
