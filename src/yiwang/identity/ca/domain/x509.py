"""X.509 certificates for SM2, ECDSA P-256 and RSA, parsed with asn1crypto (``cryptography`` cannot read SM2 keys).

:func:`parse_certificate` turns DER or PEM into a :class:`Certificate`: the exact TBS bytes and signature, the
issuer's and subject's names (as text and as a comparison key), validity, serial, the public key as a kernel
key, the signature algorithm as a kernel algorithm id, the extensions we act on (basicConstraints, keyUsage,
key identifiers) and every other extension's raw value (GM/T 0015 identity extensions live there). Anything
that does not parse raises :class:`~yiwang.identity.ca.domain.errors.CaRefused` ``ca.malformed`` (or
``ca.algorithm_unsupported``).

:func:`verify_issued_by` checks one link: the child's signature under the issuer's key (SM2 with the default
user ID ``1234567812345678``, GB/T 35276).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from asn1crypto import core, pem, x509

from yiwang.identity.ca.domain.errors import CaRefused
from yiwang.kernel.crypto import PublicKey, load_public_key, sm3, verify_signature
from yiwang.kernel.crypto.errors import AlgorithmUnsupported, CryptoError, SignatureInvalid
from yiwang.kernel.crypto.sm2 import DEFAULT_UID, SM2_SM3_SIGNATURE_OID

# Signature algorithm OID → kernel algorithm id
SIGNATURE_OIDS: dict[str, str] = {
    SM2_SM3_SIGNATURE_OID: "sm2-sm3",
    "1.2.840.10045.4.3.2": "ecdsa-p256-sha256",  # ecdsa-with-SHA256
    "1.2.840.113549.1.1.11": "rsa-pkcs1v15-sha256",  # sha256WithRSAEncryption
    "1.2.840.113549.1.1.10": "rsa-pss-sha256",  # RSASSA-PSS (parameters must name SHA-256)
}
# kernel key kind → the family shown to people and stored on records
KEY_FAMILY: dict[str, str] = {"sm2": "sm2", "ec-p256": "ecdsa", "rsa": "rsa"}

# Extensions this module understands; an unknown *critical* extension makes the certificate unusable (RFC 5280).
HANDLED_EXTENSIONS = frozenset(
    {
        "2.5.29.19",  # basicConstraints
        "2.5.29.15",  # keyUsage
        "2.5.29.37",  # extKeyUsage (read, not enforced)
        "2.5.29.14",  # subjectKeyIdentifier
        "2.5.29.35",  # authorityKeyIdentifier
        "2.5.29.17",  # subjectAltName
        "2.5.29.32",  # certificatePolicies
        "2.5.29.31",  # cRLDistributionPoints
    }
)

# Short names of the name attributes used in subject mappings (and their OIDs)
ATTRIBUTE_OIDS: dict[str, str] = {
    "CN": "2.5.4.3",
    "serialNumber": "2.5.4.5",
    "C": "2.5.4.6",
    "L": "2.5.4.7",
    "ST": "2.5.4.8",
    "O": "2.5.4.10",
    "OU": "2.5.4.11",
    "title": "2.5.4.12",
    "givenName": "2.5.4.42",
    "SN": "2.5.4.4",
    "E": "1.2.840.113549.1.9.1",
    "UID": "0.9.2342.19200300.100.1.1",
}
_SHORT_OF_OID = {oid: short for short, oid in ATTRIBUTE_OIDS.items()}

MAX_CERTIFICATE_BYTES = 64 * 1024


def malformed(reason: str, **details: Any) -> CaRefused:
    return CaRefused("ca.malformed", reason=reason, **details)


def to_der(data: bytes | str, labels: tuple[str, ...] = ("CERTIFICATE",)) -> bytes:
    """DER of PEM (one block with one of ``labels``) or DER as given."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    data = bytes(data).strip() if pem.detect(bytes(data)) else bytes(data)
    if pem.detect(data):
        try:
            label, _headers, der = pem.unarmor(data)
        except ValueError:
            raise malformed("bad PEM armour") from None
        if label not in labels:
            raise malformed(f"PEM label {label!r} is not one of {list(labels)}")
        return der
    return data


