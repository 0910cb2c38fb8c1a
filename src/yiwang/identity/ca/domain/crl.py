"""Certificate revocation lists (X.509 v2 CRLs, RFC 5280 §5) for SM2, ECDSA and RSA CAs.

:func:`parse_crl` reads DER or PEM (``X509 CRL``); :func:`check_crl_issued_by` checks that a CRL belongs to a CA
(name chaining, key identifier if present, and the signature under the CA's key — SM2 with the default user ID).
Pure Python.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from asn1crypto import crl as asn1_crl
from asn1crypto import x509

from yiwang.identity.ca.domain.errors import CaRefused
from yiwang.identity.ca.domain.x509 import (
    Certificate,
    _aware,
    _signature_algorithm,
    malformed,
    name_key,
    name_text,
    to_der,
    verify_signed_by,
)

MAX_CRL_BYTES = 32 * 1024 * 1024
CRL_LABELS = ("X509 CRL", "CRL")


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: datetime
    reason: str  # RFC 5280 CRLReason name (unspecified, key_compromise, …)


@dataclass(frozen=True, eq=False)
class Crl:
    der: bytes = field(repr=False)
    tbs_der: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    signature_algorithm: str
    issuer: x509.Name = field(repr=False)
    this_update: datetime
    next_update: datetime | None
    crl_number: int | None
    authority_key_id: bytes | None
    entries: tuple[RevokedEntry, ...] = field(repr=False)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @cached_property
    def issuer_key(self) -> str:
        return name_key(self.issuer)

    @cached_property
    def issuer_text(self) -> str:
        return name_text(self.issuer)

    @cached_property
    def by_serial(self) -> dict[int, RevokedEntry]:
        return {e.serial: e for e in self.entries}

    def revocation_of(self, serial: int) -> RevokedEntry | None:
        return self.by_serial.get(serial)

    def is_newer_than(self, other_number: int | None, other_this_update: datetime) -> bool:
        """Newer by CRL number when both have one, else by thisUpdate."""
        if self.crl_number is not None and other_number is not None:
            return self.crl_number > other_number
        return self.this_update > other_this_update


def parse_crl(data: bytes | str) -> Crl:
    der = to_der(data, CRL_LABELS)
    if not der or len(der) > MAX_CRL_BYTES:
        raise malformed("empty or too large CRL", size=len(der))
    try:
        crl = asn1_crl.CertificateList.load(der, strict=True)
        tbs = crl["tbs_cert_list"]
        tbs_der = tbs.dump()
        outer = crl["signature_algorithm"]
        inner = tbs["signature"]
        signature = bytes(crl["signature"].native)
        issuer = tbs["issuer"]
        _ = issuer.native  # parse the name now, inside the try
        this_update = _aware(tbs["this_update"].native)
        next_update = tbs["next_update"].native
        next_update = _aware(next_update) if next_update is not None else None
        crl_number = crl.crl_number_value.native if crl.crl_number_value is not None else None
        aki_value = crl.authority_key_identifier_value
        aki = bytes(aki_value["key_identifier"].native) if aki_value and aki_value["key_identifier"].native else None
        entries = []
        for revoked in tbs["revoked_certificates"]:
            reason = revoked.crl_reason_value
            entries.append(
                RevokedEntry(
                    serial=int(revoked["user_certificate"].native),
                    revoked_at=_aware(revoked["revocation_date"].native),
                    reason=reason.native if reason is not None else "unspecified",
                )
            )
        for ext in tbs["crl_extensions"]:
            if ext["critical"].native and ext["extn_id"].dotted not in ("2.5.29.20", "2.5.29.35", "2.5.29.28"):
                raise malformed("unhandled critical CRL extension", oid=ext["extn_id"].dotted)
    except CaRefused:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise malformed("not a DER X.509 CRL", error=type(exc).__name__) from None
    if outer.dump() != inner.dump():
        raise malformed("CRL signatureAlgorithm differs from the TBS signature field")
    if next_update is not None and next_update < this_update:
        raise malformed("CRL nextUpdate is before thisUpdate")
    return Crl(
        der=der,
        tbs_der=tbs_der,
        signature=signature,
        signature_algorithm=_signature_algorithm(outer),
        issuer=issuer,
        this_update=this_update,
        next_update=next_update,
        crl_number=crl_number,
        authority_key_id=aki,
        entries=tuple(entries),
    )


def check_crl_issued_by(crl: Crl, ca: Certificate) -> None:
    """Raise ``ca.crl_unknown_issuer`` if the CRL names another issuer, ``ca.crl_signature_invalid`` if the
    signature does not verify under the CA's key."""
    if crl.issuer_key != ca.subject_key or (
        crl.authority_key_id and ca.subject_key_id and crl.authority_key_id != ca.subject_key_id
    ):
        raise CaRefused("ca.crl_unknown_issuer", crl_issuer=crl.issuer_text, ca_subject=ca.subject_text)
    if ca.key_usage is not None and "crl_sign" not in ca.key_usage:
        raise CaRefused("ca.crl_signature_invalid", reason="the CA's key usage does not include cRLSign")
    if not verify_signed_by(crl.tbs_der, crl.signature, crl.signature_algorithm, ca.public_key):
        raise CaRefused("ca.crl_signature_invalid", crl_issuer=crl.issuer_text)
