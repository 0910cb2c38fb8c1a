"""Test helpers: actors without the identity context, bidders in the registry, lots, paid deposits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.platform.clock import now
from yiwang.registry import actions as registry_actions
from yiwang.services.finance import actions as finance
from yiwang.services.finance import bank
from yiwang.trading.auction import actions

SYSTEM = Actor.system("test")
# companies of the registry's authoritative demo source
USCCS = ("91310115MA1FL2X37F", "91310112MA1G8K4P1Q", "91310104132203571A", "91310000132260947A", "91310117MA1J5R6T2U")


def person(n: int | str, *grants: RoleGrant, label: str | None = None) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label or f"测试用户{n}", tuple(grants))


def staff() -> Actor:
    return person("staff", RoleGrant(Role.STAFF, region="310000"), label="交易中心工作人员")


@dataclass(frozen=True)
class Person:
    entity_id: int
    name: str
    account: str
    actor: Actor


def make_bidder(i: int) -> Person:
    uscc = USCCS[i]
    account = f"62220210000{i:05d}"
    entity = registry_actions.do_register_entity(
        actor=SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": uscc,
            "contact_name": "刘敏",
            "contact_phone": "13812345678",
            "roles": ["bidder"],
        },
    )
    registry_actions.do_set_basic_account(
        actor=SYSTEM,
        entity_id=entity.pk,
        expected_version=None,
        data={
            "bank_name": "中国工商银行",
            "branch_name": "上海分行",
            "account_name": entity.name,
            "account_number": account,
        },
    )
    actor = person(f"u{entity.pk}", RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity.pk))
    return Person(entity.pk, entity.name, account, actor)


def pay_deposit(lot, who: Person, amount_fen: int | None = None) -> None:
    deposit = finance.do_open_deposit_account(actor=who.actor, lot_ref=lot.finance_ref, entity_id=who.entity_id)
    notice = bank.SimulatedBank().pay_in(
        virtual_account=deposit.virtual_account,
        amount_fen=amount_fen or lot.deposit_fen,
        payer_account=who.account,
        payer_name=who.name,
        booked_at=now(),
    )
    finance.receive_bank_notice(bank_code=notice.bank_code, body=notice.body, signature=notice.signature, post=True)


def judicial_spec(**over) -> actions.LotSpec:
    start = now() + timedelta(hours=1)
    data = {
        "preset": "judicial",
        "title": "浦东新区某路 88 号 1201 室房产",
        "start_price_fen": 70_000_000,
        "step_fen": 1_000_000,
        "start_at": start,
        "end_at": start + timedelta(hours=24),
        "appraisal_fen": 100_000_000,
        "deposit_fen": 7_000_000,
    }
    data.update(over)
    return actions.LotSpec(**data)


def count(model: str, app: str = "auction") -> int:
    return apps.get_model(app, model).objects.count()


def witness(prefix: str = "auction.") -> int:
    return apps.get_model("audit", "WitnessEntry").objects.filter(action__startswith=prefix).count()


def events(prefix: str = "auction.") -> int:
    return apps.get_model("outbox", "OutboxEvent").objects.filter(event_type__startswith=prefix).count()


def commands_of(lot) -> int:
    return apps.get_model("commands", "Command").objects.filter(stream=lot.stream).count()


def footprint(lot=None) -> tuple:
    """Everything an auction action may leave behind."""
    return (
        count("Lot"),
        count("Bidder"),
        count("Bid"),
        count("Intervention"),
        witness(),
        events(),
        apps.get_model("commands", "Command").objects.count(),
        apps.get_model("live", "LiveEvent").objects.count(),
    )
