"""Test helpers of the tender context: people and entities (identity, registry) with bound SM2 certificates
(identity.ca), basic accounts (finance deposits through the simulated bank), an opening key (bid box), projects
published and bid on the way a bidder's tool and the pages do it."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps

from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.identity.ca import actions as ca
from yiwang.identity.ca.tests.support import Issued, Pki
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.crypto import envelope, signer_for
from yiwang.kernel.crypto.envelope import BidMeta, Recipient
from yiwang.kernel.crypto.keys import load_public_key
from yiwang.platform.clock import now
from yiwang.registry import actions as registry
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.bidbox.tool import simulated_machine
from yiwang.services.finance import actions as finance
from yiwang.services.finance import bank
from yiwang.trading.tender import actions, jobs
from yiwang.trading.tender.bidformat import make_bid_document
from yiwang.trading.tender.ports import Sanction

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 2026-03-02 09:00 Shanghai (the clock fixture)
XUHUI = "91310104132203571A"  # tenderer 招标人
SHENCHENG = "91310000132260947A"  # agency 招标代理
PUJIANG = "91310115MA1FL2X37F"
MINHANG = "91310112MA1G8K4P1Q"
SONGJIANG = "91310117MA1J5R6T2U"
PASSWORD = "Yiwang-test-2026"
PDF = b"%PDF-1.4\n% tender documents for tests\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def use_tender_settings(settings, blobs: Path, *, gateway: str = "recorded") -> None:
    """What a test driving whole tenders needs (fixtures elsewhere call it): fast password hashing, a private blob
    directory, no virus scanner, and the evaluation's result through the tender side (``recorded``) or the app."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_STORAGE = {
        **getattr(settings, "YIWANG_STORAGE", {}),
        "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
        "OPTIONS": {"root": blobs},
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
    }
    settings.YIWANG_TENDER = {**getattr(settings, "YIWANG_TENDER", {}), "EVALUATION_GATEWAY": gateway}


def company(uscc: str, roles: list[str]) -> dict:
    return {
        "kind": "legal_person",
        "uscc": uscc,
        "contact_name": "刘敏",
        "contact_phone": "13812345678",
        "contact_email": "liumin@example.com",
        "roles": roles,
    }


def make_account(username: str, name: str):
    return identity.do_create_account(actor=Actor.anonymous(), username=username, display_name=name, password=PASSWORD)


@dataclass(eq=False)
class Party:
    account: Any
    entity_id: int
    uscc: str
    name: str
    issued: Issued | None = None
    basic_account: str = ""

    @property
    def actor(self) -> Actor:
        return actor_for_account(self.account)


@dataclass
class World:
    pki: Pki
    staff: Any
    regulator: Any
    outsider: Any
    tenderer: Party
    agency: Party
    bidders: list[Party]
    key_id: int
    shares: list[str] = field(default_factory=list)

    @property
    def staff_actor(self) -> Actor:
        return actor_for_account(self.staff)

    @property
    def regulator_actor(self) -> Actor:
        return actor_for_account(self.regulator)

    @property
    def a(self) -> Party:
        return self.bidders[0]

    @property
    def b(self) -> Party:
        return self.bidders[1]

    @property
    def c(self) -> Party:
        return self.bidders[2]


def make_party(
    username: str, uscc: str, roles: list[str], pki: Pki | None, account_number: str = "", extra: dict | None = None
) -> Party:
    acc = make_account(username, f"{username}经办人")
    entity = registry.do_register_entity(actor=actor_for_account(acc), data={**company(uscc, roles), **(extra or {})})
    party = Party(acc, entity.pk, uscc, entity.name)
    if pki is not None:
        party.issued = pki.issue(entity=uscc, name=entity.name)
        ca.do_bind_certificate(actor=actor_for_account(acc), certificate=party.issued.cert.der)
    if account_number:
        registry.do_set_basic_account(
            actor=Actor.system("test"),
            entity_id=entity.pk,
            expected_version=None,
            data={
                "bank_name": "中国工商银行",
                "branch_name": "上海分行",
                "account_name": entity.name,
                "account_number": account_number,
            },
        )
        party.basic_account = account_number
    return party


