"""Exported witness archives and offline proofs, as pure functions (no Django, no database).

An archive is UTF-8 JSON Lines, one canonical JSON object per line, read and written in one pass:

1. a header ``{"type": "yiwang.witness.archive", "v": 1, "hash_alg": "sha256", "tree_size": N}``
   (the size comes first so a reader can plan a proof before it has seen the entries);
2. N entry lines, ``seq`` 1 … N in order, each with exactly the fields of :class:`.format.StoredEntry`::

       {"type": "entry", "seq": 1, "prev_hash": "…", "occurred_at": "<UTC ISO, µs>", "actor_ref": "…",
        "actor_label": "…", "action": "…", "object_type": "…", "object_id": "…", "payload_digest": "…",
        "format": 1, "payload_text": "<canonical JSON text of the payload>", "entry_hash": "…"}

   An entry the platform signed (docs/adr/0007) carries two more keys, ``"signature"`` (standard base64) and
   ``"key_id"``: the platform key's signature over :func:`.format.entry_signing_bytes` of ``entry_hash``.
   Both or neither; entries written before entries were signed have neither;

3. the signed tree head of size N, ``{"type": "tree_head", …}`` with the keys of :meth:`.merkle.TreeHead.to_json`.

Verifying an archive (:func:`verify_archive`) checks the hash chain (:func:`.format.verify_entries`), recomputes
the Merkle root of the entries (leaf data = each ``entry_hash``, see :mod:`.merkle`), compares it with the head,
and checks the head's signature when given a verifier, and each signed entry's signature when given an entry
verifier (``verify_entry_signature(key_id, message, signature) -> bool``). Memory stays O(log N) whatever the
archive's length.

From a valid archive :func:`prove_entry` makes an :class:`EntryProof` (one entry, its audit path, the head) and
:func:`prove_consistency` a :class:`ConsistencyProof` (an older head is a prefix of the archive's head); both
are JSON documents that :func:`verify_entry_proof` / :func:`verify_consistency_proof` check without the archive.

Verification returns a report with a stable ``reason`` (never raises on bad data); producing a proof from a
broken archive raises :class:`~yiwang.kernel.errors.InvalidInput` carrying that report.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.errors import InvalidInput, YiwangError
from yiwang.platform.audit.format import (
    ChainReport,
    EntryFields,
    StoredEntry,
    entry_hash,
    entry_signing_bytes,
    payload_digest,
    verify_entries,
)
from yiwang.platform.audit.merkle import (
    SHA256,
    Frontier,
    RangeCollector,
    SignatureVerifier,
    TreeHasher,
    TreeHead,
    consistency_ranges,
    decode_hex_hash,
    entry_leaf_data,
    hasher_named,
    inclusion_ranges,
    parse_utc,
    verify_consistency,
    verify_inclusion,
)

ARCHIVE_TYPE = "yiwang.witness.archive"
ARCHIVE_VERSION = 1
ENTRY_PROOF_TYPE = "yiwang.witness.inclusion_proof"
CONSISTENCY_PROOF_TYPE = "yiwang.witness.consistency_proof"
PROOF_VERSION = 1

_ENTRY_KEYS = frozenset(
    {
        "type",
        "seq",
        "prev_hash",
        "occurred_at",
        "actor_ref",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "payload_digest",
        "format",
        "payload_text",
        "entry_hash",
    }
)
_SIGNED_ENTRY_KEYS = _ENTRY_KEYS | {"signature", "key_id"}
_STRING_FIELDS = ("actor_ref", "actor_label", "action", "object_type", "object_id", "payload_text")

EntrySignatureVerifier = Callable[[str, bytes, bytes], bool]
"""``verify(key_id, message, signature) -> bool``: checks an entry's signature with the platform key ``key_id``
(``False`` for an unknown key)."""
_HASH_FIELDS = ("prev_hash", "payload_digest", "entry_hash")


class _Malformed(ValueError):
    """A line that is not what the format says; carries the 1-based line number."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


