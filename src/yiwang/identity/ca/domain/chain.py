"""Certificate path validation against the trust list (CA互认), at an injected instant.

Input: an end-entity certificate, the CAs of the trust list (:class:`TrustedCa`, every status — a removed or
suspended CA must be *recognised* to be refused with the right reason), a source of revocation data, and the
instant of use. Steps, each with its reason code:

1. **Path building** — from the certificate up, find the issuer among the trust list by name (RFC 5280 name
   comparison) and, when the child carries an authority key identifier, by key identifier; verify the child's
   signature under the issuer's key with the child's algorithm (SM2-with-SM3 with the default user ID for SM2);
   repeat until a self-issued root. No issuer in the list → ``ca.unknown_issuer``; a signature that fails on
   every candidate → ``ca.bad_chain_signature``; a path that does not end at a root → ``ca.untrusted``.
2. **Trust status** — any CA on the path removed → ``ca.untrusted``; suspended → ``ca.ca_suspended``.
3. **Validity periods** of every certificate on the path at the instant → ``ca.expired`` / ``ca.not_yet_valid``.
4. **Constraints** — every issuer has basicConstraints cA=TRUE (and keyCertSign when keyUsage is present),
   path lengths respected → ``ca.not_a_ca``; the end-entity certificate allows digitalSignature or
   nonRepudiation when keyUsage is present → ``ca.key_usage``.
5. **Revocation** — for every certificate but the root, the latest imported CRL of its issuer: listed with a
   revocation date at or before the instant → ``ca.revoked``. No CRL → ``ca.crl_missing``; CRL past its
   nextUpdate → ``ca.crl_stale``; each of these two fails or only warns, per the issuing CA's ``crl_policy``.
6. **Subject mapping** (optional) with the nearest CA on the path that has a mapping → ``ca.subject_unmapped``.

Pure Python: the trust list and CRLs come in as values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from yiwang.identity.ca.domain.crl import Crl
from yiwang.identity.ca.domain.errors import CaRefused
from yiwang.identity.ca.domain.mapping import MappedSubject, SubjectMapping, map_subject
from yiwang.identity.ca.domain.x509 import Certificate, verify_issued_by

MAX_DEPTH = 8
ACTIVE, SUSPENDED, REMOVED = "active", "suspended", "removed"
CRL_FAIL, CRL_WARN = "fail", "warn"


@dataclass(frozen=True, eq=False)
class TrustedCa:
    """One CA of the trust list, as validation needs it."""

    id: int
    name: str
    certificate: Certificate
    status: str = ACTIVE
    mapping: SubjectMapping = field(default_factory=lambda: SubjectMapping(()))
    crl_policy: str = CRL_FAIL

    @property
    def is_root(self) -> bool:
        return self.certificate.self_issued


@dataclass(frozen=True)
class CrlSnapshot:
    """The latest imported CRL of a CA (already checked against the CA when it was imported)."""

    crl_id: int
    this_update: datetime
    next_update: datetime | None
    crl_number: int | None


@dataclass(frozen=True)
class Revocation:
    serial: int
    revoked_at: datetime
    reason: str


class RevocationSource(Protocol):
    def latest(self, ca_id: int) -> CrlSnapshot | None:
        """The latest imported CRL of the CA, or None."""
        ...

    def revocation(self, snapshot: CrlSnapshot, serial: int) -> Revocation | None:
        """The entry for ``serial`` in that CRL, or None."""
        ...


class InMemoryRevocation:
    """A :class:`RevocationSource` over parsed CRLs (tests, the demo tool)."""

    def __init__(self, crls: dict[int, Crl] | None = None):
        self.crls: dict[int, Crl] = dict(crls or {})

    def latest(self, ca_id: int) -> CrlSnapshot | None:
        crl = self.crls.get(ca_id)
        if crl is None:
            return None
        return CrlSnapshot(ca_id, crl.this_update, crl.next_update, crl.crl_number)

    def revocation(self, snapshot: CrlSnapshot, serial: int) -> Revocation | None:
        entry = self.crls[snapshot.crl_id].revocation_of(serial)
        return Revocation(entry.serial, entry.revoked_at, entry.reason) if entry else None


@dataclass(frozen=True)
class Validation:
    """The outcome. ``ok`` with the path (issuer first, root last) and the mapped subject, or a reason."""

    ok: bool
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    path: tuple[TrustedCa, ...] = ()
    subject: MappedSubject | None = None
    warnings: tuple[str, ...] = ()

    @property
    def issuer(self) -> TrustedCa | None:
        return self.path[0] if self.path else None

    @property
    def root(self) -> TrustedCa | None:
        return self.path[-1] if self.path else None

    def raise_for_failure(self) -> None:
        if not self.ok:
            raise CaRefused(self.reason or "ca.untrusted", self.details)


class _Refusal(Exception):
    def __init__(self, code: str, /, **details: Any):
        super().__init__(code)
        self.reason = code
        self.details = details


def _issuer_candidates(child: Certificate, trust_list: Sequence[TrustedCa]) -> list[TrustedCa]:
    named = [ca for ca in trust_list if ca.certificate.subject_key == child.issuer_key]
    if child.authority_key_id:
        keyed = [ca for ca in named if ca.certificate.subject_key_id == child.authority_key_id]
        if keyed:
            return keyed
    return named


def _who(cert: Certificate) -> dict[str, Any]:
    return {"subject": cert.subject_text, "serial": cert.serial_hex}


def build_path(certificate: Certificate, trust_list: Sequence[TrustedCa]) -> tuple[TrustedCa, ...]:
    """The path of trust-list CAs above ``certificate`` (issuer first, root last); raises :class:`_Refusal`."""
    path: list[TrustedCa] = []
    child = certificate
    # the end entity itself may be a CA on the list (a CA certificate presented as signer): it is not its own issuer
    for _depth in range(MAX_DEPTH):
        candidates = _issuer_candidates(child, trust_list)
        if not candidates:
            if path:  # the chain stops at a CA whose issuer is not on the list
                raise _Refusal("ca.untrusted", reason="the chain does not reach a root on the list", **_who(child))
            raise _Refusal("ca.unknown_issuer", issuer=child.issuer_text, **_who(child))
        verified = [ca for ca in candidates if verify_issued_by(child, ca.certificate)]
        if not verified:
            raise _Refusal("ca.bad_chain_signature", issuer=child.issuer_text, **_who(child))
        # prefer an active CA when a CA was re-registered (same key and name) after removal
        verified.sort(key=lambda ca: {ACTIVE: 0, SUSPENDED: 1}.get(ca.status, 2))
        issuer = verified[0]
        if any(issuer is seen for seen in path):
            raise _Refusal("ca.untrusted", reason="loop in the chain", **_who(child))
        path.append(issuer)
        if issuer.is_root:
            return tuple(path)
        child = issuer.certificate
    raise _Refusal("ca.untrusted", reason="chain too long", depth=MAX_DEPTH)


def _check_status(path: Sequence[TrustedCa]) -> None:
    for ca in path:
        if ca.status == REMOVED:
            raise _Refusal("ca.untrusted", ca_id=ca.id, ca=ca.name, status=ca.status)
    for ca in path:
        if ca.status != ACTIVE:
            raise _Refusal("ca.ca_suspended", ca_id=ca.id, ca=ca.name, status=ca.status)


def _check_validity(chain: Sequence[Certificate], at: datetime) -> None:
    for position, cert in enumerate(chain):
        role = "end_entity" if position == 0 else "ca"
        if at < cert.not_before:
            raise _Refusal("ca.not_yet_valid", role=role, not_before=cert.not_before.isoformat(), **_who(cert))
        if at > cert.not_after:
            raise _Refusal("ca.expired", role=role, not_after=cert.not_after.isoformat(), **_who(cert))


def _check_constraints(chain: Sequence[Certificate]) -> None:
    end_entity, issuers = chain[0], chain[1:]
    for below, cert in enumerate(issuers):  # ``below``: CA certificates between this one and the end entity
        if cert.is_ca is not True:
            raise _Refusal("ca.not_a_ca", reason="basicConstraints cA is not TRUE", **_who(cert))
        if cert.key_usage is not None and "key_cert_sign" not in cert.key_usage:
            raise _Refusal("ca.not_a_ca", reason="keyUsage lacks keyCertSign", **_who(cert))
        if cert.path_len is not None and below > cert.path_len:
            raise _Refusal("ca.not_a_ca", reason="pathLenConstraint exceeded", path_len=cert.path_len, **_who(cert))
    if not end_entity.allows_signing():
        raise _Refusal("ca.key_usage", key_usage=sorted(end_entity.key_usage or ()), **_who(end_entity))


def _check_revocation(
    chain: Sequence[Certificate], path: Sequence[TrustedCa], source: RevocationSource, at: datetime
) -> list[str]:
    warnings: list[str] = []
    for cert, issuer in zip(chain, path, strict=False):  # each certificate with its issuer; the root is last
        snapshot = source.latest(issuer.id)
        if snapshot is None:
            if issuer.crl_policy == CRL_FAIL:
                raise _Refusal("ca.crl_missing", ca_id=issuer.id, ca=issuer.name)
            warnings.append("ca.crl_missing")
        else:
            if snapshot.next_update is not None and snapshot.next_update < at:
                if issuer.crl_policy == CRL_FAIL:
                    raise _Refusal(
                        "ca.crl_stale", ca_id=issuer.id, ca=issuer.name, next_update=snapshot.next_update.isoformat()
                    )
                warnings.append("ca.crl_stale")
            entry = source.revocation(snapshot, cert.serial)
            if entry is not None and entry.revoked_at <= at:
                raise _Refusal(
                    "ca.revoked",
                    revoked_at=entry.revoked_at.isoformat(),
                    revocation_reason=entry.reason,
                    ca_id=issuer.id,
                    **_who(cert),
                )
    return sorted(set(warnings))


def mapping_for(path: Sequence[TrustedCa]) -> SubjectMapping:
    for ca in path:
        if not ca.mapping.is_empty:
            return ca.mapping
    return SubjectMapping(())


def validate(
    certificate: Certificate,
    trust_list: Sequence[TrustedCa],
    revocation: RevocationSource,
    *,
    at: datetime,
    map_to_subject: bool = True,
) -> Validation:
    """Validate ``certificate`` at ``at`` (see the module text for the steps and reason codes)."""
    path: tuple[TrustedCa, ...] = ()
    try:
        path = build_path(certificate, trust_list)
        _check_status(path)
        chain = [certificate, *(ca.certificate for ca in path)]
        _check_validity(chain, at)
        _check_constraints(chain)
        warnings = _check_revocation(chain, path, revocation, at)
    except _Refusal as refusal:
        return Validation(False, refusal.reason, refusal.details, path)
    subject = None
    if map_to_subject:
        try:
            subject = map_subject(certificate, mapping_for(path), today=at.date())
        except CaRefused as exc:
            return Validation(False, exc.code, exc.details, path, warnings=tuple(warnings))
    return Validation(True, None, {}, path, subject, tuple(warnings))


def validate_ca_certificate(
    certificate: Certificate, trust_list: Sequence[TrustedCa], *, at: datetime
) -> tuple[TrustedCa, ...]:
    """For registering a CA: the path of an intermediate up to a registered root (empty for a root), checked
    for signatures, status, validity and CA constraints (revocation is not required here). Raises CaRefused."""
    if certificate.is_ca is not True:
        raise CaRefused("ca.not_a_ca", reason="basicConstraints cA is not TRUE", **_who(certificate))
    if certificate.key_usage is not None and "key_cert_sign" not in certificate.key_usage:
        raise CaRefused("ca.not_a_ca", reason="keyUsage lacks keyCertSign", **_who(certificate))
    try:
        if certificate.self_issued:
            if not verify_issued_by(certificate, certificate):
                raise _Refusal("ca.bad_chain_signature", reason="bad self-signature", **_who(certificate))
            _check_validity([certificate], at)
            return ()
        path = build_path(certificate, trust_list)
        _check_status(path)
        chain = [certificate, *(ca.certificate for ca in path)]
        _check_validity(chain, at)
        for below, cert in enumerate(chain[1:], start=1):
            if cert.is_ca is not True or (cert.key_usage is not None and "key_cert_sign" not in cert.key_usage):
                raise _Refusal("ca.not_a_ca", **_who(cert))
            if cert.path_len is not None and below > cert.path_len:
                raise _Refusal("ca.not_a_ca", reason="pathLenConstraint exceeded", **_who(cert))
        return path
    except _Refusal as refusal:
        raise CaRefused(refusal.reason, refusal.details) from None