def split_pem(data: bytes | str, label: str = "CERTIFICATE") -> list[bytes]:
    """Every PEM block with ``label`` in ``data`` (a chain file), as DER; DER input gives one item."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    if not pem.detect(data):
        return [bytes(data)]
    out = []
    try:
        for found_label, _headers, der in pem.unarmor(data, multiple=True):
            if found_label == label:
                out.append(der)
    except ValueError:
        raise malformed("bad PEM armour") from None
    return out


def name_text(name: x509.Name) -> str:
    """A readable one-line form: ``C=CN, O=…, CN=…, serialNumber=…`` in the order of the certificate."""
    parts = []
    for rdn in name.chosen:
        for attribute in rdn:
            oid = attribute["type"].dotted
            value = attribute["value"].native
            parts.append(f"{_SHORT_OF_OID.get(oid, oid)}={value}")
    return ", ".join(parts)


def name_key(name: x509.Name) -> str:
    """A comparison key for a distinguished name (RFC 5280 §7.1 comparison, as asn1crypto normalises it)."""
    return hashlib.sha256(name.hashable.encode("utf-8")).hexdigest()


def name_attributes(name: x509.Name) -> list[tuple[str, str]]:
    """``(oid, value)`` of every attribute, in order (values as text)."""
    out = []
    for rdn in name.chosen:
        for attribute in rdn:
            value = attribute["value"].native
            out.append((attribute["type"].dotted, value if isinstance(value, str) else str(value)))
    return out


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, eq=False)
class Certificate:
    """A parsed certificate (immutable). ``fingerprint_sha256`` / ``fingerprint_sm3`` are hex over the DER."""

    der: bytes
    tbs_der: bytes
    signature: bytes
    signature_algorithm: str  # kernel id: sm2-sm3, ecdsa-p256-sha256, rsa-pkcs1v15-sha256, rsa-pss-sha256
    serial: int
    version: int  # 1, 2 or 3
    issuer: x509.Name = field(repr=False)
    subject: x509.Name = field(repr=False)
    not_before: datetime
    not_after: datetime
    public_key: PublicKey
    is_ca: bool | None  # basicConstraints cA (None: extension absent)
    path_len: int | None
    key_usage: frozenset[str] | None  # asn1crypto names (digital_signature, key_cert_sign …); None: absent
    subject_key_id: bytes | None
    authority_key_id: bytes | None
    extensions: dict[str, bytes] = field(repr=False)  # OID → raw extnValue contents (the DER inside the OCTET STRING)

    # -- identity -------------------------------------------------------------------------------------------------
    @cached_property
    def fingerprint_sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @cached_property
    def fingerprint_sm3(self) -> str:
        return sm3(self.der).hex()

    @cached_property
    def subject_text(self) -> str:
        return name_text(self.subject)

    @cached_property
    def issuer_text(self) -> str:
        return name_text(self.issuer)

    @cached_property
    def subject_key(self) -> str:
        return name_key(self.subject)

    @cached_property
    def issuer_key(self) -> str:
        return name_key(self.issuer)

    @property
    def serial_hex(self) -> str:
        return format(self.serial, "X")

    @property
    def key_family(self) -> str:
        """``sm2`` / ``ecdsa`` / ``rsa``: the certificate's own key."""
        return KEY_FAMILY[self.public_key.kind]

    @property
    def self_issued(self) -> bool:
        return self.subject_key == self.issuer_key

    @cached_property
    def subject_attributes(self) -> list[tuple[str, str]]:
        return name_attributes(self.subject)

    def subject_value(self, short_or_oid: str) -> list[str]:
        oid = ATTRIBUTE_OIDS.get(short_or_oid, short_or_oid)
        return [value for found, value in self.subject_attributes if found == oid]

    @property
    def display_name(self) -> str:
        """O, else CN, else the whole subject."""
        for attr in ("O", "CN"):
            values = self.subject_value(attr)
            if values:
                return values[0]
        return self.subject_text

    def valid_at(self, moment: datetime) -> bool:
        return self.not_before <= moment <= self.not_after

    def allows_signing(self) -> bool:
        return self.key_usage is None or bool({"digital_signature", "non_repudiation"} & self.key_usage)


def _signature_algorithm(algorithm: Any) -> str:
    oid = algorithm["algorithm"].dotted
    kernel = SIGNATURE_OIDS.get(oid)
    if kernel is None:
        raise CaRefused("ca.algorithm_unsupported", oid=oid)
    if kernel == "rsa-pss-sha256":
        params = algorithm["parameters"]
        try:
            hash_name = params["hash_algorithm"]["algorithm"].native
            mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
        except (KeyError, TypeError, ValueError):
            raise CaRefused("ca.algorithm_unsupported", oid=oid, reason="bad RSASSA-PSS parameters") from None
        if hash_name != "sha256" or mgf_hash != "sha256":
            raise CaRefused("ca.algorithm_unsupported", oid=oid, hash=hash_name)
    return kernel


def _extensions(tbs: x509.TbsCertificate) -> dict[str, tuple[bool, bytes, Any]]:
    out: dict[str, tuple[bool, bytes, Any]] = {}
    extensions = tbs["extensions"]
    if not extensions.native:
        return out
    for ext in extensions:
        oid = ext["extn_id"].dotted
        if oid in out:
            raise malformed("duplicate extension", oid=oid)
        out[oid] = (bool(ext["critical"].native), ext["extn_value"].contents, ext["extn_value"])
    return out


