"""Test helpers: a throwaway PKI per algorithm (root → issuing CA → end entities), accounts, row counters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.apps import apps

from yiwang.identity.ca.domain.build import (
    OID_GMT_PERSONAL_ID,
    CertificateSpec,
    Revocation,
    build_certificate,
    build_crl,
    utf8_extension_value,
)
from yiwang.identity.ca.domain.x509 import Certificate, parse_certificate
from yiwang.kernel.crypto import PrivateKey, generate_private_key, signer_for
from yiwang.platform.audit import queries as audit

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # the clock fixture's instant
PUJIANG = "91310115MA1FL2X37F"  # demo companies known to the authoritative demo source
MINHANG = "91310112MA1G8K4P1Q"
UNREGISTERED = "91310117MA1K7T4W1Q"  # valid, but never registered in these tests
PERSON_ID = "11010519491231002X"
KINDS = {"sm2": "sm2", "ecdsa": "ec-p256", "rsa": "rsa"}


@dataclass
class Issued:
    key: PrivateKey
    cert: Certificate

    @property
    def pem(self) -> str:
        from asn1crypto import pem

        return pem.armor("CERTIFICATE", self.cert.der).decode()

    def sign(self, message: bytes) -> bytes:
        return signer_for(self.key).sign(message)


@dataclass
class Pki:
    """A root and an issuing CA of one algorithm, valid around :data:`T0`."""

    algorithm: str = "sm2"
    label: str = "测试"
    start: datetime = T0 - timedelta(days=30)
    root: Issued = field(init=False)
    sub: Issued = field(init=False)
    crl_number: int = 0

    def __post_init__(self) -> None:
        kind = KINDS[self.algorithm]
        extra = {"rsa_bits": 2048} if kind == "rsa" else {}
        root_key = generate_private_key(kind, **extra)
        self.root = Issued(
            root_key,
            parse_certificate(
                build_certificate(
                    CertificateSpec(
                        subject=[("C", "CN"), ("O", f"{self.label}CA"), ("CN", f"{self.label} {self.algorithm} Root")],
                        not_before=self.start,
                        not_after=self.start + timedelta(days=3650),
                        is_ca=True,
                        path_len=1,
                    ),
                    root_key.public_key,
                    signer_for(root_key),
                )
            ),
        )
        self.sub = self.intermediate()

    def intermediate(self, *, key: PrivateKey | None = None, signer_key: PrivateKey | None = None, **spec) -> Issued:
        kind = KINDS[self.algorithm]
        sub_key = key or generate_private_key(kind, **({"rsa_bits": 2048} if kind == "rsa" else {}))
        values = {
            "subject": [("C", "CN"), ("O", f"{self.label}CA"), ("CN", f"{self.label} {self.algorithm} Issuing")],
            "not_before": self.start,
            "not_after": self.start + timedelta(days=1825),
            "is_ca": True,
            "path_len": 0,
            **spec,
        }
        der = build_certificate(
            CertificateSpec(**values),
            sub_key.public_key,
            signer_for(signer_key or self.root.key),
            issuer_name=self.root.cert.subject,
            issuer_key_id=self.root.cert.subject_key_id,
        )
        return Issued(sub_key, parse_certificate(der))

    def issue(
        self,
        *,
        entity: str | None = None,
        person: str | None = None,
        name: str = "上海浦江数智建设工程有限公司",
        not_before: datetime | None = None,
        days: int = 365,
        issuer: Issued | None = None,
        signer_key: PrivateKey | None = None,
        subject: list[tuple[str, str]] | None = None,
        key_usage: set[str] | None = None,
    ) -> Issued:
        """An end-entity signing certificate (demo mapping: USCC in serialNumber, 身份证 in GM/T 4.1.1)."""
        issuer = issuer or self.sub
        kind = KINDS[self.algorithm]
        key = generate_private_key(kind, **({"rsa_bits": 2048} if kind == "rsa" else {}))
        extra = []
        if subject is None:
            if person is not None:
                subject = [("C", "CN"), ("CN", name)]
                extra = [(OID_GMT_PERSONAL_ID, utf8_extension_value(person))]
            else:
                subject = [("C", "CN"), ("O", name), ("CN", name), ("serialNumber", entity or PUJIANG)]
        start = not_before or T0 - timedelta(days=1)
        der = build_certificate(
            CertificateSpec(
                subject=subject,
                not_before=start,
                not_after=start + timedelta(days=days),
                extra_extensions=extra,
                key_usage=key_usage,
            ),
            key.public_key,
            signer_for(signer_key or issuer.key),
            issuer_name=issuer.cert.subject,
            issuer_key_id=issuer.cert.subject_key_id,
        )
        return Issued(key, parse_certificate(der))

    def crl(
        self,
        of: str = "sub",
        revoked: list[Certificate] | None = None,
        *,
        this_update: datetime | None = None,
        next_update: datetime | None = None,
        number: int | None = None,
        revoked_at: datetime | None = None,
    ) -> bytes:
        ca = self.sub if of == "sub" else self.root
        self.crl_number += 1
        this_update = this_update or T0 - timedelta(hours=1)
        return build_crl(
            ca.cert.subject,
            signer_for(ca.key),
            this_update=this_update,
            next_update=next_update or this_update + timedelta(days=7),
            revoked=[Revocation(c.serial, revoked_at or this_update, "key_compromise") for c in (revoked or [])],
            crl_number=number if number is not None else self.crl_number,
            issuer_key_id=ca.cert.subject_key_id,
        )


def counts() -> dict[str, int]:
    """Rows a refused action must not leave behind."""
    names = {
        "witness": ("audit", "WitnessEntry"),
        "events": ("outbox", "OutboxEvent"),
        "cas": ("ca", "CertificateAuthority"),
        "status_changes": ("ca", "CaStatusChange"),
        "crls": ("ca", "RevocationList"),
        "revoked": ("ca", "RevokedSerial"),
        "bindings": ("ca", "CertificateBinding"),
        "challenges": ("ca", "SigningChallenge"),
        "signatures": ("ca", "SignatureRecord"),
        "nonces": ("ca", "SeenNonce"),
    }
    return {key: apps.get_model(*model).objects.count() for key, model in names.items()}


@dataclass(frozen=True)
class Witnessed:
    action: str
    actor_ref: str
    object_type: str
    object_id: str
    payload: dict


def witness_entries(action: str) -> list[Witnessed]:
    """The witness entries of one action code, oldest first, with their payloads decoded."""
    return [
        Witnessed(v.action, v.actor_ref, v.object_type, v.object_id, json.loads(v.payload_text))
        for v in audit.entries(action=action, limit=1000)
    ]
