"""Test helpers for e-guarantees: issuer entities, a throwaway PKI on the trust list (identity.ca's own test PKI),
signed guarantee documents, and a lot with a beneficiary and a bid validity."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from yiwang.identity.ca import actions as ca_actions
from yiwang.identity.ca.queries import document_signing_input
from yiwang.identity.ca.tests.support import Issued, Pki
from yiwang.kernel.crypto import hash_by_name
from yiwang.kernel.ids import make_uscc
from yiwang.platform.clock import now
from yiwang.registry import actions as registry_actions
from yiwang.services.finance import actions
from yiwang.services.finance.domain.guarantees import GuaranteeDocument, GuaranteeForm
from yiwang.services.finance.models import Guarantee, GuaranteeIssuer, Lot
from yiwang.services.finance.tests import support

BANK_USCC = make_uscc("9", "1", "310101", "MA0BANK1")
INSURER_USCC = make_uscc("9", "1", "310104", "MA0NXR22")
GUARANTOR_USCC = make_uscc("9", "1", "310112", "MA0GUAR3")
LETTER = b"%PDF-1.4\n% test guarantee letter\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def register_company(uscc: str, name: str, roles: list[str], region: str = "310101") -> int:
    """An organisation outside the authoritative demo source (all fields given)."""
    entity = registry_actions.do_register_entity(
        actor=support.SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": uscc,
            "name": name,
            "legal_rep_name": "王强",
            "legal_rep_id_number": "310117198001011230",
            "region_code": region,
            "address": "上海市黄浦区中山东一路 1 号",
            "contact_name": "王强",
            "contact_phone": "13800000001",
            "registered_capital_fen": 10_000_000_000,
            "established_on": "2001-05-06",
            "enterprise_nature": "1",
            "business_scope": "金融服务。",
            "roles": roles,
        },
    )
    return entity.pk


def trust(pki: Pki, *, at: datetime | None = None) -> None:
    """Put the PKI's root and issuing CA on the trust list (CRL policy warn: tests move the clock on)."""
    ca_actions.do_register_ca(actor=support.SYSTEM, certificate=pki.root.cert.der, mapping="demo", crl_policy="warn")
    ca_actions.do_register_ca(actor=support.SYSTEM, certificate=pki.sub.cert.der, crl_policy="warn")
    issued = at - timedelta(hours=1) if at else None
    ca_actions.do_import_crl(actor=support.SYSTEM, crl=pki.crl("root", this_update=issued))
    ca_actions.do_import_crl(actor=support.SYSTEM, crl=pki.crl("sub", this_update=issued))


def sign_document(issued: Issued, data: bytes) -> bytes:
    """A detached document signature (identity.ca ``yiwang-document-v1``) over ``data``."""
    algorithm = "sm3" if issued.cert.key_family == "sm2" else "sha256"
    return issued.sign(document_signing_input(algorithm, hash_by_name(algorithm, data)))