@dataclass
class LiveWorld:
    """The trust set-up for work against a real server on the wall clock (browser journeys, the kill -9 test, the
    burst benchmark): a staff administrator, a CA whose certificates and revocation lists are valid now, a tenderer
    and an agency."""

    moment: datetime
    staff: Any
    staff_actor: Actor
    pki: Pki
    tenderer: Party
    agency: Party

    def certified_bidder(self, username: str, uscc: str, account_number: str = "", extra: dict | None = None) -> Party:
        """A registered bidder holding a certificate valid now, bound to its account."""
        party = make_party(username, uscc, ["bidder"], None, account_number, extra=extra)
        party.issued = self.pki.issue(entity=uscc, name=party.name, not_before=self.moment - timedelta(days=1))
        ca.do_bind_certificate(actor=party.actor, certificate=party.issued.cert.der)
        return party


def live_world(prefix: str, label: str) -> LiveWorld:
    """:class:`LiveWorld` with usernames starting ``prefix`` and a CA named after ``label``."""
    system = Actor.system("test")
    moment = datetime.now(UTC)
    staff = make_account(f"{prefix}-staff", "交易中心工作人员")
    identity.do_grant_role(actor=system, role=Role.STAFF, account=staff, region="310000", admin=True)
    staff_actor = actor_for_account(staff)
    pki = Pki("sm2", label=label, start=moment - timedelta(days=30))
    ca.do_register_ca(actor=staff_actor, certificate=pki.root.cert.der, mapping="demo", crl_policy="fail")
    ca.do_register_ca(actor=staff_actor, certificate=pki.sub.cert.der, crl_policy="fail")
    for of in ("root", "sub"):
        ca.do_import_crl(
            actor=staff_actor,
            crl=pki.crl(of, this_update=moment - timedelta(hours=1), next_update=moment + timedelta(days=30)),
        )
    tenderer = make_party(f"{prefix}-tenderer", XUHUI, ["tenderer"], None)
    agency = make_party(f"{prefix}-agency", SHENCHENG, ["tender_agency"], None)
    return LiveWorld(moment, staff, staff_actor, pki, tenderer, agency)


def make_world(system: Actor) -> World:
    staff = make_account("tn-staff", "交易中心工作人员")
    identity.do_grant_role(actor=system, role=Role.STAFF, account=staff, region="310000", admin=True)
    regulator = make_account("tn-regulator", "监管人员")
    identity.do_grant_role(actor=system, role=Role.REGULATOR, account=regulator, region="310000")
    outsider = make_account("tn-outsider", "路人")
    pki = Pki("sm2", label="招标测试")
    staff_actor = actor_for_account(staff)
    ca.do_register_ca(actor=staff_actor, certificate=pki.root.cert.der, mapping="demo", crl_policy="fail")
    ca.do_register_ca(actor=staff_actor, certificate=pki.sub.cert.der, crl_policy="fail")
    # CRLs valid for a year: these tests move the clock through whole procedures
    ca.do_import_crl(actor=staff_actor, crl=pki.crl("root", next_update=T0 + timedelta(days=400)))
    ca.do_import_crl(actor=staff_actor, crl=pki.crl("sub", next_update=T0 + timedelta(days=400)))
    tenderer = make_party("tn-tenderer", XUHUI, ["tenderer", "purchaser"], pki)
    agency = make_party("tn-agency", SHENCHENG, ["tender_agency", "procurement_agency"], pki)
    bidders = [
        make_party("tn-a", PUJIANG, ["bidder", "supplier"], pki, "6222020200112345671"),
        make_party("tn-b", MINHANG, ["bidder", "supplier"], pki, "6222020200112345689"),
        make_party("tn-c", SONGJIANG, ["bidder", "supplier"], pki, "6222020200112345697"),
    ]
    ceremony = bidbox.do_run_key_ceremony(
        actor=staff_actor, threshold=2, custodians=["保管人甲", "保管人乙", "保管人丙"], label="招标测试开标密钥"
    )
    return World(
        pki, staff, regulator, outsider, tenderer, agency, bidders, ceremony.key.pk, [s.text for s in ceremony.shares]
    )


