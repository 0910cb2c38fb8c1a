"""The witness-entry format, as pure functions (no Django), so an exported log verifies without a database.

Format 1: ``entry_hash = SHA-256(canonical_json(body))`` where ``body`` is::

    {"v": 1, "seq": n, "prev": <entry_hash of n-1, or 64 zeros>, "at": "<UTC ISO, µs>",
     "actor": "<kind:id>", "actor_label": "...", "action": "<context.verb_noun>",
     "object": {"type": "<app.model>", "id": "<pk>"}, "payload_digest": "<SHA-256 of the canonical payload>"}

The payload itself is stored as its canonical JSON text, so the digest is recomputed from exactly the bytes
that were hashed. Entries are the leaves of the Merkle tree added by the trust layer (RFC 6962 leaf =
SHA-256(0x00 || entry_hash bytes)); ``signature`` and ``key_id`` are reserved for the platform's signature.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from yiwang.kernel.canonical import canonical_json, iso_utc, sha256_hex

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64


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
    """An entry as read back from storage (database row or exported archive line)."""

    fields: EntryFields
    payload_text: str
    entry_hash: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    last_seq: int
    last_hash: str
    first_bad_seq: int | None = None
    # sequence_gap | payload_digest_mismatch | prev_link_mismatch | hash_mismatch (an entry's own checks);
    # head_mismatch | entry_beyond_head (the database's head row disagrees with the entries)
    reason: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"OK: {self.checked} entries, head seq {self.last_seq} hash {self.last_hash}"
        return f"BROKEN at entry {self.first_bad_seq}: {self.reason} (checked {self.checked} entries before it)"


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
