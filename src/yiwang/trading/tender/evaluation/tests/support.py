"""Test helpers: a world with staff, an expert pool whose experts have accounts and bound personal SM2
certificates (identity.ca's throwaway PKI), bidders, a tenderer and an agency in the registry, and a walk
through an evaluation from the start to the signatures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.apps import apps

from yiwang.catalog import queries as catalog
from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.identity.ca import actions as ca
from yiwang.identity.ca import queries as ca_queries
from yiwang.identity.ca.tests.support import Issued, Pki
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.crypto import sha256, sm3
from yiwang.kernel.ids import make_resident_id
from yiwang.kernel.periods import SHANGHAI  # noqa: F401  (for tests)
from yiwang.platform.clock import now
from yiwang.services.experts import actions as experts
from yiwang.services.experts import queries as experts_q
from yiwang.services.experts.tests import support as experts_support
from yiwang.trading.tender.evaluation import actions, queries
from yiwang.trading.tender.evaluation.models import Evaluation

PASSWORD = "Yiwang-test-2026"
SPECIALTY = "A080101"
_seq = iter(range(1, 10_000_000))


def make_account(prefix: str, name: str):
    n = next(_seq)
    return identity.do_create_account(
        actor=Actor.anonymous(), username=f"{prefix}{n}", display_name=name, password=PASSWORD
    )


@dataclass
class Person:
    account: Any
    issued: Issued
    expert_id: int | None = None

    @property
    def actor(self) -> Actor:
        return actor_for_account(self.account)

    def sign(self, message: bytes) -> bytes:
        return self.issued.sign(message)


@dataclass
class World:
    system: Actor
    staff_account: Any
    pki: Pki
    experts: list[Person]
    bidders: list[int]
    bidder_accounts: dict[int, Any]
    tenderer: int
    agency: int
    representative: Person | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def staff(self) -> Actor:
        return actor_for_account(self.staff_account)

    def person_of(self, account_id: int) -> Person:
        everyone = [*self.experts, *([self.representative] if self.representative else [])]
        return next(p for p in everyone if p.account.pk == account_id)


def _person(world_pki: Pki, staff: Actor, name: str, role: Role | None, system: Actor) -> Person:
    account = make_account("ev-p", name)
    if role is not None:
        identity.do_grant_role(actor=system, role=role, account=account, region="310000")
    n = next(_seq)
    issued = world_pki.issue(
        person=make_resident_id("310104", date(1970, 1, 1) + timedelta(days=n % 5000), n % 1000), name=name
    )
    ca.do_bind_certificate(actor=staff, certificate=issued.cert.der, account_id=account.pk)
    return Person(account, issued)


def make_world(system: Actor, *, experts_count: int = 7, bidders: int = 4, representative: bool = False) -> World:
    staff_account = make_account("ev-staff", "交易中心评标管理员")
    identity.do_grant_role(actor=system, role=Role.STAFF, account=staff_account, region="310000", admin=True)
    staff = actor_for_account(staff_account)
    pki = Pki("sm2", label="评标测试")
    ca.do_register_ca(actor=staff, certificate=pki.root.cert.der, mapping="demo", crl_policy="fail")
    ca.do_register_ca(actor=staff, certificate=pki.sub.cert.der, crl_policy="fail")
    ca.do_import_crl(actor=staff, crl=pki.crl("root"))
    ca.do_import_crl(actor=staff, crl=pki.crl("sub"))
    people = []
    for i in range(experts_count):
        p = _person(pki, staff, f"评标专家{i + 1}", Role.EXPERT, system)
        p.expert_id = experts_support.enrol(staff, account_id=p.account.pk).pk
        people.append(p)
    bidder_ids, bidder_accounts = [], {}
    for i in range(bidders):
        entity = experts_support.make_firm(f"上海测试投标人{i + 1}有限公司")
        bidder_ids.append(entity)
        acc = make_account("ev-b", f"投标人{i + 1}经办人")
        identity.do_grant_role(actor=system, role=Role.MARKET_ENTITY_USER, account=acc, entity_id=entity)
        bidder_accounts[entity] = acc
    world = World(
        system=system,
        staff_account=staff_account,
        pki=pki,
        experts=people,
        bidders=bidder_ids,
        bidder_accounts=bidder_accounts,
        tenderer=experts_support.make_firm("上海测试招标人有限公司"),
        agency=experts_support.make_firm("上海测试招标代理有限公司"),
    )
    if representative:
        world.representative = _person(pki, staff, "招标人代表", None, system)
        identity.do_grant_role(
            actor=system, role=Role.MARKET_ENTITY_USER, account=world.representative.account, entity_id=world.tenderer
        )
    return world


def snapshot() -> dict[str, Any]:
    return {**catalog.rules_snapshot("tender."), **catalog.rules_snapshot("gp.")}


def comprehensive_config(**overrides: Any) -> dict[str, Any]:
    config = {
        "method": "comprehensive",
        "items": [
            {"code": "tech_plan", "name": "施工组织设计", "category": "technical", "max_points": 30},
            {"code": "quality", "name": "质量保证措施", "category": "technical", "max_points": 20},
            {"code": "credit", "name": "企业信誉", "category": "commercial", "max_points": 10},
            {"code": "price", "name": "投标报价", "category": "price", "max_points": 40},
        ],
        "requirements": [
            {"code": "licence", "text": "具备建筑工程施工总承包二级及以上资质"},
            {"code": "manager", "text": "项目经理具备一级建造师（建筑工程）注册证书"},
        ],
        "ceiling_fen": 5_000_000_00,
        "candidates": 3,
        "abnormally_low": {"basis": "average", "share": "0.8"},
    }
    config.update(overrides)
    return config


def bids(world: World, prices: list[int], extra: dict[int, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return [
        {
            "entity_id": entity,
            "name": f"上海测试投标人{i + 1}有限公司",
            "pseudonym": f"投标人{chr(65 + i)}",
            "price_fen": price,
            **(extra or {}).get(i, {}),
        }
        for i, (entity, price) in enumerate(zip(world.bidders, prices, strict=False))
    ]


def committee_request(world: World, *, experts_count: int = 5, **overrides: Any) -> dict[str, Any]:
    start = overrides.pop("start", now() + timedelta(days=2))
    data = {
        "project_ref": "TP-EVAL-001",
        "title": "测试道路改造工程施工",
        "region_code": "310112",
        "meeting_start": start.isoformat(),
        "meeting_end": (start + timedelta(hours=6)).isoformat(),
        "lines": [{"specialty": SPECIALTY, "count": experts_count, "reserve": 1}],
        "tenderer_entity_id": world.tenderer,
        "agency_entity_id": world.agency,
    }
    if world.representative is not None and "representatives" not in overrides:
        data["representatives"] = [
            {"account_id": world.representative.account.pk, "name": "招标人代表", "entity_id": world.tenderer}
        ]
    data.update(overrides)
    return data


SECTIONS = iter(range(1, 10_000_000))


def start(
    world: World,
    *,
    prices: list[int] | None = None,
    config: dict | None = None,
    kind: str = "works",
    request: dict | None = None,
    bid_extra: dict | None = None,
    section: str | None = None,
) -> Evaluation:
    return actions.do_start_evaluation(
        actor=world.staff,
        section_ref=section or f"tender.section:{next(SECTIONS)}",
        kind=kind,
        config=config or comprehensive_config(),
        rules_snapshot=snapshot(),
        bids=bids(world, prices or [4_000_000_00, 4_200_000_00, 3_900_000_00, 4_100_000_00], bid_extra),
        committee_request=request or committee_request(world),
    )


def seats(ev: Evaluation) -> list:
    return experts_q.committee_for(Actor.system("test"), ev.draw_id)


def convene(world: World, ev: Evaluation, clock, *, chair: int = 1) -> Evaluation:
    """Move to the meeting start, check everybody in, convene, record the chair (评委``chair``)."""
    clock.set(ev.meeting_start + timedelta(minutes=1))
    for seat in seats(ev):
        if seat.status != "checked_in":
            actions.do_check_in_member(actor=world.staff, section_ref=ev.section_ref, seat_id=seat.id)
    for rep in ev.members.filter(kind="representative"):
        if rep.checked_in_at is None:
            actions.do_check_in_member(actor=world.staff, section_ref=ev.section_ref, account_id=rep.account_id)
    ev = actions.do_convene_committee(actor=world.staff, section_ref=ev.section_ref)
    chair_member = ev.members.get(ordinal=chair)
    return actions.do_set_chair(actor=world.staff, section_ref=ev.section_ref, member_id=chair_member.pk)


def member_people(world: World, ev: Evaluation) -> list[tuple[Any, Person]]:
    """(member row, person) for every member, in committee order."""
    return [(m, world.person_of(m.account_id)) for m in ev.members.order_by("ordinal")]


def chair_of(world: World, ev: Evaluation) -> Person:
    ev.refresh_from_db()
    return world.person_of(ev.members.get(pk=ev.chair_member_id).account_id)


def pass_all(ev: Evaluation, stage: str, fail: dict[int, tuple[str, str]] | None = None) -> dict[str, Any]:
    """A complete review sheet: everything passes, except ``fail`` (bid id → (check, note))."""
    checks = [c.code for c in actions.checks_for(ev, stage)]
    out = {}
    for b in ev.bids.filter(status="in"):
        row = {c: {"ok": True} for c in checks}
        if fail and b.pk in fail:
            code, note = fail[b.pk]
            row[code] = {"ok": False, "note": note}
        out[str(b.pk)] = row
    return out


def review_all(
    world: World, ev: Evaluation, stage: str, fails: dict[int, dict[int, tuple[str, str]]] | None = None
) -> None:
    """Every member submits the stage's sheet (``fails``: member ordinal → bid failures); the chair closes it."""
    for m, person in member_people(world, ev):
        actions.do_save_review_sheet(
            actor=person.actor,
            section_ref=ev.section_ref,
            stage=stage,
            verdicts=pass_all(ev, stage, (fails or {}).get(m.ordinal)),
            submit=True,
        )
    actions.do_close_stage(actor=chair_of(world, ev).actor, section_ref=ev.section_ref, stage=stage)