# -- projects --------------------------------------------------------------------------------------
def section_data(
    n: int = 1, *, deposit_fen: int = 10_000_000, estimate_fen: int = 5_000_000_000, **extra
) -> list[dict]:
    return [
        {
            "name": f"第{i}标段（施工）",
            "estimate_fen": estimate_fen,
            "deposit_fen": deposit_fen,
            "duration_text": "365日历天",
            "evaluation_method": "lowest_evaluated_price",
            **extra,
        }
        for i in range(1, n + 1)
    ]


def create_project(
    world: World,
    *,
    procedure: str = "tender.open",
    subject: str = "works",
    sections=None,
    actor: Actor | None = None,
    **kw,
):
    return actions.do_create_project(
        actor=actor or world.agency.actor,
        procedure=procedure,
        name=kw.pop("name", "闵行区浦江镇道路改建工程"),
        region_code=kw.pop("region_code", "310112"),
        tenderer_entity_id=world.tenderer.entity_id,
        agency_entity_id=kw.pop("agency_entity_id", world.agency.entity_id),
        subject=subject,
        sections=sections if sections is not None else section_data(),
        **kw,
    )


def upload_documents(world: World, project, *, kind: str = "tender_documents", actor: Actor | None = None, **kw):
    return actions.do_upload_document(
        actor=actor or world.agency.actor,
        project_id=project.pk,
        kind=kind,
        title="招标文件",
        stream=io.BytesIO(PDF + str(project.pk).encode()),
        filename="招标文件.pdf",
        **kw,
    )


def publish(world: World, project, *, deadline: datetime | None = None, doc_get_end: datetime | None = None, **kw):
    moment = now()
    return actions.do_publish_project(
        actor=kw.pop("actor", world.agency.actor),
        project_id=project.pk,
        bid_deadline=deadline or moment + timedelta(days=21),
        doc_get_end=doc_get_end or moment + timedelta(days=6),
        opening_key=kw.pop("opening_key", world.key_id),
        **kw,
    )


def ready_project(world: World, **kw):
    """A works tender published with one section: deadline 21 days ahead."""
    deadline = kw.pop("deadline", None)
    project = create_project(world, **kw)
    upload_documents(world, project)
    project = publish(world, project, deadline=deadline)
    return project, project.sections.get()


# -- deposits and bids -----------------------------------------------------------------------------
def pay_deposit(section, bidder: Party, amount: int | None = None):
    section.refresh_from_db()
    deposit = finance.do_open_deposit_account(actor=bidder.actor, lot_ref=section.lot_ref, entity_id=bidder.entity_id)
    notice = bank.SimulatedBank().pay_in(
        virtual_account=deposit.virtual_account,
        amount_fen=amount if amount is not None else section.deposit_fen,
        payer_account=bidder.basic_account,
        payer_name=bidder.name,
    )
    return finance.receive_bank_notice(bank_code=notice.bank_code, body=notice.body, signature=notice.signature)


def seal(section, bidder: Party, price_fen: int, *, padding: int = 0, deadline: datetime | None = None) -> bytes:
    section.refresh_from_db()
    view = bidbox_queries.get_box_of_owner(("tender.section", _round_key(section)))
    assert view is not None
    plaintext = make_bid_document(
        price_fen=price_fen,
        section_code=section.code,
        bidder_uscc=bidder.uscc,
        bidder_name=bidder.name,
        padding=padding,
    )
    meta = BidMeta(
        project_code=view.project_code,
        section_code=view.section_code,
        bidder_id=bidder.uscc,
        deadline=deadline or view.deadline,
        file_name="投标文件.json",
        file_size=len(plaintext),
        extra=simulated_machine(bidder.uscc),  # the bid tool's machine codes: one machine per bidder
    )
    assert bidder.issued is not None
    return envelope.seal(
        plaintext,
        meta=meta,
        bidder_signer=signer_for(bidder.issued.key),
        recipients=[
            Recipient("bidder", bidder.issued.key.public_key),
            Recipient("opening", load_public_key(view.opening_key_pem.encode())),
        ],
        bidder_certificate=bidder.issued.cert.der,
    )


