"""What exactly gets signed, and the verdict of a verification.

Three kinds of signed message, each with its own prefix so that a signature made for one can never be
presented as another (domain separation):

- **documents** (detached, by digest): ``"yiwang-document-v1\\n" + <alg> + ":" + hex(digest) + "\\n"``, where
  the digest is SM3 of the file for SM2 certificates and SHA-256 otherwise. A signing client hashes the file
  locally and signs this short text; the platform records the digest;
- **API payloads**: ``"yiwang-api-v1\\n" + timestamp + "\\n" + nonce + "\\n" + canonical JSON of the payload``
  (``yiwang.kernel.canonical``), the timestamp RFC 3339 in UTC, the nonce 16–128 characters ``[A-Za-z0-9_-]``.
  The receiver checks the timestamp against a replay window and refuses a nonce it has seen;
- **challenges** (QR / mobile confirmation): the challenge text itself (see :mod:`.challenge`).

Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from yiwang.identity.ca.domain.errors import CaRefused, reason_text
from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.crypto import hash_by_name

DOCUMENT_PREFIX = "yiwang-document-v1"
API_PREFIX = "yiwang-api-v1"
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
DIGEST_SIZES = {"sm3": 32, "sha256": 32}


def digest_algorithm_for(key_family: str) -> str:
    """SM3 for SM2 certificates, SHA-256 for ECDSA and RSA ones."""
    return "sm3" if key_family == "sm2" else "sha256"


def document_digest(data: bytes, key_family: str) -> tuple[str, bytes]:
    algorithm = digest_algorithm_for(key_family)
    return algorithm, hash_by_name(algorithm, data)


def document_signing_input(digest_algorithm: str, digest: bytes) -> bytes:
    if digest_algorithm not in DIGEST_SIZES or len(digest) != DIGEST_SIZES[digest_algorithm]:
        raise CaRefused("ca.malformed", reason="digest algorithm or length", algorithm=digest_algorithm)
    return f"{DOCUMENT_PREFIX}\n{digest_algorithm}:{digest.hex()}\n".encode("ascii")


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp with an offset (``Z`` or ``+08:00``) → aware UTC; ``ca.malformed`` otherwise."""
    if not isinstance(text, str) or len(text) > 40:
        raise CaRefused("ca.malformed", reason="timestamp")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise CaRefused("ca.malformed", reason="timestamp is not RFC 3339", timestamp=text) from None
    if moment.tzinfo is None:
        raise CaRefused("ca.malformed", reason="timestamp without offset", timestamp=text)
    return moment.astimezone(UTC)


def api_signing_input(payload: Any, *, timestamp: str, nonce: str) -> bytes:
    parse_timestamp(timestamp)
    if not isinstance(nonce, str) or not NONCE.match(nonce):
        raise CaRefused("ca.malformed", reason="nonce must be 16-128 characters A-Z a-z 0-9 _ -")
    try:
        body = canonical_json(payload)
    except (TypeError, ValueError):
        raise CaRefused("ca.malformed", reason="payload is not JSON") from None
    return f"{API_PREFIX}\n{timestamp}\n{nonce}\n".encode("ascii") + body


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one signature. ``ok`` is True only when every check passed; otherwise ``reason`` is the
    first ``ca.*`` code that failed (with ``details``). The other fields say what is known about the signer."""

    ok: bool
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    entity_id: int | None = None  # the registry entity (organisation certificates)
    uscc: str | None = None
    person: str | None = None  # resident ID, masked (personal certificates)
    account_id: int | None = None  # the account a personal certificate is bound to
    subject_name: str = ""
    fingerprint: str = ""  # SHA-256 of the certificate DER, hex
    serial: str = ""  # hex
    issuer: str = ""
    ca_id: int | None = None
    binding_id: int | None = None
    algorithm: str = ""  # sm2-sm3, ecdsa-p256-sha256, …
    digest_algorithm: str = ""
    digest: str = ""  # hex of the digest of what was signed
    warnings: tuple[str, ...] = ()

    @property
    def reason_code(self) -> str | None:
        """The same as :attr:`reason` (the ``ca.*`` code of the first failed check)."""
        return self.reason

    @property
    def message_zh(self) -> str:
        return "签名有效" if self.ok else reason_text(self.reason or "")[0]

    @property
    def message_en(self) -> str:
        return "the signature is valid" if self.ok else reason_text(self.reason or "")[1]

    def raise_for_failure(self) -> SignatureCheck:
        """Return self when ok; raise the reason as a 422 :class:`CaRefused` otherwise."""
        if not self.ok:
            raise CaRefused(self.reason or "ca.signature_invalid", self.details)
        return self