# JSON ------------------------------------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_strict(text: str | bytes) -> Any:
    """``json.loads`` refusing duplicate keys and NaN/Infinity (a second ``payload_text`` must not hide)."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)


def _line(value: dict[str, Any]) -> str:
    return canonical_json(value).decode("utf-8") + "\n"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# entries ---------------------------------------------------------------------------------------------------


def entry_to_json(entry: StoredEntry) -> dict[str, Any]:
    f = entry.fields
    return {
        "type": "entry",
        "seq": f.seq,
        "prev_hash": f.prev_hash,
        "occurred_at": iso_utc(f.occurred_at),
        "actor_ref": f.actor_ref,
        "actor_label": f.actor_label,
        "action": f.action,
        "object_type": f.object_type,
        "object_id": f.object_id,
        "payload_digest": f.payload_digest,
        "format": f.format,
        "payload_text": entry.payload_text,
        "entry_hash": entry.entry_hash,
        **({"signature": entry.signature, "key_id": entry.key_id} if entry.signature or entry.key_id else {}),
    }


def _canonical_base64(text: Any) -> bytes:
    if not isinstance(text, str) or not text:
        raise ValueError("signature is non-empty base64 text")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("signature is not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("signature is not canonical base64")
    return raw


def entry_from_json(data: Any) -> StoredEntry:
    """Parse an entry line strictly (exact keys and types); ``ValueError`` otherwise."""
    keys = set(data) if isinstance(data, dict) else set()
    if keys not in (_ENTRY_KEYS, _SIGNED_ENTRY_KEYS) or data["type"] != "entry":
        raise ValueError(
            "an entry has exactly the keys "
            + ", ".join(sorted(_ENTRY_KEYS))
            + " (and, when signed, signature and key_id)"
        )
    signature = key_id = ""
    if keys == _SIGNED_ENTRY_KEYS:
        _canonical_base64(data["signature"])
        if not isinstance(data["key_id"], str) or not data["key_id"]:
            raise ValueError("key_id is a non-empty string")
        signature, key_id = data["signature"], data["key_id"]
    if not _is_int(data["seq"]) or data["seq"] < 1 or not _is_int(data["format"]):
        raise ValueError("seq and format are integers, seq from 1")
    for name in _STRING_FIELDS:
        if not isinstance(data[name], str):
            raise ValueError(f"{name} is a string")
    for name in _HASH_FIELDS:
        decode_hex_hash(data[name], 32)
    return StoredEntry(
        fields=EntryFields(
            seq=data["seq"],
            prev_hash=data["prev_hash"],
            occurred_at=parse_utc(data["occurred_at"]),
            actor_ref=data["actor_ref"],
            actor_label=data["actor_label"],
            action=data["action"],
            object_type=data["object_type"],
            object_id=data["object_id"],
            payload_digest=data["payload_digest"],
            format=data["format"],
        ),
        payload_text=data["payload_text"],
        entry_hash=data["entry_hash"],
        signature=signature,
        key_id=key_id,
    )


def entry_signature_ok(entry: StoredEntry, verify: EntrySignatureVerifier) -> bool:
    """Whether a signed entry's signature verifies (never raises; ``False`` for an unsigned entry)."""
    if not entry.signature or not entry.key_id:
        return False
    try:
        message = entry_signing_bytes(entry.entry_hash)
        return verify(entry.key_id, message, _canonical_base64(entry.signature)) is True
    except ValueError:
        return False


def _head_from_json(data: Any) -> TreeHead:
    try:
        return TreeHead.from_json(data)
    except YiwangError as exc:
        raise ValueError(exc.message_en) from None


def _hex_list(values: Any, size: int) -> tuple[bytes, ...]:
    if not isinstance(values, list):
        raise ValueError("a proof is a list of hex hashes")
    return tuple(decode_hex_hash(v, size) for v in values)


# writing ---------------------------------------------------------------------------------------------------


def archive_lines(entries: Iterable[StoredEntry], head: TreeHead) -> Iterator[str]:
    """The archive's lines (each ending in a newline): header, entries 1 … ``head.tree_size``, head.

    ``entries`` is consumed lazily (a database iterator is fine). Raises ``audit.archive_size_mismatch``
    at the end if their number differs from the head's size — nothing the reader would accept anyway.
    """
    yield _line({"type": ARCHIVE_TYPE, "v": ARCHIVE_VERSION, "hash_alg": head.hash_alg, "tree_size": head.tree_size})
    count = 0
    for entry in entries:
        count += 1
        yield _line(entry_to_json(entry))
    if count != head.tree_size:
        raise InvalidInput(
            "audit.archive_size_mismatch",
            f"导出了 {count} 条见证条目，而树头大小为 {head.tree_size}",
            f"exported {count} witness entries for a tree head of size {head.tree_size}",
            {"entries": count, "tree_size": head.tree_size},
        )
    yield _line({"type": "tree_head", **head.to_json()})