def parse_certificate(data: bytes | str) -> Certificate:
    """Parse a DER or PEM certificate; ``ca.malformed`` / ``ca.algorithm_unsupported`` when it cannot be used."""
    der = to_der(data)
    if not der or len(der) > MAX_CERTIFICATE_BYTES:
        raise malformed("empty or too large", size=len(der))
    try:
        cert = x509.Certificate.load(der, strict=True)
        tbs = cert["tbs_certificate"]
        tbs_der = tbs.dump()
        outer = cert["signature_algorithm"]
        inner = tbs["signature"]
        signature = bytes(cert["signature_value"].native)
        serial = int(tbs["serial_number"].native)
        version = {"v1": 1, "v2": 2, "v3": 3}[tbs["version"].native]
        issuer = tbs["issuer"]
        subject = tbs["subject"]
        _ = (issuer.native, subject.native)  # parse the names now, inside the try
        validity = tbs["validity"]
        not_before = _aware(validity["not_before"].native)
        not_after = _aware(validity["not_after"].native)
        spki = tbs["subject_public_key_info"].dump()
        extensions = _extensions(tbs)
    except CaRefused:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise malformed("not a DER X.509 certificate", error=type(exc).__name__) from None
    if outer.dump() != inner.dump():
        raise malformed("signatureAlgorithm differs from the TBS signature field")
    algorithm = _signature_algorithm(outer)
    try:
        public_key = load_public_key(spki)
    except AlgorithmUnsupported as exc:
        raise CaRefused("ca.algorithm_unsupported", reason="public key", **exc.details) from None
    except CryptoError as exc:
        raise malformed("bad public key", **exc.details) from None

    is_ca = path_len = key_usage = ski = aki = None
    for oid, (critical, _raw, _value) in extensions.items():
        if critical and oid not in HANDLED_EXTENSIONS:
            raise malformed("unhandled critical extension", oid=oid)
    try:
        if "2.5.29.19" in extensions:
            bc = extensions["2.5.29.19"][2].parsed
            is_ca = bool(bc["ca"].native)
            path_len = bc["path_len_constraint"].native
        if "2.5.29.15" in extensions:
            key_usage = frozenset(extensions["2.5.29.15"][2].parsed.native)
        if "2.5.29.14" in extensions:
            ski = bytes(extensions["2.5.29.14"][2].parsed.native)
        if "2.5.29.35" in extensions:
            value = extensions["2.5.29.35"][2].parsed["key_identifier"].native
            aki = bytes(value) if value is not None else None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise malformed("bad extension value") from None
    if not_after < not_before:
        raise malformed("notAfter is before notBefore")
    return Certificate(
        der=der,
        tbs_der=tbs_der,
        signature=signature,
        signature_algorithm=algorithm,
        serial=serial,
        version=version,
        issuer=issuer,
        subject=subject,
        not_before=not_before,
        not_after=not_after,
        public_key=public_key,
        is_ca=is_ca,
        path_len=path_len,
        key_usage=key_usage,
        subject_key_id=ski,
        authority_key_id=aki,
        extensions={oid: raw for oid, (_c, raw, _v) in extensions.items()},
    )


def extension_strings(raw: bytes) -> list[str]:
    """Every character string inside an extension value (a plain string or a SEQUENCE/SET of them, any depth).

    GM/T 0015 identity extensions are encoded differently by different CAs; the mapping only needs the text."""
    out: list[str] = []

    def walk(value: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, bytes):
            try:
                walk(core.load(value).native, depth + 1)
            except (ValueError, TypeError):
                text = value.decode("utf-8", "ignore").strip()
                if text:
                    out.append(text)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item, depth + 1)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, depth + 1)

    try:
        walk(core.load(raw).native, 0)
    except (ValueError, TypeError):
        text = raw.decode("utf-8", "ignore").strip()
        if text:
            out.append(text)
    return out


def verify_signed_by(tbs: bytes, signature: bytes, algorithm: str, issuer_key: PublicKey) -> bool:
    """Does ``signature`` over ``tbs`` verify under ``issuer_key`` with ``algorithm``? (never raises)"""
    try:
        verify_signature(issuer_key, algorithm, tbs, signature, sm2_uid=DEFAULT_UID)
    except (SignatureInvalid, AlgorithmUnsupported, CryptoError, ValueError):
        return False
    return True


def verify_issued_by(child: Certificate, issuer: Certificate) -> bool:
    """Is ``child`` signed by ``issuer``'s key? (name chaining is the caller's business)"""
    return verify_signed_by(child.tbs_der, child.signature, child.signature_algorithm, issuer.public_key)