def _round_key(section) -> str:
    return str(section.pk) if section.round == 1 else f"{section.pk}-r{section.round}"


def submit(section, bidder: Party, price_fen: int, *, pay: bool = True, **kw):
    if pay and section.deposit_fen:
        pay_deposit(section, bidder)
    sealed = seal(section, bidder, price_fen, **kw)
    submission = actions.do_submit_bid(
        actor=bidder.actor, section_id=section.pk, entity_id=bidder.entity_id, stream=io.BytesIO(sealed)
    )
    submission._sealed = sealed
    return submission


def decrypt(bidder: Party, submission) -> Any:
    assert bidder.issued is not None
    key = envelope.unwrap_content_key(submission._sealed, private_key=bidder.issued.key)
    return bidbox.do_decrypt_with_content_key(actor=bidder.actor, submission_id=submission.pk, content_key=key)


# -- the clock -------------------------------------------------------------------------------------
def run_clock() -> int:
    """One tick of the tender's due job (and the bid box's, as the clock process would run them)."""
    from yiwang.services.bidbox import jobs as bidbox_jobs

    fired = jobs.advance_due_sections(now())
    bidbox_jobs.close_due_openings(now())
    return fired


def go(clock, moment: datetime, *, ticks: int = 1) -> int:
    clock.set(moment)
    return sum(run_clock() for _ in range(ticks))


def walk(clock, until: datetime, step: timedelta) -> int:
    """Move the clock to ``until`` in steps, running the clock job at each (a clock process that keeps ticking)."""
    fired = 0
    while clock.now() < until:
        clock.set(min(clock.now() + step, until))
        fired += run_clock()
    return fired


def to_opening(world: World, clock, section, bids: dict[Party, int]) -> dict[Party, Any]:
    """Each bidder pays its deposit and submits; the clock reaches the deadline; the opening starts."""
    submissions = {bidder: submit(section, bidder, price) for bidder, price in bids.items()}
    section.refresh_from_db()
    go(clock, section.bid_deadline)
    section.refresh_from_db()
    return submissions


def open_and_hand_over(world: World, clock, section, bids: dict[Party, int]) -> dict[Party, Any]:
    submissions = to_opening(world, clock, section, bids)
    for bidder, submission in submissions.items():
        decrypt(bidder, submission)
    actions.do_close_opening(actor=world.staff_actor, section_id=section.pk)
    section.refresh_from_db()
    return submissions


def record_result(world: World, section, ranking: list[tuple[Party, int]]):
    return actions.do_record_evaluation_result(
        actor=world.staff_actor,
        section_id=section.pk,
        candidates=[
            {"rank": i, "entity_id": p.entity_id, "price_fen": price, "score": f"{100 - i}"}
            for i, (p, price) in enumerate(ranking, start=1)
        ],
        report=(io.BytesIO(PDF + b"report"), "评标报告.pdf"),
    )


class FakeCreditGate:
    sanctions: dict[int, list[Sanction]] = {}

    def check(self, entity_id: int, at: datetime) -> list[Sanction]:
        return list(self.sanctions.get(entity_id, []))


COUNTED = {
    "projects": ("tender", "Project"),
    "sections": ("tender", "Section"),
    "documents": ("tender", "TenderDocument"),
    "clarifications": ("tender", "Clarification"),
    "objections": ("tender", "Objection"),
    "awards": ("tender", "Award"),
    "contracts": ("tender", "Contract"),
    "notices": ("notices", "Notice"),
    "boxes": ("bidbox", "Box"),
    "submissions": ("bidbox", "Submission"),
    "lots": ("finance", "Lot"),
    "witness": ("audit", "WitnessEntry"),
    "events": ("outbox", "OutboxEvent"),
}


def counts() -> dict[str, int]:
    return {name: apps.get_model(*model).objects.count() for name, model in COUNTED.items()}