def write_archive(out: TextIO, entries: Iterable[StoredEntry], head: TreeHead) -> int:
    """Write an archive to a text stream (open it with ``encoding="utf-8"``); return the number of entries."""
    for text in archive_lines(entries, head):
        out.write(text)
    return head.tree_size


# reading ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveReport:
    """The outcome of :func:`verify_archive`.

    ``reason`` when not ok: ``malformed`` (see ``line``, ``detail``), a chain reason from
    :class:`.format.ChainReport` (``sequence_gap``, ``payload_digest_mismatch``, ``prev_link_mismatch``,
    ``hash_mismatch``; see ``first_bad_seq``), ``missing_tree_head``, ``tree_size_mismatch``,
    ``hash_alg_mismatch``, ``root_mismatch``, ``trusted_head_mismatch``, ``signature_invalid`` or (entry
    signatures, checked last) ``entry_signature_invalid`` / ``entry_unsigned``.

    ``entry_signatures_checked`` counts the entry signatures verified (0 when no entry verifier was given);
    ``unsigned_entries`` the entries that carry none.
    """

    ok: bool
    entries: int
    root_hash: str | None = None
    head: TreeHead | None = None
    signature_checked: bool = False
    reason: str | None = None
    detail: str = ""
    first_bad_seq: int | None = None
    line: int | None = None
    entry_signatures_checked: int = 0
    unsigned_entries: int = 0

    def describe(self) -> str:
        if self.ok:
            assert self.head is not None
            signed = f"signature OK (key {self.head.key_id})" if self.signature_checked else "signature NOT checked"
            text = (
                f"OK: {self.entries} entries, chain intact, Merkle root {self.root_hash} "
                f"matches the tree head of size {self.head.tree_size}; {signed}"
            )
            if self.entry_signatures_checked or self.unsigned_entries:
                text += f"; {self.entry_signatures_checked} entry signatures OK"
                if self.unsigned_entries:
                    text += f", {self.unsigned_entries} entries unsigned"
            return text
        where = f" at entry {self.first_bad_seq}" if self.first_bad_seq is not None else ""
        where += f" (line {self.line})" if self.line is not None else ""
        return f"INVALID{where}: {self.reason}" + (f" — {self.detail}" if self.detail else "")

    def as_details(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "detail": self.detail,
            "entries": self.entries,
            "first_bad_seq": self.first_bad_seq,
            "line": self.line,
        }


@dataclass
class _Scan:
    """What one pass over an archive found."""

    report: ArchiveReport
    hasher: TreeHasher = SHA256
    wanted: StoredEntry | None = None
    collected: list[bytes] | None = None
    prefix_root: bytes | None = None


