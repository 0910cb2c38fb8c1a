"""Test helpers of finance: actors without the identity context, bidders with basic accounts, lots, payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.apps import apps

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api.testing import ACTORS as ACTORS
from yiwang.platform.api.testing import TestActors as TestActors
from yiwang.platform.clock import now
from yiwang.registry import actions as registry_actions
from yiwang.services.finance import actions, bank

SYSTEM = Actor.system("test")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 2026-03-02 09:00 Shanghai, as the root conftest clock
# demo companies of the registry's authoritative demo source
PUJIANG = "91310115MA1FL2X37F"
MINHANG = "91310112MA1G8K4P1Q"
SHENCHENG = "91310000132260947A"


def person(n: int | str, *grants: RoleGrant, label: str | None = None) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(n), label or f"测试用户{n}", tuple(grants))


def user_of(entity_id: int, n: int | str | None = None) -> Actor:
    return person(n or f"u{entity_id}", RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id))


def staff(n: int | str = "staff") -> Actor:
    return person(n, RoleGrant(Role.STAFF, region="310000"), label="交易中心工作人员")


def regulator(n: int | str = "reg") -> Actor:
    return person(n, RoleGrant(Role.REGULATOR, region="310000"), label="监管人员")


@dataclass(frozen=True)
class Bidder:
    entity_id: int
    name: str
    basic_account: str
    actor: Actor


def make_bidder(uscc: str, account_number: str) -> Bidder:
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
            "account_number": account_number,
        },
    )
    return Bidder(entity.pk, entity.name, account_number, user_of(entity.pk))


def make_lot(
    ref: str = "tender.section:1",
    *,
    regime: str = "works",
    amount_fen: int | None = 10_000_000,
    rate: str | None = None,
    base_fen: int | None = 1_000_000_000,
    opening_in: timedelta = timedelta(days=20),
    actor: Actor = SYSTEM,
):
    return actions.do_set_deposit_requirement(
        actor=actor,
        lot_ref=ref,
        regime=regime,
        opening_at=now() + opening_in,
        amount_fen=amount_fen,
        rate=rate,
        base_fen=base_fen,
        title=f"测试标段 {ref}",
    )


def pay(
    deposit,
    amount_fen: int,
    payer_account: str,
    *,
    ref: str | None = None,
    payer_name: str = "付款人",
    booked_at: datetime | None = None,
    post: bool = True,
    virtual_account: str | None = None,
):
    """The simulated bank books a transfer and delivers its signed notice to the platform."""
    notice = bank.SimulatedBank().pay_in(
        virtual_account=virtual_account or deposit.virtual_account,
        amount_fen=amount_fen,
        payer_account=payer_account,
        payer_name=payer_name,
        ref=ref,
        booked_at=booked_at,
    )
    return actions.receive_bank_notice(
        bank_code=notice.bank_code, body=notice.body, signature=notice.signature, post=post
    )


def count(model: str) -> int:
    return apps.get_model("finance", model).objects.count()


def events(event_type: str) -> list:
    return list(apps.get_model("outbox", "OutboxEvent").objects.filter(event_type=event_type).order_by("seq"))


def witness(action: str) -> list:
    return list(apps.get_model("audit", "WitnessEntry").objects.filter(action=action).order_by("seq"))
