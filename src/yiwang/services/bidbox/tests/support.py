"""Test helpers of the bid box: people and entities (identity, registry), a trusted PKI with bound certificates
(identity.ca), sealing envelopes as a bidder's tool does, and row counters for "nothing stored"."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps

from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.identity.ca import actions as ca
from yiwang.identity.ca.tests.support import T0, Issued, Pki
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.crypto import envelope, generate_private_key, signer_for
from yiwang.kernel.crypto.envelope import BidMeta, Recipient
from yiwang.kernel.crypto.keys import PublicKey
from yiwang.platform.audit import queries as audit
from yiwang.registry import actions as registry
from yiwang.services.bidbox import actions
from yiwang.services.bidbox.models import Box
from yiwang.services.bidbox.tool import simulated_machine

PUJIANG = "91310115MA1FL2X37F"
MINHANG = "91310112MA1G8K4P1Q"
XUHUI = "91310104132203571A"
PASSWORD = "Yiwang-test-2026"
DEADLINE = T0 + timedelta(days=2)


def company(uscc: str) -> dict:
    return {
        "kind": "legal_person",
        "uscc": uscc,
        "contact_name": "刘敏",
        "contact_phone": "13812345678",
        "contact_email": "liumin@example.com",
        "roles": ["bidder"],
    }


def make_account(username: str, name: str):
    return identity.do_create_account(actor=Actor.anonymous(), username=username, display_name=name, password=PASSWORD)


@dataclass
class Bidder:
    account: Any
    entity_id: int
    uscc: str
    issued: Issued  # the entity's bound SM2 certificate (signing and encryption key)

    @property
    def actor(self) -> Actor:
        return actor_for_account(self.account)


@dataclass
class World:
    pki: Pki
    staff: Any
    custodians: list[Any]
    outsider: Any
    a: Bidder
    b: Bidder
    c: Bidder

    @property
    def staff_actor(self) -> Actor:
        return actor_for_account(self.staff)

    def custodian(self, i: int) -> Actor:
        return actor_for_account(self.custodians[i])


def make_bidder(username: str, uscc: str, pki: Pki, name: str) -> Bidder:
    acc = make_account(username, f"{name}管理员")
    entity = registry.do_register_entity(actor=actor_for_account(acc), data=company(uscc))
    issued = pki.issue(entity=uscc, name=name)
    ca.do_bind_certificate(actor=actor_for_account(acc), certificate=issued.cert.der)
    return Bidder(acc, entity.pk, uscc, issued)


def make_world(system: Actor) -> World:
    staff = make_account("bb-staff", "交易中心开标主持人")
    identity.do_grant_role(actor=system, role=Role.STAFF, account=staff, region="310000", admin=True)
    staff_actor = actor_for_account(staff)
    custodians = []
    for i, role in enumerate((Role.STAFF, Role.REGULATOR, Role.REGULATOR, Role.STAFF, Role.REGULATOR), start=1):
        acc = make_account(f"bb-keeper{i}", f"保管人{i}")
        identity.do_grant_role(actor=system, role=role, account=acc, region="310000")
        custodians.append(acc)
    outsider = make_account("bb-outsider", "路人")
    pki = Pki("sm2", label="投标箱测试")
    ca.do_register_ca(actor=staff_actor, certificate=pki.root.cert.der, mapping="demo", crl_policy="fail")
    ca.do_register_ca(actor=staff_actor, certificate=pki.sub.cert.der, crl_policy="fail")
    ca.do_import_crl(actor=staff_actor, crl=pki.crl("root"))
    ca.do_import_crl(actor=staff_actor, crl=pki.crl("sub"))
    return World(
        pki=pki,
        staff=staff,
        custodians=custodians,
        outsider=outsider,
        a=make_bidder("bb-a", PUJIANG, pki, "上海浦江数智建设工程有限公司"),
        b=make_bidder("bb-b", MINHANG, pki, "上海闵行绿源环保科技有限公司"),
        c=make_bidder("bb-c", XUHUI, pki, "上海徐汇城市建设发展集团有限公司"),
    )


def ceremony(staff: Actor, k: int = 3, n: int = 5) -> actions.Ceremony:
    return actions.do_run_key_ceremony(
        actor=staff, threshold=k, custodians=[f"保管人{i}" for i in range(1, n + 1)], label="测试开标密钥"
    )


def open_box(staff: Actor, key, *, ref: str = "S-001", deadline=DEADLINE, min_rule: str = "tender.min_bidders", **kw):
    return actions.do_open_box(
        actor=staff,
        owner=("tender.section", ref),
        title=f"测试标段 {ref}",
        deadline=deadline,
        opening_key=key.pk,
        min_bidders_rule=min_rule,
        decryption_window=timedelta(minutes=30),
        readout_fields=kw.pop("readout_fields", ["price_fen", "duration_days"]),
        **kw,
    )


def bid_document(price_fen: int, *, bidder: str = "") -> bytes:
    doc = {"summary": {"price_fen": price_fen, "duration_days": 180}, "bidder": bidder, "body": "技术标与商务标……"}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def machine_of(bidder: Bidder) -> dict[str, str]:
    """The bid tool's record of the machine a test bidder works on (one machine per bidder, from its USCC)."""
    return simulated_machine(bidder.uscc)


