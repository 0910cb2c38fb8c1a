"""The demo CA (``yiwang ca …``): test certificates for the demo and the tests, so nothing depends on outside CAs.

One directory (default ``<data dir>/demo-ca``, never inside the repository) holds, per algorithm (``sm2``,
``ecdsa``):

- a root CA (``root.cert.pem`` / ``root.key.pem``; basicConstraints cA, pathLen 1; keyCertSign + cRLSign) and an
  issuing intermediate (``sub.*``; pathLen 0), subjects ``C=CN, O=一网交易演示CA, CN=Yiwang Demo <ALG> … CA``;
- their CRLs (``root.crl.pem``: the intermediate's revocations, ``sub.crl.pem``: end entities'), made by
  :func:`make_crls` with an increasing CRL number;
- ``state.json``: issued and revoked serials and the CRL numbers;
- ``issued/<serial>/{key,cert,chain}.pem`` for each end-entity certificate.

End-entity subjects follow the **demo mapping** (preset ``demo``): an organisation certificate carries the USCC
in the subject ``serialNumber`` (and also in the GM/T 0015 extension 1.2.156.10260.4.1.3), a personal one the
resident ID in the GM/T 0015 extension 1.2.156.10260.4.1.1. Private keys are written readable by the owner only.
No Django here (the management command adds registration into the trust list).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import pem

from yiwang.identity.ca.domain.build import (
    OID_GMT_BUSINESS_REGISTRATION,
    OID_GMT_PERSONAL_ID,
    CertificateSpec,
    Revocation,
    build_certificate,
    build_crl,
    new_serial,
    utf8_extension_value,
)
from yiwang.identity.ca.domain.x509 import Certificate, parse_certificate
from yiwang.kernel.crypto import PrivateKey, generate_private_key, load_private_key, signer_for
from yiwang.kernel.ids import validate_resident_id, validate_uscc

ALGORITHMS: dict[str, str] = {"sm2": "sm2", "ecdsa": "ec-p256"}
ALG_LABEL = {"sm2": "SM2", "ecdsa": "ECDSA P-256"}
ORGANISATION = "一网交易演示CA"
ROOT_DAYS, SUB_DAYS, CRL_DAYS = 3650, 1825, 7


class DemoCaError(Exception):
    pass


def cert_pem(der: bytes) -> bytes:
    return pem.armor("CERTIFICATE", der)


def crl_pem(der: bytes) -> bytes:
    return pem.armor("X509 CRL", der)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if private:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)


@dataclass(frozen=True)
class CaFiles:
    algorithm: str
    role: str  # root | sub
    key: PrivateKey
    certificate: Certificate


@dataclass(frozen=True)
class Issued:
    serial: str
    algorithm: str
    directory: Path
    key_path: Path
    cert_path: Path
    chain_path: Path
    certificate: Certificate


class DemoCa:
    def __init__(self, directory: Path | str):
        self.dir = Path(directory)

    # -- state ----------------------------------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.dir / "state.json"

    def state(self) -> dict[str, Any]:
        if not self.state_path.exists():
            return {"issued": {}, "crl_number": {}}
        return json.loads(self.state_path.read_text())

    def _save(self, state: dict[str, Any]) -> None:
        _write(self.state_path, json.dumps(state, ensure_ascii=False, indent=2, sort_keys=True).encode())

    def exists(self, algorithm: str) -> bool:
        return (self.dir / algorithm / "sub.cert.pem").exists()

    def load(self, algorithm: str, role: str) -> CaFiles:
        base = self.dir / algorithm
        try:
            key = load_private_key((base / f"{role}.key.pem").read_bytes())
            cert = parse_certificate((base / f"{role}.cert.pem").read_bytes())
        except FileNotFoundError:
            raise DemoCaError(f"no demo {algorithm} CA in {self.dir}: run `yiwang ca init` first") from None
        return CaFiles(algorithm, role, key, cert)

    # -- init -------------------------------------------------------------------------------------------------------
    def init(
        self, *, at: datetime, algorithms: tuple[str, ...] = ("sm2", "ecdsa"), force: bool = False
    ) -> list[CaFiles]:
        """Create the root and the issuing CA of each algorithm (kept if present unless ``force``)."""
        made = []
        start = at.astimezone(UTC).replace(microsecond=0) - timedelta(days=1)
        for algorithm in algorithms:
            if algorithm not in ALGORITHMS:
                raise DemoCaError(f"unknown algorithm {algorithm!r} (sm2 or ecdsa)")
            if self.exists(algorithm) and not force:
                made.extend([self.load(algorithm, "root"), self.load(algorithm, "sub")])
                continue
            base = self.dir / algorithm
            root_key = generate_private_key(ALGORITHMS[algorithm])
            root_der = build_certificate(
                CertificateSpec(
                    subject=[("C", "CN"), ("O", ORGANISATION), ("CN", f"Yiwang Demo {ALG_LABEL[algorithm]} Root CA")],
                    not_before=start,
                    not_after=start + timedelta(days=ROOT_DAYS),
                    is_ca=True,
                    path_len=1,
                ),
                root_key.public_key,
                signer_for(root_key),
            )
            root = parse_certificate(root_der)
            sub_key = generate_private_key(ALGORITHMS[algorithm])
            sub_der = build_certificate(
                CertificateSpec(
                    subject=[
                        ("C", "CN"),
                        ("O", ORGANISATION),
                        ("CN", f"Yiwang Demo {ALG_LABEL[algorithm]} Issuing CA"),
                    ],
                    not_before=start,
                    not_after=start + timedelta(days=SUB_DAYS),
                    is_ca=True,
                    path_len=0,
                ),
                sub_key.public_key,
                signer_for(root_key),
                issuer_name=root.subject,
                issuer_key_id=root.subject_key_id,
            )
            _write(base / "root.key.pem", root_key.to_pem(), private=True)
            _write(base / "root.cert.pem", cert_pem(root_der))
            _write(base / "sub.key.pem", sub_key.to_pem(), private=True)
            _write(base / "sub.cert.pem", cert_pem(sub_der))
            made.extend(
                [
                    CaFiles(algorithm, "root", root_key, root),
                    CaFiles(algorithm, "sub", sub_key, parse_certificate(sub_der)),
                ]
            )
        state = self.state()
        self._save(state)
        return made

    # -- issue ------------------------------------------------------------------------------------------------------
    def issue(
        self,
        *,
        algorithm: str,
        at: datetime,
        entity: str | None = None,
        person: str | None = None,
        name: str | None = None,
        days: int = 365,
        not_before: datetime | None = None,
        out: Path | str | None = None,
    ) -> Issued:
        """Issue an end-entity signing certificate for an organisation (USCC) or a person (resident ID)."""
        if (entity is None) == (person is None):
            raise DemoCaError("give exactly one of --entity USCC or --person 身份证号码")
        if days < 1 or days > 3650:
            raise DemoCaError("--days must be 1..3650")
        sub = self.load(algorithm, "sub")
        root = self.load(algorithm, "root")
        start = (not_before or at - timedelta(minutes=5)).astimezone(UTC).replace(microsecond=0)
        serial = new_serial()
        if entity is not None:
            uscc = validate_uscc(entity)
            label = name or uscc
            subject = [("C", "CN"), ("O", label), ("CN", label), ("serialNumber", uscc)]
            extra = [(OID_GMT_BUSINESS_REGISTRATION, utf8_extension_value(uscc))]
            record = {"kind": "entity", "uscc": uscc, "name": label}
        else:
            number = validate_resident_id(person or "", today=at.date()).number
            label = name or f"个人{number[-4:]}"
            subject = [("C", "CN"), ("CN", label)]
            extra = [(OID_GMT_PERSONAL_ID, utf8_extension_value(number))]
            record = {"kind": "person", "person": number[:4] + "**********" + number[-4:], "name": label}
        key = generate_private_key(ALGORITHMS[algorithm])
        der = build_certificate(
            CertificateSpec(
                subject=subject,
                not_before=start,
                not_after=start + timedelta(days=days),
                serial=serial,
                extra_extensions=extra,
            ),
            key.public_key,
            signer_for(sub.key),
            issuer_name=sub.certificate.subject,
            issuer_key_id=sub.certificate.subject_key_id,
        )
        cert = parse_certificate(der)
        target = Path(out) if out is not None else self.dir / "issued" / cert.serial_hex
        key_path, cert_path, chain_path = target / "key.pem", target / "cert.pem", target / "chain.pem"
        _write(key_path, key.to_pem(), private=True)
        _write(cert_path, cert_pem(der))
        _write(chain_path, cert_pem(der) + cert_pem(sub.certificate.der) + cert_pem(root.certificate.der))
        state = self.state()
        state["issued"][cert.serial_hex] = {
            **record,
            "algorithm": algorithm,
            "not_before": cert.not_before.isoformat(),
            "not_after": cert.not_after.isoformat(),
            "revoked_at": None,
            "reason": None,
            "dir": str(target),
        }
        self._save(state)
        return Issued(cert.serial_hex, algorithm, target, key_path, cert_path, chain_path, cert)

    # -- revoke and CRLs ---------------------------------------------------------------------------------------------
    def revoke(self, serial: str, *, at: datetime, reason: str = "key_compromise") -> dict[str, Any]:
        state = self.state()
        key = serial.strip().upper().lstrip("0") or "0"
        item = state["issued"].get(key)
        if item is None:
            raise DemoCaError(f"serial {serial} was not issued by this demo CA")
        if item.get("revoked_at"):
            raise DemoCaError(f"serial {serial} is already revoked")
        item["revoked_at"] = at.astimezone(UTC).replace(microsecond=0).isoformat()
        item["reason"] = reason
        self._save(state)
        return item

    def make_crls(
        self, *, at: datetime, days: int = CRL_DAYS, algorithms: tuple[str, ...] = ("sm2", "ecdsa")
    ) -> list[Path]:
        """Write a fresh CRL for each root and issuing CA (CRL number + 1); returns the PEM paths."""
        state = self.state()
        paths = []
        this_update = at.astimezone(UTC).replace(microsecond=0)
        for algorithm in algorithms:
            if not self.exists(algorithm):
                continue
            for role in ("root", "sub"):
                ca = self.load(algorithm, role)
                number_key = f"{algorithm}/{role}"
                number = int(state["crl_number"].get(number_key, 0)) + 1
                state["crl_number"][number_key] = number
                revoked = []
                if role == "sub":
                    for serial, item in state["issued"].items():
                        if item["algorithm"] == algorithm and item.get("revoked_at"):
                            revoked.append(
                                Revocation(int(serial, 16), datetime.fromisoformat(item["revoked_at"]), item["reason"])
                            )
                der = build_crl(
                    ca.certificate.subject,
                    signer_for(ca.key),
                    this_update=this_update,
                    next_update=this_update + timedelta(days=days),
                    revoked=revoked,
                    crl_number=number,
                    issuer_key_id=ca.certificate.subject_key_id,
                )
                path = self.dir / algorithm / f"{role}.crl.pem"
                _write(path, crl_pem(der))
                paths.append(path)
        self._save(state)
        return paths
