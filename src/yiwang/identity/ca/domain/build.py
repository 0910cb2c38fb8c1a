"""Building certificates and CRLs (for the demo CA and the tests), SM2 included.

Everything is assembled with asn1crypto and signed through the kernel's :class:`~yiwang.kernel.crypto.Signer`,
so SM2 (``SM2-with-SM3``, 1.2.156.10197.1.501, default user ID), ECDSA P-256 (``ecdsa-with-SHA256``) and RSA-PSS
certificates come out of the same code. The output is ordinary DER that OpenSSL 3 accepts
(``openssl verify -vfyopt distid:1234567812345678`` for SM2). Pure Python.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, core, keys, x509
from asn1crypto import crl as asn1_crl

from yiwang.identity.ca.domain.x509 import ATTRIBUTE_OIDS
from yiwang.kernel.crypto import PublicKey, Signer
from yiwang.kernel.crypto.sm2 import SM2_SM3_SIGNATURE_OID

# GM/T 0015-2012 identity extensions (◇ verify against the standard's current text)
OID_GMT_PERSONAL_ID = "1.2.156.10260.4.1.1"  # IdentifyCode: 个人身份标识码
OID_GMT_BUSINESS_REGISTRATION = "1.2.156.10260.4.1.3"  # 工商注册号 (CAs now put the USCC here)
OID_GMT_ORGANISATION_CODE = "1.2.156.10260.4.1.4"  # 组织机构代码
OID_GMT_TAX_NUMBER = "1.2.156.10260.4.1.5"  # 税号

_PRINTABLE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")


def _attribute_value(oid: str, value: str) -> x509.NameTypeAndValue:
    """PrintableString where the characters allow it (as most CAs encode C and serialNumber), else UTF8String."""
    kind = "printable_string" if set(value) <= _PRINTABLE else "utf8_string"
    return x509.NameTypeAndValue({"type": oid, "value": x509.DirectoryString(name=kind, value=value)})


def build_name(attributes: Sequence[tuple[str, str]]) -> x509.Name:
    """A distinguished name from ``(short name or OID, value)`` pairs, one RDN each, in the given order."""
    rdns = []
    for short_or_oid, value in attributes:
        oid = ATTRIBUTE_OIDS.get(short_or_oid, short_or_oid)
        rdns.append(x509.RelativeDistinguishedName([_attribute_value(oid, value)]))
    return x509.Name(name="", value=x509.RDNSequence(rdns))


def key_identifier(public_key: PublicKey) -> bytes:
    """RFC 7093 method 1: the leftmost 160 bits of SHA-256 over the subjectPublicKey bits."""
    info = keys.PublicKeyInfo.load(public_key.to_der())
    return hashlib.sha256(info["public_key"].contents[1:]).digest()[:20]


def _signature_algorithm(signer: Signer) -> algos.SignedDigestAlgorithm:
    if signer.algorithm == "sm2-sm3":
        return algos.SignedDigestAlgorithm({"algorithm": SM2_SM3_SIGNATURE_OID})
    if signer.algorithm == "ecdsa-p256-sha256":
        return algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    if signer.algorithm == "rsa-pss-sha256":
        return algos.SignedDigestAlgorithm(
            {
                "algorithm": "rsassa_pss",
                "parameters": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
                    "salt_length": 32,
                },
            }
        )
    raise ValueError(f"cannot sign certificates with {signer.algorithm}")


def _time(moment: datetime) -> x509.Time:
    moment = moment.astimezone(UTC).replace(microsecond=0)
    if moment.year < 2050:
        return x509.Time(name="utc_time", value=moment)
    return x509.Time(name="general_time", value=moment)


def _extension(oid: str, value: core.Asn1Value | bytes, critical: bool = False) -> x509.Extension:
    raw = value if isinstance(value, bytes) else value.dump()
    ext = x509.Extension({"extn_id": oid, "critical": critical})
    ext["extn_value"] = core.ParsableOctetString(raw)
    return ext


@dataclass(frozen=True)
class CertificateSpec:
    """What goes into a certificate besides the keys."""

    subject: Sequence[tuple[str, str]]
    not_before: datetime
    not_after: datetime
    serial: int | None = None  # random 64-bit positive when None
    is_ca: bool = False
    path_len: int | None = None
    key_usage: Iterable[str] | None = None  # asn1crypto names; default per is_ca
    extra_extensions: Sequence[tuple[str, bytes]] = ()  # (OID, DER of the value) — GM/T 0015 identity codes …


def new_serial() -> int:
    """A random positive serial of 64 bits (RFC 5280 allows up to 20 octets; CA/B asks for ≥ 64 random bits)."""
    return secrets.randbits(63) | (1 << 62)


def utf8_extension_value(text: str) -> bytes:
    return core.UTF8String(text).dump()


def build_certificate(
    spec: CertificateSpec,
    subject_key: PublicKey,
    issuer_signer: Signer,
    *,
    issuer_name: x509.Name | None = None,
    issuer_key_id: bytes | None = None,
) -> bytes:
    """DER of a v3 certificate for ``subject_key`` signed by ``issuer_signer``. Self-signed when
    ``issuer_name`` is None (the subject is then the issuer and ``issuer_signer`` must hold ``subject_key``)."""
    subject = build_name(spec.subject)
    issuer = issuer_name if issuer_name is not None else subject
    ski = key_identifier(subject_key)
    aki = issuer_key_id if issuer_key_id is not None else (ski if issuer_name is None else None)
    usage = set(spec.key_usage) if spec.key_usage is not None else None
    if usage is None:
        usage = {"key_cert_sign", "crl_sign"} if spec.is_ca else {"digital_signature", "non_repudiation"}
    extensions = [
        _extension(
            "2.5.29.19",
            x509.BasicConstraints({"ca": spec.is_ca, "path_len_constraint": spec.path_len if spec.is_ca else None}),
            critical=True,
        ),
        _extension("2.5.29.15", x509.KeyUsage(usage), critical=True),
        _extension("2.5.29.14", core.OctetString(ski)),
    ]
    if aki is not None:
        extensions.append(_extension("2.5.29.35", x509.AuthorityKeyIdentifier({"key_identifier": aki})))
    extensions.extend(_extension(oid, value) for oid, value in spec.extra_extensions)
    algorithm = _signature_algorithm(issuer_signer)
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": spec.serial if spec.serial is not None else new_serial(),
            "signature": algorithm,
            "issuer": issuer,
            "validity": {"not_before": _time(spec.not_before), "not_after": _time(spec.not_after)},
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(subject_key.to_der()),
            "extensions": extensions,
        }
    )
    tbs_der = tbs.dump()
    signature = issuer_signer.sign(tbs_der)
    cert = x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": core.OctetBitString(signature)}
    )
    return cert.dump()


@dataclass(frozen=True)
class Revocation:
    serial: int
    revoked_at: datetime
    reason: str = "unspecified"  # key_compromise, ca_compromise, affiliation_changed, superseded, …


def build_crl(
    issuer_name: x509.Name,
    issuer_signer: Signer,
    *,
    this_update: datetime,
    next_update: datetime,
    revoked: Iterable[Revocation] = (),
    crl_number: int = 1,
    issuer_key_id: bytes | None = None,
) -> bytes:
    """DER of a v2 CRL signed by ``issuer_signer``, with CRL number and authority key identifier."""
    algorithm = _signature_algorithm(issuer_signer)
    entries = []
    for item in sorted(revoked, key=lambda r: r.serial):
        entry = {"user_certificate": item.serial, "revocation_date": _time(item.revoked_at)}
        if item.reason != "unspecified":
            entry["crl_entry_extensions"] = [
                {"extn_id": "crl_reason", "critical": False, "extn_value": asn1_crl.CRLReason(item.reason)}
            ]
        entries.append(entry)
    crl_extensions = [{"extn_id": "crl_number", "critical": False, "extn_value": crl_number}]
    if issuer_key_id is not None:
        crl_extensions.append(
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": issuer_key_id},
            }
        )
    tbs_fields = {
        "version": "v2",
        "signature": algorithm,
        "issuer": issuer_name,
        "this_update": _time(this_update),
        "next_update": _time(next_update),
        "crl_extensions": crl_extensions,
    }
    if entries:
        tbs_fields["revoked_certificates"] = entries
    tbs = asn1_crl.TbsCertList(tbs_fields)
    tbs_der = tbs.dump()
    signature = issuer_signer.sign(tbs_der)
    return asn1_crl.CertificateList(
        {"tbs_cert_list": tbs, "signature_algorithm": algorithm, "signature": core.OctetBitString(signature)}
    ).dump()