def _lines(source: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, text in enumerate(source, 1):
        stripped = text.rstrip("\r\n")
        if stripped.strip():
            yield number, stripped


def _scan(
    source: Iterable[str],
    *,
    verify_signature: SignatureVerifier | None,
    trusted_head: TreeHead | None = None,
    wanted_seq: int | None = None,
    old_size: int | None = None,
    verify_entry_signature: EntrySignatureVerifier | None = None,
    require_entry_signatures: bool = False,
) -> _Scan:
    """Read the archive once: parse, check the chain, build the root, and collect what a proof needs."""
    lines = _lines(source)
    state: dict[str, Any] = {"head": None, "head_line": None, "line": None, "bad_signature": None, "unsigned": 0}
    signatures = {"checked": 0}
    frontier = Frontier()
    collector: RangeCollector | None = None
    result = _Scan(report=ArchiveReport(ok=False, entries=0))
    snapshot_at = trusted_head.tree_size if trusted_head is not None else old_size

    def fail(reason: str, detail: str = "", **extra: Any) -> _Scan:
        result.report = ArchiveReport(
            ok=False, entries=frontier.size, reason=reason, detail=detail, head=state["head"], **extra
        )
        return result

    # the header
    try:
        number, text = next(lines, (1, ""))
        header = loads_strict(text) if text else None
        if (
            not isinstance(header, dict)
            or set(header) != {"type", "v", "hash_alg", "tree_size"}
            or header["type"] != ARCHIVE_TYPE
        ):
            raise _Malformed("the first line is not a witness archive header", number)
        if header["v"] != ARCHIVE_VERSION or not _is_int(header["v"]):
            raise _Malformed(f"unsupported archive version {header['v']!r}", number)
        if not _is_int(header["tree_size"]) or header["tree_size"] < 0 or not isinstance(header["hash_alg"], str):
            raise _Malformed("tree_size is a non-negative integer and hash_alg a string", number)
        hasher = hasher_named(header["hash_alg"])
    except YiwangError as exc:
        return fail("malformed", exc.message_en, line=1)
    except _Malformed as exc:
        return fail("malformed", str(exc), line=exc.line)
    except ValueError as exc:
        return fail("malformed", str(exc), line=1)
    size = header["tree_size"]
    result.hasher = hasher
    frontier = Frontier(hasher)
    if wanted_seq is not None and 1 <= wanted_seq <= size:
        collector = RangeCollector(inclusion_ranges(wanted_seq - 1, size), hasher)
    elif old_size is not None and 0 <= old_size <= size:
        collector = RangeCollector(consistency_ranges(old_size, size), hasher)
    if snapshot_at == 0:
        result.prefix_root = hasher.empty_root()

    def entries() -> Iterator[StoredEntry]:
        for number, text in lines:
            state["line"] = number
            try:
                data = loads_strict(text)
            except ValueError as exc:
                raise _Malformed(f"not JSON: {exc}", number) from None
            if isinstance(data, dict) and data.get("type") == "tree_head":
                head_data = {k: v for k, v in data.items() if k != "type"}
                try:
                    state["head"] = _head_from_json(head_data)
                except ValueError as exc:
                    raise _Malformed(str(exc), number) from None
                state["head_line"] = number
                for extra, _ in lines:
                    raise _Malformed("content after the tree head", extra)
                return
            try:
                entry = entry_from_json(data)
            except ValueError as exc:
                raise _Malformed(str(exc), number) from None
            leaf = hasher.hash_leaf(entry_leaf_data(entry.entry_hash))
            frontier.append(leaf)
            if collector is not None:
                collector.add(leaf)
            if frontier.size == snapshot_at:
                result.prefix_root = frontier.root()
            if frontier.size == wanted_seq:
                result.wanted = entry
            if not entry.signature:
                state["unsigned"] += 1
                if require_entry_signatures and state["bad_signature"] is None:
                    state["bad_signature"] = (entry.fields.seq, number, "entry_unsigned")
            elif verify_entry_signature is not None:
                if entry_signature_ok(entry, verify_entry_signature):
                    signatures["checked"] += 1
                elif state["bad_signature"] is None:
                    state["bad_signature"] = (entry.fields.seq, number, "entry_signature_invalid")
            yield entry

    try:
        chain: ChainReport = verify_entries(entries())
    except _Malformed as exc:
        return fail("malformed", str(exc), line=exc.line)
    if not chain.ok:
        return fail(chain.reason or "chain_broken", "", first_bad_seq=chain.first_bad_seq, line=state["line"])
    head: TreeHead | None = state["head"]
    if head is None:
        return fail("missing_tree_head", "the archive ends without a tree head (truncated?)")
    if not (size == frontier.size == head.tree_size):
        return fail(
            "tree_size_mismatch",
            f"header says {size} entries, archive holds {frontier.size}, tree head says {head.tree_size}",
            line=state["head_line"],
        )
    if head.hash_alg != hasher.name:
        return fail("hash_alg_mismatch", f"header {hasher.name}, tree head {head.hash_alg}", line=state["head_line"])
    root = frontier.root()
    if root != head.root_hash:
        return fail(
            "root_mismatch",
            f"entries give root {root.hex()}, tree head says {head.root_hash.hex()}",
            line=state["head_line"],
        )
    if trusted_head is not None and (
        trusted_head.hash_alg != hasher.name
        or trusted_head.tree_size > size
        or result.prefix_root != trusted_head.root_hash
    ):
        return fail(
            "trusted_head_mismatch",
            f"the archive does not contain the trusted tree of size {trusted_head.tree_size} "
            f"and root {trusted_head.root_hash.hex()}",
        )
    checked = verify_signature is not None
    if verify_signature is not None and not head.verify_signature(verify_signature):
        return fail("signature_invalid", f"the tree head's signature does not verify (key {head.key_id})")
    if state["bad_signature"] is not None:
        seq, line, reason = state["bad_signature"]
        detail = "the entry carries no signature" if reason == "entry_unsigned" else "the entry's signature is invalid"
        return fail(reason, detail, first_bad_seq=seq, line=line)
    if collector is not None:
        result.collected = collector.hashes()
    result.report = ArchiveReport(
        ok=True,
        entries=frontier.size,
        root_hash=root.hex(),
        head=head,
        signature_checked=checked,
        entry_signatures_checked=signatures["checked"],
        unsigned_entries=state["unsigned"],
    )
    return result


def verify_archive(
    source: Iterable[str],
    *,
    verify_signature: SignatureVerifier | None = None,
    trusted_head: TreeHead | None = None,
    verify_entry_signature: EntrySignatureVerifier | None = None,
    require_entry_signatures: bool = False,
) -> ArchiveReport:
    """Check an archive (an open text file or any iterable of lines) offline.

    ``verify_signature`` checks the archive's head signature (``None``: not checked, and the report says so).
    ``trusted_head`` is a head obtained elsewhere (published, anchored, from an earlier audit): the archive
    must contain its tree as a prefix (same root at that size), so a consistent rewrite of the whole archive
    under a new key is caught too. ``verify_entry_signature`` checks every signed entry's signature;
    ``require_entry_signatures`` refuses entries without one. Entry signatures are judged after everything
    else, so a damaged chain is reported by its chain reason.
    """
    return _scan(
        source,
        verify_signature=verify_signature,
        trusted_head=trusted_head,
        verify_entry_signature=verify_entry_signature,
        require_entry_signatures=require_entry_signatures,
    ).report


def _refuse(report: ArchiveReport) -> InvalidInput:
    return InvalidInput(
        "audit.archive_invalid",
        f"见证归档校验失败：{report.reason}",
        f"the witness archive does not verify: {report.describe()}",
        report.as_details(),
    )


# inclusion proofs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryProof:
    """One witness entry, its audit path and the (signed) head it is proved against: self-contained."""

    entry: StoredEntry
    leaf_index: int
    audit_path: tuple[bytes, ...]
    head: TreeHead

    def to_json(self) -> dict[str, Any]:
        return {
            "type": ENTRY_PROOF_TYPE,
            "v": PROOF_VERSION,
            "entry": entry_to_json(self.entry),
            "leaf_index": self.leaf_index,
            "audit_path": [h.hex() for h in self.audit_path],
            "tree_head": self.head.to_json(),
        }

    @classmethod
    def from_json(cls, data: Any) -> EntryProof:
        """Parse strictly; ``audit.proof_malformed`` otherwise."""
        try:
            keys = {"type", "v", "entry", "leaf_index", "audit_path", "tree_head"}
            if not isinstance(data, dict) or set(data) != keys or data["type"] != ENTRY_PROOF_TYPE:
                raise ValueError("not a witness inclusion proof")
            if data["v"] != PROOF_VERSION or not _is_int(data["v"]) or not _is_int(data["leaf_index"]):
                raise ValueError("unsupported version or bad leaf_index")
            head = _head_from_json(data["tree_head"])
            size = hasher_named(head.hash_alg).size
            return cls(
                entry=entry_from_json(data["entry"]),
                leaf_index=data["leaf_index"],
                audit_path=_hex_list(data["audit_path"], size),
                head=head,
            )
        except (ValueError, YiwangError) as exc:
            raise _malformed_proof(exc) from None


@dataclass(frozen=True)
class ProofReport:
    """The outcome of verifying a proof. ``reason`` when not ok: ``malformed``, ``payload_digest_mismatch``,
    ``hash_mismatch``, ``index_mismatch``, ``inclusion_failed``, ``consistency_failed``,
    ``trusted_head_mismatch``, ``signature_invalid`` or ``entry_signature_invalid``."""

    ok: bool
    reason: str | None = None
    detail: str = ""
    signature_checked: bool = False
    entry_signature_checked: bool = False

    def describe(self) -> str:
        if self.ok:
            text = "OK" + ("" if self.signature_checked else " (signature NOT checked)")
            return text + ("; entry signature OK" if self.entry_signature_checked else "")
        return f"INVALID: {self.reason}" + (f" — {self.detail}" if self.detail else "")


def _malformed_proof(exc: Exception) -> InvalidInput:
    detail = exc.message_en if isinstance(exc, YiwangError) else str(exc)
    return InvalidInput("audit.proof_malformed", "证明文件格式错误", f"malformed proof: {detail}", {"detail": detail})


def prove_entry(
    source: Iterable[str],
    seq: int,
    *,
    verify_signature: SignatureVerifier | None = None,
    verify_entry_signature: EntrySignatureVerifier | None = None,
) -> EntryProof:
    """Verify the archive and prove entry ``seq`` against its head, in one pass (O(log N) memory).

    Raises ``audit.archive_invalid`` (details: the report) or ``audit.archive_entry_not_found``.
    """
    if not _is_int(seq) or seq < 1:
        raise _not_found(seq)
    scan = _scan(
        source, verify_signature=verify_signature, wanted_seq=seq, verify_entry_signature=verify_entry_signature
    )
    if not scan.report.ok:
        raise _refuse(scan.report)
    head = scan.report.head
    assert head is not None
    if scan.wanted is None or scan.collected is None:
        raise _not_found(seq, head.tree_size)
    return EntryProof(entry=scan.wanted, leaf_index=seq - 1, audit_path=tuple(scan.collected), head=head)


def _not_found(seq: Any, size: int | None = None) -> InvalidInput:
    return InvalidInput(
        "audit.archive_entry_not_found",
        f"归档中没有第 {seq} 条见证条目",
        f"the archive has no witness entry #{seq}",
        {"seq": seq if _is_int(seq) else None, "tree_size": size},
    )


def _check_head(
    head: TreeHead, verify_signature: SignatureVerifier | None, trusted_head: TreeHead | None
) -> ProofReport | None:
    if trusted_head is not None and (
        (trusted_head.tree_size, trusted_head.root_hash, trusted_head.hash_alg)
        != (head.tree_size, head.root_hash, head.hash_alg)
    ):
        return ProofReport(False, "trusted_head_mismatch", "the proof is against another tree head")
    if verify_signature is not None and not head.verify_signature(verify_signature):
        return ProofReport(False, "signature_invalid", f"the tree head's signature does not verify (key {head.key_id})")
    return None


def verify_entry_proof(
    proof: EntryProof,
    *,
    verify_signature: SignatureVerifier | None = None,
    trusted_head: TreeHead | None = None,
    verify_entry_signature: EntrySignatureVerifier | None = None,
) -> ProofReport:
    """Check one entry against its head without the rest of the archive.

    The entry's payload must match its digest, its fields its ``entry_hash``, its ``seq`` the leaf index, and
    the audit path must lead from its leaf to the head's root; ``trusted_head`` (if given) must be that head,
    and ``verify_signature`` (if given) must accept the head's signature; ``verify_entry_signature`` (if given)
    must accept the entry's own signature when it carries one.
    """
    entry = proof.entry
    if payload_digest(entry.payload_text) != entry.fields.payload_digest:
        return ProofReport(False, "payload_digest_mismatch", "the payload does not match its digest")
    if entry_hash(entry.fields) != entry.entry_hash:
        return ProofReport(False, "hash_mismatch", "the entry's fields do not give its entry_hash")
    if proof.leaf_index != entry.fields.seq - 1:
        return ProofReport(False, "index_mismatch", f"entry #{entry.fields.seq} is leaf {entry.fields.seq - 1}")
    try:
        hasher = hasher_named(proof.head.hash_alg)
    except YiwangError as exc:
        return ProofReport(False, "malformed", exc.message_en)
    leaf = hasher.hash_leaf(entry_leaf_data(entry.entry_hash))
    if not verify_inclusion(
        leaf, proof.leaf_index, proof.head.tree_size, list(proof.audit_path), proof.head.root_hash, hasher
    ):
        return ProofReport(False, "inclusion_failed", "the audit path does not lead to the tree head's root")
    bad = _check_head(proof.head, verify_signature, trusted_head)
    if bad is not None:
        return bad
    entry_checked = False
    if verify_entry_signature is not None and entry.signature:
        if not entry_signature_ok(entry, verify_entry_signature):
            return ProofReport(
                False, "entry_signature_invalid", f"the entry's signature (key {entry.key_id}) is invalid"
            )
        entry_checked = True
    return ProofReport(True, signature_checked=verify_signature is not None, entry_signature_checked=entry_checked)


def verify_entry_proof_json(
    data: Any,
    *,
    verify_signature: SignatureVerifier | None = None,
    trusted_head: TreeHead | None = None,
    verify_entry_signature: EntrySignatureVerifier | None = None,
) -> ProofReport:
    """:func:`verify_entry_proof` on a parsed JSON document; a malformed one gives reason ``malformed``."""
    try:
        proof = EntryProof.from_json(data)
    except YiwangError as exc:
        return ProofReport(False, "malformed", exc.message_en)
    return verify_entry_proof(
        proof,
        verify_signature=verify_signature,
        trusted_head=trusted_head,
        verify_entry_signature=verify_entry_signature,
    )


# consistency proofs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsistencyProof:
    """Proof that ``new_head``'s tree extends ``old_head``'s (RFC 6962 §2.1.2): nothing was changed or removed."""

    old_head: TreeHead
    new_head: TreeHead
    proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": CONSISTENCY_PROOF_TYPE,
            "v": PROOF_VERSION,
            "old_head": self.old_head.to_json(),
            "new_head": self.new_head.to_json(),
            "proof": [h.hex() for h in self.proof],
        }

    @classmethod
    def from_json(cls, data: Any) -> ConsistencyProof:
        try:
            keys = {"type", "v", "old_head", "new_head", "proof"}
            if not isinstance(data, dict) or set(data) != keys or data["type"] != CONSISTENCY_PROOF_TYPE:
                raise ValueError("not a witness consistency proof")
            if data["v"] != PROOF_VERSION or not _is_int(data["v"]):
                raise ValueError("unsupported version")
            new_head = _head_from_json(data["new_head"])
            return cls(
                old_head=_head_from_json(data["old_head"]),
                new_head=new_head,
                proof=_hex_list(data["proof"], hasher_named(new_head.hash_alg).size),
            )
        except (ValueError, YiwangError) as exc:
            raise _malformed_proof(exc) from None