def score_all(
    world: World,
    ev: Evaluation,
    base: dict[int, dict[str, str]],
    tweak: dict[int, dict[int, dict[str, str]]] | None = None,
) -> None:
    """Every scorer submits ``base`` (bid id → item → score) with per-member ``tweak``s; the chair closes."""
    for m, person in member_people(world, ev):
        mine = set(queries.get_evaluation_for(person.actor, ev.section_ref).my_items)
        if not mine:
            continue
        sheet = {str(bid): {k: v for k, v in row.items() if k in mine} for bid, row in base.items()}
        for bid, row in ((tweak or {}).get(m.ordinal) or {}).items():
            sheet[str(bid)].update({k: v for k, v in row.items() if k in mine})
        actions.do_save_score_sheet(actor=person.actor, section_ref=ev.section_ref, scores=sheet, submit=True)
    actions.do_close_stage(actor=chair_of(world, ev).actor, section_ref=ev.section_ref, stage="scoring")


def sign_all(world: World, ev: Evaluation, dissent: dict[int, str] | None = None) -> None:
    ev.refresh_from_db()
    data = actions.report_bytes(ev)
    for m, person in member_people(world, ev):
        message = ca_queries.document_signing_input("sm3", sm3(data))
        actions.do_sign_report(
            actor=person.actor,
            section_ref=ev.section_ref,
            signature=person.sign(message),
            certificate=person.issued.cert.der,
            dissent=(dissent or {}).get(m.ordinal, ""),
        )


def signing_message(ev: Evaluation, algorithm: str = "sm3") -> bytes:
    data = actions.report_bytes(ev)
    digest = sm3(data) if algorithm == "sm3" else sha256(data)
    return ca_queries.document_signing_input(algorithm, digest)


COUNTED = {
    "witness": ("audit", "WitnessEntry"),
    "events": ("outbox", "OutboxEvent"),
    "evaluations": ("evaluation", "Evaluation"),
    "bids": ("evaluation", "Bid"),
    "members": ("evaluation", "Member"),
    "draws": ("experts", "Draw"),
    "bookings": ("venues", "Booking"),
}


def counts() -> dict[str, int]:
    return {k: apps.get_model(*m).objects.count() for k, m in COUNTED.items()}


def absent_then_reserve(world: World, ev: Evaluation, seat_id: int) -> None:
    experts.do_mark_absent(actor=world.staff, seat_id=seat_id, note="未到场")