def seal_for(
    box: Box,
    bidder: Bidder,
    plaintext: bytes,
    *,
    issued: Issued | None = None,
    bidder_id: str | None = None,
    opening_key: PublicKey | None = None,
    deadline=None,
    project_code: str | None = None,
    section_code: str | None = None,
    bidder_key: PublicKey | None = None,
    with_certificate: bool = True,
    file_name: str = "投标文件.json",
    extra: dict[str, str] | None = None,
) -> bytes:
    """Seal as the bidder's tool does: meta from the box (with the tool's machine codes, :func:`machine_of`,
    unless ``extra`` is given), signed with the bidder's certificate key, wrapped to the bidder's own key and to
    the box's opening key (each can be overridden to make a bad envelope)."""
    issued = issued or bidder.issued
    box.refresh_from_db()
    meta = BidMeta(
        project_code=project_code or box.project_code,
        section_code=section_code or box.section_code,
        bidder_id=bidder_id or bidder.uscc,
        deadline=deadline or box.deadline,
        file_name=file_name,
        file_size=len(plaintext),
        extra=machine_of(bidder) if extra is None else extra,
    )
    opening = opening_key or actions.opening_key_of(box.opening_key)
    return envelope.seal(
        plaintext,
        meta=meta,
        bidder_signer=signer_for(issued.key),
        recipients=[Recipient("bidder", bidder_key or issued.key.public_key), Recipient("opening", opening)],
        bidder_certificate=issued.cert.der if with_certificate else None,
    )


def flip_ciphertext_byte(sealed: bytes, at: int = 5) -> bytes:
    """The envelope with one byte of its DATA section changed (docs/trust/envelope.md §4: magic, version, HEAD)."""
    head_length = int.from_bytes(sealed[14:22], "big")
    data_start = 22 + head_length + 12
    changed = bytearray(sealed)
    changed[data_start + at] ^= 0x01
    return bytes(changed)


def submit(box: Box, bidder: Bidder, data: bytes, **kw):
    return actions.do_submit_envelope(
        actor=bidder.actor, box_id=box.pk, entity_id=bidder.entity_id, stream=io.BytesIO(data), **kw
    )


def other_key() -> PublicKey:
    return generate_private_key("sm2").public_key


COUNTED = {
    "witness": ("audit", "WitnessEntry"),
    "events": ("outbox", "OutboxEvent"),
    "documents": ("storage", "Document"),
    "versions": ("storage", "DocumentVersion"),
    "boxes": ("bidbox", "Box"),
    "submissions": ("bidbox", "Submission"),
    "shares": ("bidbox", "PendingShare"),
    "notices": ("bidbox", "SubmitterNotice"),
    "keys": ("bidbox", "OpeningKey"),
    "postponements": ("bidbox", "Postponement"),
    "signatures": ("ca", "SignatureRecord"),
}


def counts() -> dict[str, int]:
    return {name: apps.get_model(*model).objects.count() for name, model in COUNTED.items()}


def every_stored_row():
    """Every row of every table in the database, read with plain SQL (whatever the models say)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            yield from cursor.fetchall()


def witnessed(action: str) -> list[dict]:
    return [
        {"actor": v.actor_ref, "object_type": v.object_type, "object_id": v.object_id, **json.loads(v.payload_text)}
        for v in audit.entries(action=action, limit=1000)
    ]
