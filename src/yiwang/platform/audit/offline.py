"""What an outside verifier runs: archives, proofs and keys from files, no database (pure Python).

``yiwang witness verify --archive``, ``prove`` and ``verify-proof`` are thin wrappers around these functions;
an auditor's own tool can import them the same way (they need ``yiwang.kernel`` and the pure modules
:mod:`.format`, :mod:`.merkle`, :mod:`.archive`, :mod:`yiwang.platform.keys.document`, nothing else).

Besides the archive's own proofs, the public API hands out a **leaf proof** for entries the caller may not
read (``GET /api/v1/witness/entries/{seq}/proof`` without privilege): the entry's hash, its signature, the audit
path and the signed head, but not the entry's fields or payload::

    {"type": "yiwang.witness.leaf_inclusion_proof", "v": 1, "seq": n, "leaf_index": n - 1,
     "entry_hash": "<hex>", "signature": "<base64>", "key_id": "sm3:…",   (both absent for an unsigned entry)
     "audit_path": ["<hex>", …], "tree_head": {…}}

It shows that an entry with that hash is number *n* of the log the head commits to; whoever holds the entry
itself (its actor, an auditor with the archive) can then check the hash against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yiwang.kernel.errors import InvalidInput, YiwangError
from yiwang.platform.audit.archive import (
    CONSISTENCY_PROOF_TYPE,
    ENTRY_PROOF_TYPE,
    PROOF_VERSION,
    ArchiveReport,
    EntryProof,
    ProofReport,
    _canonical_base64,
    _check_head,
    _head_from_json,
    _hex_list,
    loads_strict,
    prove_entry,
    verify_archive,
    verify_consistency_proof_json,
    verify_entry_proof_json,
)
from yiwang.platform.audit.format import StoredEntry, entry_signing_bytes
from yiwang.platform.audit.merkle import TreeHead, decode_hex_hash, hasher_named, verify_inclusion
from yiwang.platform.keys.document import KeyRing

LEAF_PROOF_TYPE = "yiwang.witness.leaf_inclusion_proof"


def load_key_ring(path: str | Path) -> KeyRing:
    """The keys document at ``path`` (``keys.document_malformed`` if it is not one)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            "keys.document_unreadable",
            f"无法读取公钥文件：{exc.strerror}",
            f"cannot read the keys document: {exc}",
            {"path": str(path)},
        ) from None
    return KeyRing.from_text(text)


def load_tree_head(path: str | Path) -> TreeHead:
    """A tree head saved as JSON (the keys of :meth:`TreeHead.to_json`, optionally with ``type``/``id``)."""
    data = loads_strict(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in ("type", "id")}
    return TreeHead.from_json(data)


def verify_archive_file(
    path: str | Path,
    ring: KeyRing | None,
    *,
    trusted_head: TreeHead | None = None,
    entry_signatures: bool = True,
    require_entry_signatures: bool = False,
) -> ArchiveReport:
    """Verify an archive file in one streaming pass: chain, Merkle root, head signature and (unless
    ``entry_signatures`` is false) every entry signature, with the keys of ``ring``."""
    with open(path, encoding="utf-8") as source:
        return verify_archive(
            source,
            verify_signature=ring.verify_head if ring is not None else None,
            trusted_head=trusted_head,
            verify_entry_signature=ring.verify if ring is not None and entry_signatures else None,
            require_entry_signatures=require_entry_signatures,
        )


def prove_from_archive(path: str | Path, seq: int, ring: KeyRing | None) -> EntryProof:
    """Verify the archive and prove entry ``seq`` from it (``audit.archive_invalid`` if it does not verify)."""
    with open(path, encoding="utf-8") as source:
        return prove_entry(
            source,
            seq,
            verify_signature=ring.verify_head if ring is not None else None,
            verify_entry_signature=ring.verify if ring is not None else None,
        )