def prove_consistency(
    source: Iterable[str], old_head: TreeHead, *, verify_signature: SignatureVerifier | None = None
) -> ConsistencyProof:
    """Verify the archive and prove that its head extends ``old_head``, in one pass.

    Raises ``audit.archive_invalid`` when the archive does not verify — including when it does not contain
    ``old_head``'s tree as a prefix (reason ``trusted_head_mismatch``: the log was rewritten since).
    """
    scan = _scan(source, verify_signature=verify_signature, trusted_head=old_head, old_size=old_head.tree_size)
    if not scan.report.ok:
        raise _refuse(scan.report)
    assert scan.report.head is not None
    assert scan.collected is not None
    return ConsistencyProof(old_head=old_head, new_head=scan.report.head, proof=tuple(scan.collected))


def verify_consistency_proof(
    proof: ConsistencyProof,
    *,
    verify_signature: SignatureVerifier | None = None,
    verify_old_signature: SignatureVerifier | None = None,
) -> ProofReport:
    """Check that ``proof.new_head`` extends ``proof.old_head``; signatures are checked with the verifiers given
    (``verify_old_signature`` defaults to ``verify_signature``; heads signed by a rotated key need their own)."""
    old, new = proof.old_head, proof.new_head
    if old.hash_alg != new.hash_alg:
        return ProofReport(False, "malformed", "the two heads use different hash algorithms")
    try:
        hasher = hasher_named(new.hash_alg)
    except YiwangError as exc:
        return ProofReport(False, "malformed", exc.message_en)
    if not verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, list(proof.proof), hasher):
        return ProofReport(False, "consistency_failed", "the new tree does not extend the old one")
    bad = _check_head(new, verify_signature, None)
    if bad is None:
        bad = _check_head(old, verify_old_signature or verify_signature, None)
    return bad or ProofReport(True, signature_checked=verify_signature is not None)


def verify_consistency_proof_json(
    data: Any,
    *,
    verify_signature: SignatureVerifier | None = None,
    verify_old_signature: SignatureVerifier | None = None,
) -> ProofReport:
    try:
        proof = ConsistencyProof.from_json(data)
    except YiwangError as exc:
        return ProofReport(False, "malformed", exc.message_en)
    return verify_consistency_proof(proof, verify_signature=verify_signature, verify_old_signature=verify_old_signature)
