"""The trust list as the pure validator needs it, read from the database (internal to this app).

Every validation reads the current list and the latest CRLs, so suspending a CA, importing a CRL or unbinding a
certificate takes effect for the very next use. Parsed certificates are cached by fingerprint (they never
change); rows are not.
"""

from __future__ import annotations

from datetime import datetime
from threading import Lock

from yiwang.identity.ca.domain.chain import CrlSnapshot, Revocation, TrustedCa, Validation, validate
from yiwang.identity.ca.domain.mapping import EMPTY, parse_mapping
from yiwang.identity.ca.domain.x509 import Certificate, parse_certificate
from yiwang.identity.ca.models import CertificateAuthority, RevocationList, RevokedSerial

_CACHE_LIMIT = 2000
_cache: dict[str, Certificate] = {}
_cache_lock = Lock()


def parsed(der: bytes, fingerprint: str) -> Certificate:
    """The parsed form of a stored certificate (cached by its SHA-256 fingerprint)."""
    found = _cache.get(fingerprint)
    if found is not None:
        return found
    certificate = parse_certificate(bytes(der))
    with _cache_lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[fingerprint] = certificate
    return certificate


def trusted_ca(row: CertificateAuthority) -> TrustedCa:
    try:
        mapping = parse_mapping(row.mapping) if row.mapping else EMPTY
    except Exception:  # a mapping is checked when stored; a bad one here only loses the mapping
        mapping = EMPTY
    return TrustedCa(
        id=row.pk,
        name=row.name,
        certificate=parsed(row.certificate_der, row.fingerprint_sha256),
        status=row.status,
        mapping=mapping,
        crl_policy=row.crl_policy,
    )


def load_trust_list() -> list[TrustedCa]:
    """Every CA of the list, whatever its status (a removed CA must be recognised to be refused)."""
    return [trusted_ca(row) for row in CertificateAuthority.objects.order_by("pk")]


class DatabaseRevocation:
    """Revocation data from the imported CRLs: the latest CRL of a CA is the one with the latest thisUpdate."""

    def latest(self, ca_id: int) -> CrlSnapshot | None:
        row = (
            RevocationList.objects.filter(ca_id=ca_id)
            .order_by("-this_update", "-pk")
            .only("pk", "this_update", "next_update", "crl_number")
            .first()
        )
        if row is None:
            return None
        return CrlSnapshot(row.pk, row.this_update, row.next_update, int(row.crl_number) if row.crl_number else None)

    def revocation(self, snapshot: CrlSnapshot, serial: int) -> Revocation | None:
        entry = RevokedSerial.objects.filter(crl_id=snapshot.crl_id, serial=format(serial, "X")).first()
        return Revocation(serial, entry.revoked_at, entry.reason) if entry else None


def validate_certificate(certificate: Certificate, *, at: datetime, map_to_subject: bool = True) -> Validation:
    return validate(certificate, load_trust_list(), DatabaseRevocation(), at=at, map_to_subject=map_to_subject)
