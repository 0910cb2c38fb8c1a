"""The witness-entry format, as pure functions (no Django), so an exported log verifies without a database.

Format 1: ``entry_hash = SHA-256(canonical_json(body))`` where ``body`` is::

    {"v": 1, "seq": n, "prev": <entry_hash of n-1, or 64 zeros>, "at": "<UTC ISO, µs>",
     "actor": "<kind:id>", "actor_label": "...", "action": "<context.verb_noun>",
     "object": {"type": "<app.model>", "id": "<pk>"}, "payload_digest": "<SHA-256 of the canonical payload>"}

The payload itself is stored as its canonical JSON text, so the digest is recomputed from exactly the bytes
that were hashed. Entries are the leaves of the Merkle tree (RFC 6962 leaf = SHA-256(0x00 || entry_hash bytes),
see :mod:`.merkle`).

**Entry signatures** (docs/adr/0007). The platform key signs each entry's hash, domain-separated so that the
signature can never be presented as a signature over anything else::

    signed bytes = b"yiwang.witness.entry.v1" + b"\x00" + the 32 raw bytes of entry_hash

(:func:`entry_signing_bytes`). ``signature`` is that signature in standard base64 (SM2: DER ``SEQUENCE{r,s}``
over SM3(Z_A ‖ M) with the default user ID; P-256: DER ECDSA over SHA-256), ``key_id`` names the platform key
(``sm3:<hex of SM3(SubjectPublicKeyInfo DER)>``). Neither is part of the hashed body: the hash commits to the
entry, the signature to the hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from yiwang.kernel.canonical import canonical_json, iso_utc, sha256_hex

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64
ENTRY_SIGNATURE_CONTEXT = b"yiwang.witness.entry.v1\x00"
_HEX = frozenset("0123456789abcdef")


def entry_signing_bytes(entry_hash_hex: str) -> bytes:
    """The bytes the platform key signs for an entry: the context label, a zero byte, the raw entry hash.

    ``ValueError`` unless ``entry_hash_hex`` is 64 lower-case hexadecimal digits."""
    if not isinstance(entry_hash_hex, str) or len(entry_hash_hex) != 64 or not _HEX.issuperset(entry_hash_hex):
        raise ValueError("an entry hash is 64 lower-case hexadecimal digits")
    return ENTRY_SIGNATURE_CONTEXT + bytes.fromhex(entry_hash_hex)


@dataclass(frozen=True)
class EntryFields:
    seq: int
    prev_hash: str
    occurred_at: datetime
    actor_ref: str
    actor_label: str
    action: str
    object_type: str
    object_id: str
    payload_digest: str
    format: int = FORMAT_VERSION


def entry_body(e: EntryFields) -> dict:
    return {
        "v": e.format,
        "seq": e.seq,
        "prev": e.prev_hash,
        "at": iso_utc(e.occurred_at),
        "actor": e.actor_ref,
        "actor_label": e.actor_label,
        "action": e.action,
        "object": {"type": e.object_type, "id": e.object_id},
        "payload_digest": e.payload_digest,
    }


def entry_hash(e: EntryFields) -> str:
    return sha256_hex(canonical_json(entry_body(e)))


def payload_text(payload: dict) -> str:
    """The canonical text stored for a payload (and hashed into ``payload_digest``)."""
    return canonical_json(payload).decode("utf-8")


def payload_digest(text: str) -> str:
    return sha256_hex(text.encode("utf-8"))


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read back from storage (database row or exported archive line).

    ``signature`` (standard base64) and ``key_id`` are the platform's signature over
    :func:`entry_signing_bytes` of ``entry_hash``; both empty for an entry written before entries were signed."""

    fields: EntryFields
    payload_text: str
    entry_hash: str
    signature: str = ""
    key_id: str = ""


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    last_seq: int
    last_hash: str
    first_bad_seq: int | None = None
    # sequence_gap | payload_digest_mismatch | prev_link_mismatch | hash_mismatch (an entry's own checks);
    # head_mismatch | entry_beyond_head (the database's head row disagrees with the entries);
    # the database check of the trust layer adds (see ``chain.verify``): entry_signature_invalid |
    # entry_unsigned | unknown_key | tree_node_mismatch | tree_node_missing | tree_node_beyond_size |
    # frontier_mismatch | tree_beyond_log | tree_head_root_mismatch | tree_head_signature_invalid
    reason: str | None = None
    detail: str = ""
    # what else was checked (filled by the database check)
    signatures_checked: int = 0
    tree_size: int | None = None
    tree_heads_checked: int = 0

    def describe(self) -> str:
        if self.ok:
            text = f"OK: {self.checked} entries, head seq {self.last_seq} hash {self.last_hash}"
            extra = []
            if self.signatures_checked:
                extra.append(f"{self.signatures_checked} entry signatures valid")
            if self.tree_size is not None:
                extra.append(f"Merkle tree of {self.tree_size} leaves matches the entries")
            if self.tree_heads_checked:
                extra.append(f"{self.tree_heads_checked} signed tree heads valid")
            return text + ("; " + "; ".join(extra) if extra else "")
        text = f"BROKEN at entry {self.first_bad_seq}: {self.reason} (checked {self.checked} entries before it)"
        return text + (f" — {self.detail}" if self.detail else "")


def verify_entries(
    entries: Iterable[StoredEntry], *, start_seq: int = 1, start_prev: str = GENESIS_HASH
) -> ChainReport:
    """Walk entries in order; report the first one that does not follow from its predecessor."""
    expected_seq, prev, checked = start_seq, start_prev, 0
    for stored in entries:
        f = stored.fields
        if f.seq != expected_seq:
            return ChainReport(False, checked, expected_seq - 1, prev, expected_seq, "sequence_gap")
        if payload_digest(stored.payload_text) != f.payload_digest:
            return ChainReport(False, checked, expected_seq - 1, prev, f.seq, "payload_digest_mismatch")
        if f.prev_hash != prev:
            return ChainReport(False, checked, expected_seq - 1, prev, f.seq, "prev_link_mismatch")
        if entry_hash(f) != stored.entry_hash:
            return ChainReport(False, checked, expected_seq - 1, prev, f.seq, "hash_mismatch")
        prev, expected_seq, checked = stored.entry_hash, expected_seq + 1, checked + 1
    return ChainReport(True, checked, expected_seq - 1, prev)
