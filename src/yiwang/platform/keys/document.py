"""The platform's public keys as a JSON document, and the key ring an offline verifier builds from it.

Pure Python (``yiwang.kernel`` only, no Django): ``yiwang witness verify --archive … --keys keys.json`` and any
outside auditor's tool use it without a database.

The document (``GET /api/v1/witness/keys``, ``yiwang keys export-public``)::

    {"type": "yiwang.platform.public_keys", "v": 1,
     "platform": {"code": "<统一社会信用代码>", "name": "…"},
     "sm2_user_id": "1234567812345678",
     "keys": [{"key_id": "sm3:…", "kind": "sm2", "algorithm": "sm2-sm3",
               "public_key_pem": "-----BEGIN PUBLIC KEY-----…", "valid_from": "<UTC ISO, µs>",
               "retired_at": null | "<UTC ISO, µs>", "endorsed_by": "" | "sm3:…", "endorsement": "" | "<base64>"}]}

``key_id`` is ``sm3:`` + hex(SM3(SubjectPublicKeyInfo DER)) and is recomputed from the PEM when the document is
read, so a document cannot pair a key id with another key. A key made by rotation is *endorsed* by the key it
replaced: ``endorsement`` is the old key's signature over :func:`endorsement_bytes` of the new key, so a
verifier who trusts the first key can follow every rotation (:meth:`KeyRing.check_endorsements`).
Retired keys stay in the document for ever: retiring a key ends its use, it does not revoke what it signed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.crypto import PublicKey, load_public_key, verify_signature
from yiwang.kernel.crypto.errors import CryptoError
from yiwang.kernel.crypto.sm2 import DEFAULT_UID
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.audit.merkle import parse_utc  # pure, like this module

KEYS_DOCUMENT_TYPE = "yiwang.platform.public_keys"
KEYS_DOCUMENT_VERSION = 1
ENDORSEMENT_CONTEXT = b"yiwang.platform.key_endorsement.v1\x00"
ALGORITHM_OF_KIND = {"sm2": "sm2-sm3", "ec-p256": "ecdsa-p256-sha256"}

_RECORD_KEYS = frozenset(
    {
        "key_id",
        "kind",
        "algorithm",
        "public_key_pem",
        "valid_from",
        "retired_at",
        "endorsed_by",
        "endorsement",
    }
)


def _malformed(reason: str) -> InvalidInput:
    return InvalidInput(
        "keys.document_malformed",
        f"平台公钥文件格式错误：{reason}",
        f"malformed platform public keys document: {reason}",
        {"reason": reason},
    )


def _parse_time(text: Any) -> datetime:
    return parse_utc(text)


@dataclass(frozen=True)
class KeyRecord:
    """One platform public key and its life: signing from ``valid_from`` until ``retired_at`` (None: current)."""

    key_id: str
    kind: str
    algorithm: str
    public_key_pem: str
    valid_from: datetime
    retired_at: datetime | None = None
    endorsed_by: str = ""
    endorsement: str = ""

    @property
    def current(self) -> bool:
        return self.retired_at is None

    def public_key(self) -> PublicKey:
        return load_public_key(self.public_key_pem.encode("ascii"))

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "kind": self.kind,
            "algorithm": self.algorithm,
            "public_key_pem": self.public_key_pem,
            "valid_from": iso_utc(self.valid_from),
            "retired_at": iso_utc(self.retired_at) if self.retired_at is not None else None,
            "endorsed_by": self.endorsed_by,
            "endorsement": self.endorsement,
        }

    @classmethod
    def from_json(cls, data: Any) -> KeyRecord:
        """Parse strictly; the key id must be the one the PEM gives, the algorithm the one its kind signs with."""
        if not isinstance(data, dict) or set(data) != _RECORD_KEYS:
            raise _malformed("a key has exactly the keys " + ", ".join(sorted(_RECORD_KEYS)))
        texts = ("key_id", "kind", "algorithm", "public_key_pem", "endorsed_by", "endorsement")
        if not all(isinstance(data[name], str) for name in texts):
            raise _malformed("key_id, kind, algorithm, public_key_pem, endorsed_by and endorsement are strings")
        if ALGORITHM_OF_KIND.get(data["kind"]) != data["algorithm"]:
            raise _malformed(f"unsupported kind/algorithm {data['kind']!r}/{data['algorithm']!r}")
        try:
            key = load_public_key(data["public_key_pem"].encode("ascii"))
            valid_from = _parse_time(data["valid_from"])
            retired_at = None if data["retired_at"] is None else _parse_time(data["retired_at"])
        except (CryptoError, ValueError, UnicodeEncodeError) as exc:
            raise _malformed(str(exc)) from None
        if key.key_id != data["key_id"] or key.kind != data["kind"]:
            raise _malformed(f"key_id {data['key_id'][:24]}… does not belong to the public key given")
        return cls(
            key_id=data["key_id"],
            kind=data["kind"],
            algorithm=data["algorithm"],
            public_key_pem=data["public_key_pem"],
            valid_from=valid_from,
            retired_at=retired_at,
            endorsed_by=data["endorsed_by"],
            endorsement=data["endorsement"],
        )


def endorsement_bytes(record: KeyRecord) -> bytes:
    """What the previous key signs when it hands over to ``record``'s key::

    b"yiwang.platform.key_endorsement.v1" + b"\\x00" + canonical_json(
        {"algorithm": …, "key_id": …, "public_key_pem": …, "valid_from": "<UTC ISO, µs>"})
    """
    return ENDORSEMENT_CONTEXT + canonical_json(
        {
            "key_id": record.key_id,
            "algorithm": record.algorithm,
            "public_key_pem": record.public_key_pem,
            "valid_from": iso_utc(record.valid_from),
        }
    )


def build_document(records: Iterable[KeyRecord], *, platform_code: str, platform_name: str) -> dict[str, Any]:
    """The public keys document (JSON-able), keys oldest first."""
    ordered = sorted(records, key=lambda r: (r.valid_from, r.key_id))
    return {
        "type": KEYS_DOCUMENT_TYPE,
        "v": KEYS_DOCUMENT_VERSION,
        "platform": {"code": platform_code, "name": platform_name},
        "sm2_user_id": DEFAULT_UID.decode("ascii"),
        "keys": [r.to_json() for r in ordered],
    }


def _b64(text: str) -> bytes:
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return raw


class KeyRing:
    """The platform keys an offline verifier trusts, by key id; verification answers ``True``/``False``."""

    def __init__(self, records: Iterable[KeyRecord]):
        self.records: dict[str, KeyRecord] = {}
        for record in records:
            self.records[record.key_id] = record
        self._keys: dict[str, PublicKey] = {}

    @classmethod
    def from_document(cls, data: Any) -> KeyRing:
        """Parse a keys document strictly (``keys.document_malformed`` otherwise)."""
        expected = {"type", "v", "platform", "sm2_user_id", "keys"}
        if not isinstance(data, dict) or set(data) != expected or data["type"] != KEYS_DOCUMENT_TYPE:
            raise _malformed("not a platform public keys document")
        if data["v"] != KEYS_DOCUMENT_VERSION or isinstance(data["v"], bool):
            raise _malformed(f"unsupported version {data['v']!r}")
        if data["sm2_user_id"] != DEFAULT_UID.decode("ascii"):
            raise _malformed("only the default SM2 user ID is used by the platform")
        if not isinstance(data["keys"], list):
            raise _malformed("keys is a list")
        records = [KeyRecord.from_json(item) for item in data["keys"]]
        if len({r.key_id for r in records}) != len(records):
            raise _malformed("a key is listed twice")
        return cls(records)

    @classmethod
    def from_text(cls, text: str | bytes) -> KeyRing:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _malformed(f"not JSON: {exc}") from None
        return cls.from_document(data)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self.records

    def public_key(self, key_id: str) -> PublicKey | None:
        if key_id not in self.records:
            return None
        if key_id not in self._keys:
            self._keys[key_id] = self.records[key_id].public_key()
        return self._keys[key_id]

    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is key ``key_id``'s over ``message`` (``False`` for an unknown key)."""
        key = self.public_key(key_id) if isinstance(key_id, str) else None
        if key is None or not isinstance(signature, bytes):
            return False
        try:
            verify_signature(key, self.records[key_id].algorithm, message, signature)
        except CryptoError:
            return False
        return True

    def verify_head(self, message: bytes, signature: bytes) -> bool:
        """A :data:`~yiwang.platform.audit.merkle.SignatureVerifier` for signed tree heads: the key is the one
        named by ``key_id`` inside the signed bytes (canonical JSON, so the name itself is signed)."""
        try:
            key_id = json.loads(message)["key_id"]
        except (ValueError, TypeError, KeyError):
            return False
        return self.verify(key_id, message, signature)

    def check_endorsements(self) -> list[str]:
        """Problems with the chain of rotations (empty when every key but the first is endorsed, directly or
        through other keys, by the first one).

        The first key — the oldest one nobody endorsed — is the anchor: it is trusted because the document
        came from a trusted place. Every other key must carry a valid endorsement by another key of the ring
        and lead back to the anchor through such endorsements."""
        problems: list[str] = []
        records = self.records
        unendorsed = sorted((r for r in records.values() if not r.endorsed_by), key=lambda r: (r.valid_from, r.key_id))
        anchor = unendorsed[0].key_id if unendorsed else None
        valid: dict[str, str] = {}  # key → the key that validly endorsed it
        for record in sorted(records.values(), key=lambda r: (r.valid_from, r.key_id)):
            if record.key_id == anchor:
                continue
            if not record.endorsed_by or not record.endorsement:
                problems.append(f"{record.key_id}: not endorsed by an earlier key")
            elif record.endorsed_by not in records or record.endorsed_by == record.key_id:
                problems.append(f"{record.key_id}: endorsed by unknown key {record.endorsed_by}")
            else:
                try:
                    signature = _b64(record.endorsement)
                except (ValueError, binascii.Error, UnicodeEncodeError):
                    problems.append(f"{record.key_id}: endorsement is not base64")
                    continue
                if self.verify(record.endorsed_by, endorsement_bytes(record), signature):
                    valid[record.key_id] = record.endorsed_by
                else:
                    problems.append(f"{record.key_id}: endorsement by {record.endorsed_by} does not verify")
        for key_id in valid:
            seen, step = {key_id}, valid[key_id]
            while step in valid and step not in seen:
                seen.add(step)
                step = valid[step]
            if step != anchor:
                problems.append(f"{key_id}: its endorsements do not lead back to the first key")
        return problems
