"""Sealed-bid envelope, format v1 (specified in ``docs/trust/envelope.md``; keep the two in step).

A bid file is encrypted in chunks with a fresh content key (SM4-GCM by default, or AES-256-GCM). The content key
is wrapped to the bidder's own key (the bidder decrypts at the opening) and to the platform's *opening key*, whose
private half exists only as k-of-n Shamir shares held by key custodians (the fallback when a bidder's key fails).
The envelope carries the SM3 and SHA-256 digests of the plaintext, the bidder's signature, and — appended after
sealing, without touching what the bidder signed — the platform's submission receipt.

The server only ever holds public keys, so it *cannot* open a bid before the deadline: opening needs the bidder's
private key (on the bidder's CA token) or k custodians' shares.

Entry points::

    seal(plaintext, *, meta, bidder_signer, recipients, aead="sm4-gcm") -> bytes      # and seal_to(out, …)
    inspect(envelope) -> EnvelopeInfo                                                  # no keys needed
    open(envelope, *, private_key) -> bytes                                            # and open_to(out, …)
    unwrap_content_key(envelope, *, private_key) -> bytes                              # bidder's side, at opening
    open_with_content_key(envelope, content_key) -> bytes                              # platform, with that key
    new_opening_key(threshold, custodians) -> (public_key, shares)                     # the key ceremony
    open_with_shares(envelope, shares) -> bytes                                        # and open_with_shares_to
    add_receipt(envelope, *, receipt_signer, received_at, receipt_id) -> bytes         # and make_receipt
    verify_receipt(envelope, *, platform_key=None) -> Receipt

``envelope`` arguments are bytes or a seekable binary file positioned at the envelope's first byte. Every refusal
is a specific :class:`~yiwang.kernel.crypto.errors.CryptoError`. ``open_to`` writes plaintext chunk by chunk
after each chunk authenticated, once the structure, digests of the header and the bidder's signature have been
checked and the key unwrapped; if it raises later (tampered data), the caller must discard what was written.
The functions that return bytes never return partial plaintext.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, BinaryIO

from asn1crypto import x509

from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.crypto.aead import AEAD_NAMES, aead_by_name
from yiwang.kernel.crypto.chunked import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_SIZE,
    ChunkDecryptor,
    ChunkEncryptor,
    check_chunk_size,
    ciphertext_size,
)
from yiwang.kernel.crypto.errors import (
    AlgorithmUnsupported,
    CiphertextTampered,
    CiphertextTruncated,
    EmptyPlaintext,
    EnvelopeMalformed,
    EnvelopeTampered,
    EnvelopeTruncated,
    EnvelopeVersion,
    KeyCheckFailed,
    KeyInvalid,
    MetaInvalid,
    ReceiptExists,
    ReceiptInvalid,
    ReceiptMissing,
    RecipientsInvalid,
    SignatureInvalid,
    SizeMismatch,
    TooLarge,
    WrongKey,
)
from yiwang.kernel.crypto.hashing import new_hasher, sm3
from yiwang.kernel.crypto.keys import (
    EcP256PrivateKey,
    PrivateKey,
    PublicKey,
    Sm2PrivateKey,
    generate_private_key,
    load_public_key,
)
from yiwang.kernel.crypto.shamir import SET_ID_SIZE, Share, combine_shares, split_secret
from yiwang.kernel.crypto.signatures import SIGNING_ALGORITHMS, Signer, verify_signature
from yiwang.kernel.crypto.sm2 import DEFAULT_UID
from yiwang.kernel.crypto.wrap import WRAP_ALGORITHM_FOR_KIND, WrappedKey, unwrap_key, wrap_key

MAGIC = b"\x89YWE\r\n\x1a\n"
FORMAT_NAME = "yiwang-sealed-bid"
FORMAT_VERSION = 1
BIDDER_SIGNATURE_CONTEXT = b"yiwang-sealed-bid/v1 bidder-signature\x00"
RECEIPT_SIGNATURE_CONTEXT = b"yiwang-sealed-bid/v1 receipt-signature\x00"
KEY_CHECK_CONTEXT = b"yiwang-sealed-bid/v1 key-check\x00"
DEFAULT_MAX_SIZE = 1 << 30  # 1 GiB: a technical ceiling; the procedure's own limit is passed by the caller
ROLES = ("bidder", "opening")
OPENING_KEY_KINDS = ("sm2", "ec-p256")

_SECTION_LIMITS = {"HEAD": 1 << 20, "TAIL": 1 << 16, "BSIG": 1 << 13, "RCPT": 1 << 16, "RSIG": 1 << 13}
_SECTION_HEADER = 12  # 4-byte tag + 8-byte length
_READ = 1 << 20
_CODE_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")
_FILE_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,255}$")
_EXTRA_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
MAX_SAFE_INTEGER = (1 << 53) - 1  # JSON numbers stay exact in every reader (RFC 8785 / I-JSON)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_KEY_ID = re.compile(r"^sm3:[0-9a-f]{64}$")
_ENVELOPE_ID = re.compile(r"^[0-9a-f]{32}$")
_KEY_CHECK = re.compile(r"^[0-9a-f]{32}$")
_NONCE_PREFIX = re.compile(rf"^[0-9a-f]{{{2 * NONCE_PREFIX_SIZE}}}$")


# --- data types -------------------------------------------------------------------------------------------------


def _meta_error(field_name: str, reason: str) -> MetaInvalid:
    return MetaInvalid(field=field_name, reason=reason)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class BidMeta:
    """What the envelope says about itself, bound to the ciphertext as associated data.

    ``deadline`` is an aware datetime (stored as UTC with microseconds); ``file_name`` is a bare name (no path);
    ``file_size`` is the exact plaintext size in bytes; ``extra`` holds up to 32 further short text fields.
    """

    project_code: str
    section_code: str
    bidder_id: str
    deadline: datetime
    file_name: str
    file_size: int
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("project_code", "section_code", "bidder_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _CODE_RE.match(value) or not _utf8(value):
                raise _meta_error(name, "1 to 128 characters, no control characters")
        if not isinstance(self.deadline, datetime) or self.deadline.tzinfo is None:
            raise _meta_error("deadline", "an aware datetime")
        if not isinstance(self.file_name, str) or not _FILE_NAME_RE.match(self.file_name) or not _utf8(self.file_name):
            raise _meta_error("file_name", "1 to 255 characters, no path separators or control characters")
        if (
            not isinstance(self.file_size, int)
            or isinstance(self.file_size, bool)
            or not 0 <= self.file_size <= MAX_SAFE_INTEGER
        ):
            raise _meta_error("file_size", "an integer from 0 to 2**53 - 1")
        if not isinstance(self.extra, Mapping) or len(self.extra) > 32:
            raise _meta_error("extra", "at most 32 entries")
        for key, value in self.extra.items():
            if not (isinstance(key, str) and _EXTRA_KEY.match(key)):
                raise _meta_error("extra", "keys are 1 to 64 ASCII letters, digits, '_', '.' or '-'")
            if not (isinstance(value, str) and len(value) <= 1024 and "\x00" not in value and _utf8(value)):
                raise _meta_error("extra", "values are text of at most 1024 characters")
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def to_json(self) -> dict[str, Any]:
        return {
            "project_code": self.project_code,
            "section_code": self.section_code,
            "bidder_id": self.bidder_id,
            "deadline": iso_utc(self.deadline),
            "file_name": self.file_name,
            "file_size": self.file_size,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: Any) -> BidMeta:
        _exact_keys(data, {"project_code", "section_code", "bidder_id", "deadline", "file_name", "file_size", "extra"})
        try:
            return cls(
                project_code=data["project_code"],
                section_code=data["section_code"],
                bidder_id=data["bidder_id"],
                deadline=_parse_time(data["deadline"]),
                file_name=data["file_name"],
                file_size=data["file_size"],
                extra=data["extra"],
            )
        except MetaInvalid as exc:
            raise EnvelopeMalformed({**exc.details, "section": "HEAD"}) from None


@dataclass(frozen=True)
class Recipient:
    """Who may open: ``role`` is ``"bidder"`` (the bidder's encryption key) or ``"opening"`` (the platform's
    opening key, whose private half only exists as custodians' shares)."""

    role: str
    public_key: PublicKey


@dataclass(frozen=True)
class RecipientEntry:
    """A recipient as stored in the envelope."""

    role: str
    wrapped: WrappedKey

    @property
    def key_id(self) -> str:
        return self.wrapped.key_id


@dataclass(frozen=True)
class Receipt:
    """The platform's countersignature over the envelope digest and the receipt time."""

    envelope_sm3: str
    received_at: datetime
    receipt_id: str
    signer_algorithm: str
    signer_public_key: PublicKey
    sm2_uid: bytes | None
    signature: bytes


@dataclass(frozen=True)
class EnvelopeInfo:
    """Everything an envelope says, after every check that needs no private key passed."""

    version: int
    envelope_id: str
    meta: BidMeta
    aead: str
    chunk_size: int
    recipients: tuple[RecipientEntry, ...]
    signer_algorithm: str
    signer_public_key: PublicKey
    sm2_uid: bytes | None
    certificate: bytes | None
    plaintext_size: int
    plaintext_sm3: str
    plaintext_sha256: str
    header_sm3: str
    ciphertext_sm3: str
    envelope_sm3: str  # SM3 of the envelope's bytes up to the end of the bidder signature: what a receipt signs
    sealed_size: int  # bytes up to the end of the bidder signature
    receipt: Receipt | None = None

    def recipient(self, role: str) -> tuple[RecipientEntry, ...]:
        return tuple(entry for entry in self.recipients if entry.role == role)


# --- small helpers ----------------------------------------------------------------------------------------------


def _exact_keys(data: Any, keys: AbstractSet[str], optional: AbstractSet[str] = frozenset()) -> None:
    if not isinstance(data, dict) or not keys <= data.keys() <= keys | optional:
        raise EnvelopeMalformed(reason="unexpected or missing fields", expected=sorted(keys))


def _parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise EnvelopeMalformed(reason="time is not a string")
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise EnvelopeMalformed(reason="time not in YYYY-MM-DDTHH:MM:SS.ffffffZ form") from None
    if iso_utc(moment) != text:
        raise EnvelopeMalformed(reason="time not in canonical form")
    return moment


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise EnvelopeMalformed(reason="expected base64 text")
    try:
        data = base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise EnvelopeMalformed(reason="invalid base64") from None
    if _b64(data) != text:
        raise EnvelopeMalformed(reason="non-canonical base64")
    return data


def _hex(text: Any, pattern: re.Pattern[str] = _HEX64) -> str:
    if not isinstance(text, str) or not pattern.match(text):
        raise EnvelopeMalformed(reason="expected lower-case hex")
    return text


def _int(value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise EnvelopeMalformed(reason=f"integer out of range [{low}, {high}]")
    return value


def _json_section(tag: str, body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EnvelopeMalformed(section=tag, reason="not UTF-8 JSON") from None
    if not isinstance(value, dict) or canonical_json(value) != body:
        raise EnvelopeMalformed(section=tag, reason="not canonical JSON")
    return value


def _signer_json(signer_algorithm: str, public_key: PublicKey, sm2_uid: bytes | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "algorithm": signer_algorithm,
        "public_key": _b64(public_key.to_der()),
        "key_id": public_key.key_id,
    }
    if signer_algorithm == "sm2-sm3":
        out["sm2_uid"] = (sm2_uid or DEFAULT_UID).hex()
    return out


def _parse_signer(data: Any) -> tuple[str, PublicKey, bytes | None]:
    _exact_keys(data, {"algorithm", "public_key", "key_id"}, {"sm2_uid", "certificate"})
    algorithm = data["algorithm"]
    if algorithm not in SIGNING_ALGORITHMS:
        raise EnvelopeMalformed(reason="unknown signature algorithm", algorithm=algorithm)
    try:
        public_key = load_public_key(_unb64(data["public_key"]))
    except (KeyInvalid, AlgorithmUnsupported) as exc:
        raise EnvelopeMalformed({"reason": "invalid signer public key", "key_error": exc.details}) from None
    if public_key.key_id != data["key_id"]:
        raise EnvelopeMalformed(reason="signer key_id does not match its public key")
    uid: bytes | None = None
    if algorithm == "sm2-sm3":
        if "sm2_uid" not in data:
            raise EnvelopeMalformed(reason="sm2-sm3 signer without sm2_uid")
        try:
            uid = bytes.fromhex(data["sm2_uid"])
        except (TypeError, ValueError):
            raise EnvelopeMalformed(reason="sm2_uid is not hex") from None
        if not 1 <= len(uid) <= 8191 or uid.hex() != data["sm2_uid"]:
            raise EnvelopeMalformed(reason="sm2_uid out of range")
    elif "sm2_uid" in data:
        raise EnvelopeMalformed(reason="sm2_uid on a non-SM2 signer")
    return algorithm, public_key, uid


# --- reading: a byte source with exact reads and precise truncation errors -----------------------------------------


class _Source:
    def __init__(self, source: bytes | bytearray | memoryview | BinaryIO):
        if isinstance(source, bytes | bytearray | memoryview):
            self._view: memoryview | None = memoryview(source).cast("B")
            self._file: BinaryIO | None = None
            self._start = 0
            self.size = len(self._view)
        else:
            if not (hasattr(source, "seek") and source.seekable()):
                raise EnvelopeMalformed(reason="the envelope must be bytes or a seekable binary file")
            self._view = None
            self._file = source
            self._start = source.tell()
            self.size = source.seek(0, io.SEEK_END) - self._start
            source.seek(self._start)
        self.pos = 0

    def remaining(self) -> int:
        return self.size - self.pos

    def read(self, n: int, what: str) -> bytes:
        if n > self.remaining():
            raise EnvelopeTruncated(section=what, needed=n, available=self.remaining())
        if self._view is not None:
            data = bytes(self._view[self.pos : self.pos + n])
        else:
            assert self._file is not None
            self._file.seek(self._start + self.pos)
            data = self._file.read(n)
            if len(data) != n:  # the file shrank under us
                raise EnvelopeTruncated(section=what, needed=n, available=len(data))
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> int:
        if n > self.remaining():
            raise EnvelopeTruncated(section=what, needed=n, available=self.remaining())
        offset = self.pos
        self.pos += n
        return offset

    def pieces(self, offset: int, length: int, piece: int = _READ) -> Iterator[bytes | memoryview]:
        end = offset + length
        while offset < end:
            n = min(piece, end - offset)
            if self._view is not None:
                yield self._view[offset : offset + n]
            else:
                assert self._file is not None
                self._file.seek(self._start + offset)
                data = self._file.read(n)
                if len(data) != n:
                    raise EnvelopeTruncated(section="DATA", needed=n, available=len(data))
                yield data
            offset += n

    def raw(self, offset: int, length: int) -> bytes:
        saved = self.pos
        self.pos = offset
        try:
            return self.read(length, "raw")
        finally:
            self.pos = saved


@dataclass
class _Layout:
    header: dict[str, Any]
    head_body: bytes
    data_offset: int
    data_length: int
    tail_body: bytes
    bsig_body: bytes
    sealed_size: int
    rcpt_body: bytes | None
    rsig_body: bytes | None


def _section(source: _Source, expected: str) -> int:
    """Read one section header; return the body length."""
    tag = source.read(4, expected)
    if tag != expected.encode("ascii"):
        raise EnvelopeMalformed(reason="unexpected section", expected=expected, found=tag.hex())
    length = int.from_bytes(source.read(8, expected), "big")
    limit = _SECTION_LIMITS.get(expected)
    if limit is not None and length > limit:
        raise EnvelopeMalformed(section=expected, reason="section too long", length=length)
    return length


def _scan(source: _Source, max_size: int) -> _Layout:
    """Check the container (magic, version, sections, sizes) and read everything but the DATA body."""
    if source.size < len(MAGIC) + 2:
        head = source.raw(0, min(source.size, len(MAGIC)))
        if MAGIC.startswith(head):
            raise EnvelopeTruncated(section="magic", available=source.size)
        raise EnvelopeMalformed(reason="not a Yiwang sealed-bid envelope")
    if source.read(len(MAGIC), "magic") != MAGIC:
        raise EnvelopeMalformed(reason="not a Yiwang sealed-bid envelope")
    version = int.from_bytes(source.read(2, "version"), "big")
    if version != FORMAT_VERSION:
        raise EnvelopeVersion(version=version, supported=[FORMAT_VERSION])

    head_body = source.read(_section(source, "HEAD"), "HEAD")
    header = _parse_header(head_body)
    meta: BidMeta = header["meta"]
    if meta.file_size > max_size:
        raise TooLarge(size=meta.file_size, limit=max_size)
    data_length = _section(source, "DATA")
    if data_length != header["ciphertext_size"]:
        raise EnvelopeMalformed(section="DATA", reason="length differs from the header", length=data_length)
    data_offset = source.skip(data_length, "DATA")
    tail_body = source.read(_section(source, "TAIL"), "TAIL")
    bsig_body = source.read(_section(source, "BSIG"), "BSIG")
    sealed_size = source.pos
    rcpt_body = rsig_body = None
    if source.remaining():
        if not b"RCPT".startswith(source.raw(source.pos, min(4, source.remaining()))):
            raise EnvelopeMalformed(reason="data after the last section", extra_bytes=source.remaining())
        rcpt_body = source.read(_section(source, "RCPT"), "RCPT")
        rsig_body = source.read(_section(source, "RSIG"), "RSIG")
    if source.remaining():
        raise EnvelopeMalformed(reason="data after the last section", extra_bytes=source.remaining())
    return _Layout(header, head_body, data_offset, data_length, tail_body, bsig_body, sealed_size, rcpt_body, rsig_body)


def _parse_header(body: bytes) -> dict[str, Any]:
    data = _json_section("HEAD", body)
    _exact_keys(data, {"format", "version", "envelope_id", "meta", "content", "recipients", "signer"})
    if data["format"] != FORMAT_NAME:
        raise EnvelopeMalformed(reason="unknown format name")
    if data["version"] != FORMAT_VERSION:
        raise EnvelopeVersion(version=data["version"], supported=[FORMAT_VERSION])
    envelope_id = _hex(data["envelope_id"], _ENVELOPE_ID)
    meta = BidMeta.from_json(data["meta"])
    if meta.file_size == 0:
        raise EmptyPlaintext()

    content = data["content"]
    _exact_keys(content, {"aead", "chunk_size", "nonce_prefix", "ciphertext_size", "key_check"})
    key_check = _hex(content["key_check"], _KEY_CHECK)
    if content["aead"] not in AEAD_NAMES:
        raise EnvelopeMalformed(reason="unknown content cipher", aead=content["aead"])
    chunk_size = _int(content["chunk_size"], MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)
    nonce_prefix = bytes.fromhex(_hex(content["nonce_prefix"], _NONCE_PREFIX))
    expected_size = ciphertext_size(meta.file_size, chunk_size)
    if content["ciphertext_size"] != expected_size:
        raise EnvelopeMalformed(reason="ciphertext_size does not follow from file_size and chunk_size")

    recipients = data["recipients"]
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= 16:
        raise EnvelopeMalformed(reason="recipients must be a list of 1 to 16 entries")
    entries = []
    for item in recipients:
        _exact_keys(item, {"role", "key_id", "wrap", "wrapped_key"})
        if item["role"] not in ROLES or item["wrap"] not in WRAP_ALGORITHM_FOR_KIND.values():
            raise EnvelopeMalformed(reason="unknown recipient role or wrap algorithm")
        key_id = _hex(item["key_id"], _KEY_ID)
        entries.append(RecipientEntry(item["role"], WrappedKey(item["wrap"], key_id, _unb64(item["wrapped_key"]))))
    _check_roles([entry.role for entry in entries], [entry.key_id for entry in entries], EnvelopeMalformed)

    signer = data["signer"]
    algorithm, public_key, uid = _parse_signer(signer)
    certificate = _unb64(signer["certificate"]) if "certificate" in signer else None
    if certificate is not None:
        _check_certificate(certificate, public_key, EnvelopeMalformed)
    return {
        "envelope_id": envelope_id,
        "meta": meta,
        "aead": content["aead"],
        "chunk_size": chunk_size,
        "nonce_prefix": nonce_prefix,
        "key_check": key_check,
        "ciphertext_size": expected_size,
        "recipients": tuple(entries),
        "signer_algorithm": algorithm,
        "signer_public_key": public_key,
        "sm2_uid": uid,
        "certificate": certificate,
    }


def _check_roles(roles: list[str], key_ids: list[str], error: type[EnvelopeMalformed | RecipientsInvalid]) -> None:
    if roles.count("opening") != 1 or roles.count("bidder") < 1 or len(set(key_ids)) != len(key_ids):
        raise error(reason="need at least one bidder key, exactly one opening key, no key twice")


def _check_certificate(certificate: bytes, public_key: PublicKey, error: type[EnvelopeMalformed | KeyInvalid]) -> None:
    """The certificate must parse and carry ``public_key`` (chain and validity are checked by identity)."""
    try:
        spki = x509.Certificate.load(certificate, strict=True)["tbs_certificate"]["subject_public_key_info"].dump()
    except (ValueError, TypeError, KeyError):
        raise error(reason="certificate is not DER X.509") from None
    if spki != public_key.to_der():
        raise error(reason="certificate does not carry the signer's public key")


def _parse_tail(body: bytes) -> dict[str, Any]:
    data = _json_section("TAIL", body)
    _exact_keys(data, {"header_sm3", "ciphertext_sm3", "plaintext_sm3", "plaintext_sha256", "plaintext_size"})
    for name in ("header_sm3", "ciphertext_sm3", "plaintext_sm3", "plaintext_sha256"):
        _hex(data[name])
    _int(data["plaintext_size"], 1, MAX_SAFE_INTEGER)
    return data


def _parse_receipt(body: bytes, signature: bytes, *, sm2_backend: str | None) -> Receipt:
    data = _json_section("RCPT", body)
    _exact_keys(data, {"envelope_sm3", "received_at", "receipt_id", "signer"})
    receipt_id = data["receipt_id"]
    if not isinstance(receipt_id, str) or not _CODE_RE.match(receipt_id):
        raise EnvelopeMalformed(section="RCPT", reason="receipt_id must be 1 to 128 characters")
    algorithm, public_key, uid = _parse_signer(data["signer"])
    if "certificate" in data["signer"]:
        raise EnvelopeMalformed(section="RCPT", reason="receipt signer carries no certificate in v1")
    try:
        verify_signature(
            public_key,
            algorithm,
            RECEIPT_SIGNATURE_CONTEXT + body,
            signature,
            sm2_uid=uid or DEFAULT_UID,
            sm2_backend=sm2_backend,
        )
    except SignatureInvalid:
        raise ReceiptInvalid(reason="the receipt signature does not verify") from None
    return Receipt(
        envelope_sm3=_hex(data["envelope_sm3"]),
        received_at=_parse_time(data["received_at"]),
        receipt_id=receipt_id,
        signer_algorithm=algorithm,
        signer_public_key=public_key,
        sm2_uid=uid,
        signature=signature,
    )


def _check_signed(layout: _Layout, *, sm2_backend: str | None) -> dict[str, Any]:
    """The TAIL, after checking it commits to this header and carries the bidder's valid signature."""
    header = layout.header
    tail = _parse_tail(layout.tail_body)
    if tail["header_sm3"] != sm3(layout.head_body).hex():
        raise EnvelopeTampered(section="HEAD", reason="header digest mismatch")
    if tail["plaintext_size"] != header["meta"].file_size:
        raise EnvelopeTampered(section="TAIL", reason="plaintext size differs from the header")
    try:
        verify_signature(
            header["signer_public_key"],
            header["signer_algorithm"],
            BIDDER_SIGNATURE_CONTEXT + layout.tail_body,
            layout.bsig_body,
            sm2_uid=header["sm2_uid"] or DEFAULT_UID,
            sm2_backend=sm2_backend,
        )
    except SignatureInvalid as exc:
        raise SignatureInvalid({"section": "BSIG", **exc.details}) from None
    return tail


def _stream_data(source: _Source, layout: _Layout, tail: dict[str, Any], sink: _DecryptSink | None = None) -> str:
    """Hash (and optionally decrypt) DATA; check its digest; return the envelope digest (hex)."""
    data_end = layout.data_offset + layout.data_length
    envelope_hasher = new_hasher("sm3")
    envelope_hasher.update(source.raw(0, layout.data_offset))
    data_hasher = new_hasher("sm3")
    for piece in source.pieces(layout.data_offset, layout.data_length):
        data_hasher.update(piece)
        envelope_hasher.update(piece)
        if sink is not None:
            sink.update(piece)
    if sink is not None:
        sink.finalize()
    if data_hasher.hexdigest() != tail["ciphertext_sm3"]:
        raise EnvelopeTampered(section="DATA", reason="ciphertext digest mismatch")
    envelope_hasher.update(source.raw(data_end, layout.sealed_size - data_end))
    return envelope_hasher.hexdigest()


def _finish(layout: _Layout, tail: dict[str, Any], envelope_sm3: str, *, sm2_backend: str | None) -> EnvelopeInfo:
    header = layout.header
    receipt = None
    if layout.rcpt_body is not None:
        assert layout.rsig_body is not None
        receipt = _parse_receipt(layout.rcpt_body, layout.rsig_body, sm2_backend=sm2_backend)
        if receipt.envelope_sm3 != envelope_sm3:
            raise ReceiptInvalid(reason="the receipt is for another envelope")
    return EnvelopeInfo(
        version=FORMAT_VERSION,
        envelope_id=header["envelope_id"],
        meta=header["meta"],
        aead=header["aead"],
        chunk_size=header["chunk_size"],
        recipients=header["recipients"],
        signer_algorithm=header["signer_algorithm"],
        signer_public_key=header["signer_public_key"],
        sm2_uid=header["sm2_uid"],
        certificate=header["certificate"],
        plaintext_size=tail["plaintext_size"],
        plaintext_sm3=tail["plaintext_sm3"],
        plaintext_sha256=tail["plaintext_sha256"],
        header_sm3=tail["header_sm3"],
        ciphertext_sm3=tail["ciphertext_sm3"],
        envelope_sm3=envelope_sm3,
        sealed_size=layout.sealed_size,
        receipt=receipt,
    )


# --- sealing --------------------------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, out: BinaryIO):
        self.out = out
        self.hasher = new_hasher("sm3")
        self.size = 0

    def write(self, data: bytes) -> None:
        if data:
            self.out.write(data)
            self.hasher.update(data)
            self.size += len(data)

    def section(self, tag: str, body: bytes) -> None:
        self.write(tag.encode("ascii") + len(body).to_bytes(8, "big") + body)


def _plaintext_pieces(plaintext: Any, size: int, piece: int) -> Iterator[bytes | memoryview]:
    if isinstance(plaintext, bytes | bytearray | memoryview):
        view = memoryview(plaintext).cast("B")
        for start in range(0, len(view), piece):
            yield view[start : start + piece]
        return
    produced = 0
    while True:
        data = plaintext.read(piece)
        if not data:
            break
        produced += len(data)
        if produced > size:
            raise SizeMismatch(declared=size, reason="the stream holds more bytes than declared")
        yield data
    if produced != size:
        raise SizeMismatch(declared=size, actual=produced)


def seal_to(
    out: BinaryIO,
    plaintext: bytes | bytearray | memoryview | BinaryIO,
    *,
    meta: BidMeta,
    bidder_signer: Signer,
    recipients: Sequence[Recipient],
    aead: str = "sm4-gcm",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_size: int = DEFAULT_MAX_SIZE,
    bidder_certificate: bytes | None = None,
    sm2_backend: str | None = None,
) -> EnvelopeInfo:
    """Seal ``plaintext`` (bytes, or a binary stream of exactly ``meta.file_size`` bytes) into ``out``.

    Nothing is written to ``out`` unless the size, metadata, recipients and algorithms are acceptable; a stream
    that turns out shorter or longer than declared raises :class:`SizeMismatch` part-way (discard ``out``).
    """
    if not isinstance(meta, BidMeta):
        raise MetaInvalid(reason="meta must be a BidMeta")
    if isinstance(plaintext, bytes | bytearray | memoryview):
        actual = memoryview(plaintext).nbytes
        if actual == 0:
            raise EmptyPlaintext()
        if actual > max_size:
            raise TooLarge(size=actual, limit=max_size)
        if actual != meta.file_size:
            raise SizeMismatch(declared=meta.file_size, actual=actual)
    if meta.file_size == 0:
        raise EmptyPlaintext()
    if meta.file_size > max_size:
        raise TooLarge(size=meta.file_size, limit=max_size)
    cipher = aead_by_name(aead)
    roles = [recipient.role for recipient in recipients]
    if any(role not in ROLES for role in roles):
        raise RecipientsInvalid(reason="unknown role", roles=roles)
    _check_roles(roles, [recipient.public_key.key_id for recipient in recipients], RecipientsInvalid)
    if len(recipients) > 16:
        raise RecipientsInvalid(reason="at most 16 recipients")
    if bidder_signer.algorithm not in SIGNING_ALGORITHMS:
        raise AlgorithmUnsupported(algorithm=bidder_signer.algorithm, supported=list(SIGNING_ALGORITHMS))
    signer_json = _signer_json(bidder_signer.algorithm, bidder_signer.public_key, bidder_signer.sm2_uid)
    if bidder_certificate is not None:
        _check_certificate(bidder_certificate, bidder_signer.public_key, KeyInvalid)
        signer_json["certificate"] = _b64(bidder_certificate)

    check_chunk_size(chunk_size)
    cek = cipher.generate_key()
    nonce_prefix = secrets.token_bytes(NONCE_PREFIX_SIZE)
    entries = [
        {
            "role": recipient.role,
            "key_id": wrapped.key_id,
            "wrap": wrapped.algorithm,
            "wrapped_key": _b64(wrapped.data),
        }
        for recipient in recipients
        for wrapped in [wrap_key(recipient.public_key, cek, sm2_backend=sm2_backend)]
    ]
    data_size = ciphertext_size(meta.file_size, chunk_size)
    head_body = canonical_json(
        {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "envelope_id": secrets.token_hex(16),
            "meta": meta.to_json(),
            "content": {
                "aead": cipher.name,
                "chunk_size": chunk_size,
                "nonce_prefix": nonce_prefix.hex(),
                "ciphertext_size": data_size,
                "key_check": key_check(cek),
            },
            "recipients": entries,
            "signer": signer_json,
        }
    )
    if len(head_body) > _SECTION_LIMITS["HEAD"]:
        raise MetaInvalid(reason="header too large")
    header_sm3 = sm3(head_body)
    encryptor = ChunkEncryptor(
        cipher, cek, associated_data=header_sm3, chunk_size=chunk_size, nonce_prefix=nonce_prefix
    )

    writer = _Writer(out)
    writer.write(MAGIC + FORMAT_VERSION.to_bytes(2, "big"))
    writer.section("HEAD", head_body)
    writer.write(b"DATA" + data_size.to_bytes(8, "big"))
    plain_sm3, plain_sha256, data_hasher = new_hasher("sm3"), new_hasher("sha256"), new_hasher("sm3")
    for piece in _plaintext_pieces(plaintext, meta.file_size, chunk_size):
        plain_sm3.update(piece)
        plain_sha256.update(piece)
        sealed = encryptor.update(piece)
        data_hasher.update(sealed)
        writer.write(sealed)
    sealed = encryptor.finalize()
    data_hasher.update(sealed)
    writer.write(sealed)

    tail_body = canonical_json(
        {
            "header_sm3": header_sm3.hex(),
            "ciphertext_sm3": data_hasher.hexdigest(),
            "plaintext_sm3": plain_sm3.hexdigest(),
            "plaintext_sha256": plain_sha256.hexdigest(),
            "plaintext_size": meta.file_size,
        }
    )
    signature = bidder_signer.sign(BIDDER_SIGNATURE_CONTEXT + tail_body)
    # A signer that does not hold the key it claims (a misconfigured token, the wrong certificate) is caught here,
    # at the bidder's side, not at the opening.
    verify_signature(
        bidder_signer.public_key,
        bidder_signer.algorithm,
        BIDDER_SIGNATURE_CONTEXT + tail_body,
        signature,
        sm2_uid=bidder_signer.sm2_uid or DEFAULT_UID,
        sm2_backend=sm2_backend,
    )
    writer.section("TAIL", tail_body)
    writer.section("BSIG", signature)
    header = _parse_header(head_body)
    return EnvelopeInfo(
        version=FORMAT_VERSION,
        envelope_id=header["envelope_id"],
        meta=meta,
        aead=cipher.name,
        chunk_size=chunk_size,
        recipients=header["recipients"],
        signer_algorithm=bidder_signer.algorithm,
        signer_public_key=bidder_signer.public_key,
        sm2_uid=header["sm2_uid"],
        certificate=bidder_certificate,
        plaintext_size=meta.file_size,
        plaintext_sm3=plain_sm3.hexdigest(),
        plaintext_sha256=plain_sha256.hexdigest(),
        header_sm3=header_sm3.hex(),
        ciphertext_sm3=data_hasher.hexdigest(),
        envelope_sm3=writer.hasher.hexdigest(),
        sealed_size=writer.size,
    )


def seal(
    plaintext: bytes | bytearray | memoryview | BinaryIO,
    *,
    meta: BidMeta,
    bidder_signer: Signer,
    recipients: Sequence[Recipient],
    aead: str = "sm4-gcm",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_size: int = DEFAULT_MAX_SIZE,
    bidder_certificate: bytes | None = None,
    sm2_backend: str | None = None,
) -> bytes:
    """Seal ``plaintext`` and return the envelope bytes (see :func:`seal_to`)."""
    buffer = io.BytesIO()
    seal_to(
        buffer,
        plaintext,
        meta=meta,
        bidder_signer=bidder_signer,
        recipients=recipients,
        aead=aead,
        chunk_size=chunk_size,
        max_size=max_size,
        bidder_certificate=bidder_certificate,
        sm2_backend=sm2_backend,
    )
    return buffer.getvalue()


# --- inspecting and opening ----------------------------------------------------------------------------------------


def inspect(
    envelope: bytes | bytearray | memoryview | BinaryIO,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> EnvelopeInfo:
    """Check an envelope without any private key: structure, sizes, header and ciphertext digests, the bidder's
    signature, and the receipt if there is one. Returns what it says; raises on the first problem."""
    source = _Source(envelope)
    layout = _scan(source, max_size)
    tail = _check_signed(layout, sm2_backend=sm2_backend)
    return _finish(layout, tail, _stream_data(source, layout, tail), sm2_backend=sm2_backend)


class _DecryptSink:
    def __init__(self, decryptor: ChunkDecryptor, out: BinaryIO):
        self.decryptor = decryptor
        self.out = out
        self.sm3 = new_hasher("sm3")
        self.sha256 = new_hasher("sha256")
        self.written = 0

    def _emit(self, plain: bytes) -> None:
        if plain:
            self.sm3.update(plain)
            self.sha256.update(plain)
            self.written += len(plain)
            self.out.write(plain)

    def update(self, piece: bytes | memoryview) -> None:
        try:
            self._emit(self.decryptor.update(piece))
        except CiphertextTampered as exc:
            raise EnvelopeTampered({"section": "DATA", **exc.details}) from None

    def finalize(self) -> None:
        try:
            self._emit(self.decryptor.finalize())
        except CiphertextTampered as exc:
            raise EnvelopeTampered({"section": "DATA", **exc.details}) from None
        except CiphertextTruncated as exc:  # pragma: no cover - sizes were checked against the header
            raise EnvelopeTruncated({"section": "DATA", **exc.details}) from None


def key_check(content_key: bytes) -> str:
    """The header's ``content.key_check``: first 16 bytes of SM3(context ‖ content key), hex. It commits the
    bidder's signature to *one* content key, so a wrong key returned at the opening, or a wrong key wrapped to a
    recipient when sealing, is told apart from tampering — and is attributable to whoever signed."""
    return sm3(KEY_CHECK_CONTEXT + content_key)[:16].hex()


def _unwrap_for(layout: _Layout, private_key: PrivateKey, *, sm2_backend: str | None) -> bytes:
    key_id = private_key.public_key.key_id
    entry = next((item for item in layout.header["recipients"] if item.key_id == key_id), None)
    if entry is None:
        raise WrongKey(reason="the key is not a recipient of this envelope", key_id=key_id)
    content_key = unwrap_key(private_key, entry.wrapped, sm2_backend=sm2_backend)
    if not secrets.compare_digest(key_check(content_key), layout.header["key_check"]):
        raise KeyCheckFailed(role=entry.role, key_id=key_id)
    return content_key


def _decryptor(layout: _Layout, tail: dict[str, Any], content_key: bytes) -> ChunkDecryptor:
    return ChunkDecryptor(
        aead_by_name(layout.header["aead"]),
        content_key,
        nonce_prefix=layout.header["nonce_prefix"],
        associated_data=bytes.fromhex(tail["header_sm3"]),
        chunk_size=layout.header["chunk_size"],
    )


def _decrypt_to(
    out: BinaryIO,
    source: _Source,
    layout: _Layout,
    tail: dict[str, Any],
    content_key: bytes,
    *,
    sm2_backend: str | None,
) -> EnvelopeInfo:
    """Stream DATA through the decryptor into ``out`` (the content key has passed the key check)."""
    sink = _DecryptSink(_decryptor(layout, tail, content_key), out)
    envelope_sm3 = _stream_data(source, layout, tail, sink)
    if (
        sink.written != tail["plaintext_size"]
        or sink.sm3.hexdigest() != tail["plaintext_sm3"]
        or sink.sha256.hexdigest() != tail["plaintext_sha256"]
    ):
        raise EnvelopeTampered(section="TAIL", reason="the decrypted file does not match the signed digests")
    return _finish(layout, tail, envelope_sm3, sm2_backend=sm2_backend)


def _open_to(
    out: BinaryIO,
    source: _Source,
    layout: _Layout,
    private_key: PrivateKey,
    *,
    sm2_backend: str | None,
) -> EnvelopeInfo:
    tail = _check_signed(layout, sm2_backend=sm2_backend)  # tampering is reported as such, not as a wrong key
    content_key = _unwrap_for(layout, private_key, sm2_backend=sm2_backend)
    return _decrypt_to(out, source, layout, tail, content_key, sm2_backend=sm2_backend)


def unwrap_content_key(
    envelope: bytes | bytearray | memoryview | BinaryIO,
    *,
    private_key: PrivateKey,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> bytes:
    """The bidder's step at an online opening: check the envelope's structure and signature, and unwrap its
    content key with the bidder's private key (on the bidder's side, where the token is). The key then goes to the
    platform (after the deadline, over the authenticated channel), which calls :func:`open_with_content_key`.
    The DATA body is not read."""
    source = _Source(envelope)
    layout = _scan(source, max_size)
    _check_signed(layout, sm2_backend=sm2_backend)
    return _unwrap_for(layout, private_key, sm2_backend=sm2_backend)


def open_with_content_key_to(
    out: BinaryIO,
    envelope: bytes | bytearray | memoryview | BinaryIO,
    content_key: bytes,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> EnvelopeInfo:
    """Decrypt into ``out`` with the content key a bidder returned (see :func:`unwrap_content_key`)."""
    source = _Source(envelope)
    layout = _scan(source, max_size)
    tail = _check_signed(layout, sm2_backend=sm2_backend)
    if not isinstance(content_key, bytes) or not secrets.compare_digest(
        key_check(content_key), layout.header["key_check"]
    ):
        raise WrongKey(reason="the content key does not open this envelope")
    return _decrypt_to(out, source, layout, tail, content_key, sm2_backend=sm2_backend)


def open_with_content_key(
    envelope: bytes | bytearray | memoryview | BinaryIO,
    content_key: bytes,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> bytes:
    """The plaintext of ``envelope``, decrypted with the content key a bidder returned."""
    buffer = io.BytesIO()
    open_with_content_key_to(buffer, envelope, content_key, max_size=max_size, sm2_backend=sm2_backend)
    return buffer.getvalue()


def open_to(
    out: BinaryIO,
    envelope: bytes | bytearray | memoryview | BinaryIO,
    *,
    private_key: PrivateKey,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> EnvelopeInfo:
    """Decrypt into ``out`` with a recipient's private key (the bidder's, normally). See the module docstring."""
    source = _Source(envelope)
    layout = _scan(source, max_size)
    return _open_to(out, source, layout, private_key, sm2_backend=sm2_backend)


def open(
    envelope: bytes | bytearray | memoryview | BinaryIO,
    *,
    private_key: PrivateKey,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> bytes:
    """The plaintext of ``envelope``, decrypted with a recipient's private key."""
    buffer = io.BytesIO()
    open_to(buffer, envelope, private_key=private_key, max_size=max_size, sm2_backend=sm2_backend)
    return buffer.getvalue()


# --- the opening key: ceremony and recovery ---------------------------------------------------------------------------


def _set_id_for(key_id: str) -> bytes:
    return bytes.fromhex(key_id.removeprefix("sm3:"))[:SET_ID_SIZE]


def new_opening_key(threshold: int, custodians: int, *, kind: str = "sm2") -> tuple[PublicKey, list[Share]]:
    """The key ceremony: a fresh opening key pair whose private half is returned *only* as ``custodians`` shares,
    any ``threshold`` of which recover it. Hand each share to a different custodian; publish the public key.
    The set id of the shares is the first 16 bytes of the public key's SM3 fingerprint."""
    if kind not in OPENING_KEY_KINDS:
        raise AlgorithmUnsupported(kind=kind, supported=list(OPENING_KEY_KINDS))
    private = generate_private_key(kind)
    if isinstance(private, Sm2PrivateKey):
        secret = private.to_bytes()
    else:
        assert isinstance(private, EcP256PrivateKey)
        secret = private.scalar_bytes()
    public = private.public_key
    shares = split_secret(secret, threshold, custodians, set_id=_set_id_for(public.key_id))
    del private, secret
    return public, shares


def _key_from_secret(kind: str, secret: bytes) -> PrivateKey:
    try:
        return Sm2PrivateKey(secret) if kind == "sm2" else EcP256PrivateKey.from_scalar(secret)
    except KeyInvalid:
        raise WrongKey(reason="the shares do not hold a key of this kind") from None


def recover_opening_key(shares: Iterable[Share | bytes | str], *, public_key: PublicKey) -> PrivateKey:
    """Recombine custodians' shares into the private half of the opening key ``public_key`` (at the opening,
    after the deadline). Shares of another key give :class:`ShareSetMismatch`."""
    if public_key.kind not in OPENING_KEY_KINDS:
        raise AlgorithmUnsupported(kind=public_key.kind, supported=list(OPENING_KEY_KINDS))
    secret = combine_shares(shares, set_id=_set_id_for(public_key.key_id))
    private = _key_from_secret(public_key.kind, secret)
    if private.public_key != public_key:
        raise WrongKey(reason="the recovered key is not the opening key")
    return private


def _opening_entry(layout: _Layout) -> RecipientEntry:
    return next(entry for entry in layout.header["recipients"] if entry.role == "opening")


def open_with_shares_to(
    out: BinaryIO,
    envelope: bytes | bytearray | memoryview | BinaryIO,
    shares: Iterable[Share | bytes | str],
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> EnvelopeInfo:
    """The custodian path: recombine the opening key from ``shares`` and decrypt into ``out``."""
    source = _Source(envelope)
    layout = _scan(source, max_size)
    entry = _opening_entry(layout)
    kind = next(k for k, wrap in WRAP_ALGORITHM_FOR_KIND.items() if wrap == entry.wrapped.algorithm)
    if kind not in OPENING_KEY_KINDS:
        raise EnvelopeMalformed(reason="the opening key must be SM2 or P-256")
    private = _key_from_secret(kind, combine_shares(shares, set_id=_set_id_for(entry.key_id)))
    if private.public_key.key_id != entry.key_id:
        raise WrongKey(reason="the recovered key is not this envelope's opening key")
    return _open_to(out, source, layout, private, sm2_backend=sm2_backend)


def open_with_shares(
    envelope: bytes | bytearray | memoryview | BinaryIO,
    shares: Iterable[Share | bytes | str],
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> bytes:
    """The plaintext of ``envelope``, opened with k custodians' shares of the opening key."""
    buffer = io.BytesIO()
    open_with_shares_to(buffer, envelope, shares, max_size=max_size, sm2_backend=sm2_backend)
    return buffer.getvalue()


# --- the submission receipt -------------------------------------------------------------------------------------------


def make_receipt(info: EnvelopeInfo, *, receipt_signer: Signer, received_at: datetime, receipt_id: str) -> bytes:
    """The ``RCPT`` and ``RSIG`` sections to append to the envelope described by ``info`` (from :func:`inspect`)."""
    if info.receipt is not None:
        raise ReceiptExists(receipt_id=info.receipt.receipt_id)
    if not isinstance(receipt_id, str) or not _CODE_RE.match(receipt_id) or not _utf8(receipt_id):
        raise MetaInvalid(field="receipt_id", reason="1 to 128 characters, no control characters")
    if not isinstance(received_at, datetime) or received_at.tzinfo is None:
        raise MetaInvalid(field="received_at", reason="an aware datetime")
    if receipt_signer.algorithm not in SIGNING_ALGORITHMS:
        raise AlgorithmUnsupported(algorithm=receipt_signer.algorithm, supported=list(SIGNING_ALGORITHMS))
    body = canonical_json(
        {
            "envelope_sm3": info.envelope_sm3,
            "received_at": iso_utc(received_at),
            "receipt_id": receipt_id,
            "signer": _signer_json(receipt_signer.algorithm, receipt_signer.public_key, receipt_signer.sm2_uid),
        }
    )
    signature = receipt_signer.sign(RECEIPT_SIGNATURE_CONTEXT + body)
    verify_signature(
        receipt_signer.public_key,
        receipt_signer.algorithm,
        RECEIPT_SIGNATURE_CONTEXT + body,
        signature,
        sm2_uid=receipt_signer.sm2_uid or DEFAULT_UID,
    )
    return b"RCPT" + len(body).to_bytes(8, "big") + body + b"RSIG" + len(signature).to_bytes(8, "big") + signature


def add_receipt(
    envelope: bytes,
    *,
    receipt_signer: Signer,
    received_at: datetime,
    receipt_id: str,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> bytes:
    """Verify ``envelope`` and return it with the platform's receipt appended (the bidder's signature stays valid)."""
    info = inspect(envelope, max_size=max_size, sm2_backend=sm2_backend)
    return bytes(envelope) + make_receipt(
        info, receipt_signer=receipt_signer, received_at=received_at, receipt_id=receipt_id
    )


def verify_receipt(
    envelope: bytes | bytearray | memoryview | BinaryIO,
    *,
    platform_key: PublicKey | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    sm2_backend: str | None = None,
) -> Receipt:
    """The envelope's verified receipt; with ``platform_key``, it must also be signed by that key."""
    info = inspect(envelope, max_size=max_size, sm2_backend=sm2_backend)
    if info.receipt is None:
        raise ReceiptMissing()
    if platform_key is not None and info.receipt.signer_public_key != platform_key:
        raise ReceiptInvalid(reason="the receipt is not signed by the platform key")
    return info.receipt