@dataclass
class Env:
    pki: Pki
    lot: Lot
    bidders: tuple[support.Bidder, support.Bidder]
    owner_id: int
    bank: GuaranteeIssuer
    insurer: GuaranteeIssuer
    bank_cert: Issued
    insurer_cert: Issued
    bank_user: object
    insurer_user: object
    serial: list[int] = field(default_factory=lambda: [0])

    def actor_of(self, entity_id: int):
        return next(b.actor for b in self.bidders if b.entity_id == entity_id)

    def apply(self, who: int = 0, *, issuer: GuaranteeIssuer | None = None, form: str = "letter") -> Guarantee:
        bidder = self.bidders[who]
        return actions.do_apply_guarantee(
            actor=bidder.actor,
            lot_ref=self.lot.ref,
            entity_id=bidder.entity_id,
            issuer_id=(issuer or self.bank).pk,
            form=form,
        )

    def document(self, application: Guarantee, **changes) -> GuaranteeDocument:
        """The document an honest issuer would sign for ``application`` (``changes`` to falsify it)."""
        self.serial[0] += 1
        issuer = application.issuer
        lot = Lot.objects.get(pk=application.lot_id)
        bidder = next(b for b in self.bidders if b.entity_id == application.entity_id)
        doc = GuaranteeDocument(
            number=f"BH2026{issuer.pk:02d}{self.serial[0]:06d}",
            form=GuaranteeForm(application.form),
            application_no=application.application_no,
            lot_ref=lot.ref,
            lot_title=lot.title,
            beneficiary="上海申城工程咨询有限公司",
            beneficiary_code=support.SHENCHENG,
            applicant=bidder.name,
            applicant_code=_uscc(bidder.entity_id),
            insurer=issuer.name,
            insurer_code=issuer.uscc,
            amount_fen=lot.required_fen,
            begin_at=now(),
            end_at=lot.bid_validity_until + timedelta(days=30),
            letter_time=now(),
            md5=hashlib.md5(LETTER, usedforsecurity=False).hexdigest(),
            sha256=hashlib.sha256(LETTER).hexdigest(),
            file_name="letter.pdf",
            cost_fen=150_00,
            rate=Decimal("0.15"),
            url="https://issuer.example/verify",
        )
        return replace(doc, **changes)

    def issue(
        self,
        application: Guarantee,
        *,
        doc: GuaranteeDocument | None = None,
        signer: Issued | None = None,
        tamper: bool = False,
        letter: bytes = LETTER,
        actor=None,
    ) -> Guarantee:
        doc = doc or self.document(application)
        data = doc.to_bytes()
        cert = signer or (self.insurer_cert if application.issuer_id == self.insurer.pk else self.bank_cert)
        signature = sign_document(cert, data + (b" " if tamper else b""))
        user = self.insurer_user if application.issuer_id == self.insurer.pk else self.bank_user
        return actions.do_issue_guarantee(
            actor=actor or user,
            application_no=application.application_no,
            document=data,
            signature=signature,
            certificate=cert.pem,
            letter=letter,
            letter_filename="letter.pdf",
        )

    def guarantee(self, who: int = 0, **kwargs) -> Guarantee:
        return self.issue(self.apply(who, **kwargs))


def _uscc(entity_id: int) -> str:
    from yiwang.registry import queries as registry

    ref = registry.get_entity_ref(entity_id)
    assert ref is not None
    assert ref.uscc
    return ref.uscc


def make_env(
    *, algorithm: str = "sm2", opening_in: timedelta = timedelta(days=20), bidders: tuple | None = None
) -> Env:
    pki = Pki(algorithm, label=f"保函{algorithm}")
    trust(pki)
    bidders = bidders or (
        support.make_bidder(support.PUJIANG, "1001200300400501"),
        support.make_bidder(support.MINHANG, "1001200300400502"),
    )
    owner = registry_actions.do_register_entity(
        actor=support.SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": support.SHENCHENG,
            "contact_name": "赵敏",
            "contact_phone": "13812345679",
            "roles": ["tenderer"],
        },
    ).pk
    bank_id = register_company(BANK_USCC, "上海浦江银行股份有限公司", ["guarantor"])
    insurer_id = register_company(INSURER_USCC, "上海徐汇财产保险股份有限公司", ["guarantor"], region="310104")
    bank_cert = pki.issue(entity=BANK_USCC, name="上海浦江银行股份有限公司")
    insurer_cert = pki.issue(entity=INSURER_USCC, name="上海徐汇财产保险股份有限公司")
    staff = support.staff()
    bank = actions.do_register_guarantee_issuer(
        actor=staff, entity_id=bank_id, kind="bank", certificates=[bank_cert.pem]
    )
    insurer = actions.do_register_guarantee_issuer(
        actor=staff, entity_id=insurer_id, kind="insurer", certificates=[insurer_cert.pem]
    )
    opening = now() + opening_in
    lot = actions.do_set_deposit_requirement(
        actor=support.SYSTEM,
        lot_ref="tender.section:g1",
        regime="works",
        opening_at=opening,
        amount_fen=10_000_000,
        base_fen=1_000_000_000,
        title="浦江镇道路改建工程 施工一标段",
        owner_entity_id=owner,
        bid_validity_until=opening + timedelta(days=90),
    )
    return Env(
        pki=pki,
        lot=lot,
        bidders=bidders,
        owner_id=owner,
        bank=bank,
        insurer=insurer,
        bank_cert=bank_cert,
        insurer_cert=insurer_cert,
        bank_user=support.user_of(bank_id, "bank-user"),
        insurer_user=support.user_of(insurer_id, "insurer-user"),
    )