# leaf proofs -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafProof:
    """An entry's place in the log without its contents (see the module docstring)."""

    seq: int
    entry_hash: str
    audit_path: tuple[bytes, ...]
    head: TreeHead
    signature: str = ""
    key_id: str = ""

    @classmethod
    def of(cls, proof: EntryProof) -> LeafProof:
        """The public part of a full proof."""
        entry = proof.entry
        return cls(
            seq=entry.fields.seq,
            entry_hash=entry.entry_hash,
            audit_path=proof.audit_path,
            head=proof.head,
            signature=entry.signature,
            key_id=entry.key_id,
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": LEAF_PROOF_TYPE,
            "v": PROOF_VERSION,
            "seq": self.seq,
            "leaf_index": self.seq - 1,
            "entry_hash": self.entry_hash,
            "audit_path": [h.hex() for h in self.audit_path],
            "tree_head": self.head.to_json(),
        }
        if self.signature or self.key_id:
            data.update(signature=self.signature, key_id=self.key_id)
        return data

    @classmethod
    def from_json(cls, data: Any) -> LeafProof:
        base = {"type", "v", "seq", "leaf_index", "entry_hash", "audit_path", "tree_head"}
        try:
            keys = set(data) if isinstance(data, dict) else set()
            if keys not in (base, base | {"signature", "key_id"}) or data["type"] != LEAF_PROOF_TYPE:
                raise ValueError("not a witness leaf inclusion proof")
            if data["v"] != PROOF_VERSION or isinstance(data["v"], bool):
                raise ValueError("unsupported version")
            seq = data["seq"]
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or data["leaf_index"] != seq - 1:
                raise ValueError("seq is an integer from 1 and leaf_index is seq - 1")
            decode_hex_hash(data["entry_hash"], 32)
            head = _head_from_json(data["tree_head"])
            signature = key_id = ""
            if "signature" in keys:
                _canonical_base64(data["signature"])
                if not isinstance(data["key_id"], str) or not data["key_id"]:
                    raise ValueError("key_id is a non-empty string")
                signature, key_id = data["signature"], data["key_id"]
            return cls(
                seq=seq,
                entry_hash=data["entry_hash"],
                audit_path=_hex_list(data["audit_path"], hasher_named(head.hash_alg).size),
                head=head,
                signature=signature,
                key_id=key_id,
            )
        except (ValueError, YiwangError) as exc:
            detail = exc.message_en if isinstance(exc, YiwangError) else str(exc)
            raise InvalidInput(
                "audit.proof_malformed", "证明文件格式错误", f"malformed proof: {detail}", {"detail": detail}
            ) from None


def verify_leaf_proof(
    proof: LeafProof,
    *,
    ring: KeyRing | None = None,
    trusted_head: TreeHead | None = None,
    entry: StoredEntry | None = None,
) -> ProofReport:
    """Check a leaf proof: the path from the entry hash's leaf to the head's root, the head's signature and the
    entry hash's signature (with ``ring``), and — given the entry itself — that it is the entry proved."""
    try:
        hasher = hasher_named(proof.head.hash_alg)
        leaf = hasher.hash_leaf(bytes.fromhex(proof.entry_hash))
    except (YiwangError, ValueError) as exc:
        return ProofReport(False, "malformed", str(exc))
    if entry is not None and (entry.entry_hash != proof.entry_hash or entry.fields.seq != proof.seq):
        return ProofReport(False, "hash_mismatch", "the entry given is not the entry proved")
    if not verify_inclusion(
        leaf, proof.seq - 1, proof.head.tree_size, list(proof.audit_path), proof.head.root_hash, hasher
    ):
        return ProofReport(False, "inclusion_failed", "the audit path does not lead to the tree head's root")
    bad = _check_head(proof.head, ring.verify_head if ring is not None else None, trusted_head)
    if bad is not None:
        return bad
    entry_checked = False
    if ring is not None and proof.signature:
        try:
            ok = ring.verify(proof.key_id, entry_signing_bytes(proof.entry_hash), _canonical_base64(proof.signature))
        except ValueError:
            ok = False
        if not ok:
            return ProofReport(
                False, "entry_signature_invalid", f"the entry's signature (key {proof.key_id}) is invalid"
            )
        entry_checked = True
    return ProofReport(True, signature_checked=ring is not None, entry_signature_checked=entry_checked)


# any proof document ----------------------------------------------------------------------------------------


def proof_kind(data: Any) -> str:
    kind = data.get("type") if isinstance(data, dict) else None
    return {ENTRY_PROOF_TYPE: "inclusion", CONSISTENCY_PROOF_TYPE: "consistency", LEAF_PROOF_TYPE: "leaf"}.get(
        kind, "unknown"
    )


def verify_proof_document(
    data: Any, ring: KeyRing | None = None, *, trusted_head: TreeHead | None = None
) -> ProofReport:
    """Verify any witness proof document (inclusion, leaf inclusion or consistency) with the keys of ``ring``."""
    kind = proof_kind(data)
    head_check = ring.verify_head if ring is not None else None
    if kind == "inclusion":
        return verify_entry_proof_json(
            data,
            verify_signature=head_check,
            trusted_head=trusted_head,
            verify_entry_signature=ring.verify if ring is not None else None,
        )
    if kind == "consistency":
        report = verify_consistency_proof_json(data, verify_signature=head_check)
        if report.ok and trusted_head is not None:
            old = _head_from_json(data["old_head"])
            if (old.tree_size, old.root_hash) != (trusted_head.tree_size, trusted_head.root_hash):
                return ProofReport(False, "trusted_head_mismatch", "the proof starts from another tree head")
        return report
    if kind == "leaf":
        try:
            proof = LeafProof.from_json(data)
        except YiwangError as exc:
            return ProofReport(False, "malformed", exc.message_en)
        return verify_leaf_proof(proof, ring=ring, trusted_head=trusted_head)
    return ProofReport(False, "malformed", "not a witness proof document")


def read_json_file(path: str | Path) -> Any:
    return loads_strict(Path(path).read_text(encoding="utf-8"))


def dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
