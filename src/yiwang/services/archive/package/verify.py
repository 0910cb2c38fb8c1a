"""Verifying a package offline: no database, no Django, only the file and (ideally) the platform's keys.

:func:`verify_package` checks, in this order, and reports every problem it finds (``reason`` is the first):

1. the ZIP can be read, member names are safe and unique (``archive.malformed``, ``archive.unsafe_path``,
   ``archive.duplicate_file``), the manifest is there and well formed (``archive.manifest_missing``,
   ``archive.manifest_malformed``, ``archive.unsupported_version``);
2. the keys: the ones given (the platform's published keys document) or else the embedded ``keys.json`` — a
   clear warning then, because a forger can embed keys of their own; embedded keys must form an endorsed
   rotation chain (``archive.keys_malformed``, ``archive.keys_unendorsed``);
3. the manifest's signature (``archive.manifest_signature_invalid``);
4. every file against the manifest: size, SHA-256 and SM3 (``archive.file_modified``), none missing
   (``archive.file_missing``), none extra (``archive.extra_file``);
5. the witness log: the tree head's signature (``archive.head_signature_invalid``, ``archive.head_malformed``,
   ``archive.head_mismatch``), every entry well formed and about one of the objects the manifest names
   (``archive.entry_malformed``, ``archive.entry_unrelated``), every entry with an inclusion proof against that
   head whose entry, head, audit path and (when signed) entry signature check (``archive.proof_missing``,
   ``archive.proof_invalid``);
6. every item that names a witness entry: that entry is in the package, is about one of the item's objects, and
   its payload records the item's SHA-256 or SM3 (``archive.digest_not_witnessed``) — so a swapped document is
   caught even when someone re-signed the manifest with a key of their own.

What it cannot tell: whether entries about the project were left out of the package (the package proves what it
contains; the witness log itself, or its archive, shows the rest).
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from yiwang.kernel.crypto import new_hasher
from yiwang.kernel.errors import YiwangError
from yiwang.platform.audit.archive import EntryProof, entry_from_json, entry_to_json, verify_entry_proof
from yiwang.platform.audit.format import StoredEntry
from yiwang.platform.audit.merkle import TreeHead
from yiwang.platform.keys.document import KeyRing
from yiwang.services.archive.package.format import (
    ENTRIES_PATH,
    HEAD_PATH,
    KEYS_PATH,
    MANIFEST_PATH,
    PROOFS_DIR,
    SIGNATURE_PATH,
    UNLISTED,
    FileFacts,
    Manifest,
    ManifestError,
    ManifestSignature,
    is_safe_path,
    loads,
    payload_mentions,
    proof_path,
    signing_bytes,
)

CHUNK = 1 << 20
MAX_MANIFEST = 64 << 20
MAX_SMALL = 4 << 20  # keys, head, signature, one proof
MAX_LINE = 8 << 20  # one witness entry line

EMBEDDED_KEYS_WARNING = (
    "只使用了档案包内嵌的公钥：伪造者可以嵌入自己的公钥。请用平台公布的公钥文件（--keys）核验。 / "
    "Only the keys embedded in the package were used: a forger could embed keys of their own. "
    "Verify against the platform's published keys document (--keys)."
)


@dataclass(frozen=True)
class Problem:
    code: str
    path: str = ""
    detail: str = ""

    def describe(self) -> str:
        where = f" [{self.path}]" if self.path else ""
        return f"{self.code}{where}" + (f": {self.detail}" if self.detail else "")


@dataclass
class PackageReport:
    """The outcome of :func:`verify_package`. ``ok`` when there is no problem; warnings do not fail it."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    manifest: Manifest | None = None
    keys_source: str = ""  # "given" | "embedded" | "" (none usable)
    signature_key_id: str = ""
    head: TreeHead | None = None
    files_checked: int = 0
    entries_checked: int = 0
    items_witnessed: int = 0
    items_unwitnessed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reason(self) -> str | None:
        return self.problems[0].code if self.problems else None

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def add(self, code: str, path: str = "", detail: str = "") -> None:
        self.problems.append(Problem(code, path, detail))

    def describe(self) -> str:
        lines = []
        m = self.manifest
        if self.ok and m is not None:
            head = self.head.tree_size if self.head is not None else m.tree_size
            lines.append(
                f"OK: project {m.project_ref}, created {m.created_at} by {m.created_by}: {len(m.items)} items, "
                f"{self.files_checked} files checked, {self.entries_checked} witness entries proved against the "
                f"signed tree head of size {head}; manifest signed by {self.signature_key_id} "
                f"({self.keys_source} keys)"
            )
            if self.items_unwitnessed:
                lines.append(f"note: {self.items_unwitnessed} items claim no witnessed digest")
        elif not self.ok:
            lines.append(f"INVALID: {self.reason}")
            lines.extend(f"  {p.describe()}" for p in self.problems)
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "ok": self.ok,
            "reason": self.reason,
            "problems": [{"code": p.code, "path": p.path, "detail": p.detail} for p in self.problems],
            "warnings": list(self.warnings),
            "project_ref": m.project_ref if m else None,
            "created_at": m.created_at if m else None,
            "items": len(m.items) if m else 0,
            "files_checked": self.files_checked,
            "entries_checked": self.entries_checked,
            "items_witnessed": self.items_witnessed,
            "items_unwitnessed": self.items_unwitnessed,
            "keys_source": self.keys_source,
            "signature_key_id": self.signature_key_id,
            "tree_size": self.head.tree_size if self.head else None,
        }


class _TooLarge(ValueError):
    pass


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise _TooLarge(f"{info.filename} is larger than {limit} bytes")
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge(f"{info.filename} is larger than {limit} bytes")
    return data


def _check_file(zf: zipfile.ZipFile, info: zipfile.ZipInfo, facts: FileFacts) -> str | None:
    """``None`` if the member is exactly what ``facts`` says, else why not."""
    if info.file_size != facts.size:
        return f"{info.file_size} bytes, the manifest says {facts.size}"
    sha, sm3 = hashlib.sha256(), new_hasher("sm3")
    size = 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(CHUNK):
                size += len(chunk)
                if size > facts.size:
                    return "longer than the manifest says"
                sha.update(chunk)
                sm3.update(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:  # CRC error, truncated member
        return f"unreadable: {exc}"
    if size != facts.size:
        return f"{size} bytes, the manifest says {facts.size}"
    if sha.hexdigest() != facts.sha256:
        return "SHA-256 differs from the manifest"
    if sm3.hexdigest() != facts.sm3:
        return "SM3 differs from the manifest"
    return None


def _lines(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[tuple[int, str]]:
    with zf.open(info) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as text:
        number = 0
        while True:
            line = text.readline(MAX_LINE + 1)
            if not line:
                return
            number += 1
            if len(line) > MAX_LINE:
                raise ValueError(f"line {number} is longer than {MAX_LINE} characters")
            if line.strip():
                yield number, line


def verify_package(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    keys: KeyRing | None = None,
    require_witnessed: bool = False,
) -> PackageReport:
    """Verify an archive package (a path or a seekable binary file) against ``keys`` — the platform's published
    keys document (``KeyRing.from_text``). Without ``keys`` the package's own ``keys.json`` is used, with a
    warning. ``require_witnessed`` also fails items that claim no witnessed digest. Never raises on bad data."""
    report = PackageReport()
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        report.add("archive.malformed", detail=f"not a readable ZIP file: {exc}")
        return report
    with zf:
        try:
            _verify(zf, report, keys, require_witnessed)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            report.add("archive.malformed", detail=f"the ZIP file is damaged: {exc}")
    return report


def _verify(zf: zipfile.ZipFile, report: PackageReport, keys: KeyRing | None, require_witnessed: bool) -> None:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        if name in members:
            report.add("archive.duplicate_file", name, "the ZIP holds two members of this name")
            continue
        members[name] = info
        if not is_safe_path(name):
            report.add("archive.unsafe_path", name[:200], "not a safe relative path")
    if report.problems:
        return

    # 1. the manifest
    if MANIFEST_PATH not in members:
        report.add("archive.manifest_missing", MANIFEST_PATH)
        return
    try:
        manifest_bytes = _read(zf, members[MANIFEST_PATH], MAX_MANIFEST)
        manifest = Manifest.from_bytes(manifest_bytes)
    except (_TooLarge, ManifestError) as exc:
        code = (
            "archive.unsupported_version" if "unsupported format_version" in str(exc) else "archive.manifest_malformed"
        )
        report.add(code, MANIFEST_PATH, str(exc))
        return
    report.manifest = manifest
    listed: dict[str, FileFacts] = {}
    for facts in manifest.all_files():
        if facts.path in listed:
            report.add("archive.manifest_malformed", facts.path, "a path is listed twice")
        listed[facts.path] = facts
    if KEYS_PATH not in listed or HEAD_PATH not in listed or ENTRIES_PATH not in listed:
        report.add("archive.manifest_malformed", MANIFEST_PATH, "keys.json and the witness files must be listed")
        return

    # 2. keys
    ring = _keys(zf, members, report, keys)

    # 3. the manifest signature
    _check_signature(zf, members, report, ring, manifest_bytes)

    # 4. files
    damaged: set[str] = set()
    for path, facts in sorted(listed.items()):
        info = members.get(path)
        if info is None:
            report.add("archive.file_missing", path)
            damaged.add(path)
            continue
        why = _check_file(zf, info, facts)
        report.files_checked += 1
        if why is not None:
            report.add("archive.file_modified", path, why)
            damaged.add(path)
    for name in sorted(set(members) - set(listed) - set(UNLISTED)):
        report.add("archive.extra_file", name, "not listed in the manifest")

    # 5. witness
    entries = _check_witness(zf, members, report, ring, manifest, listed)

    # 6. items
    refs = set(manifest.object_refs)
    for item in manifest.items:
        if not set(item.witness_refs) <= refs:
            report.add("archive.manifest_malformed", item.path, "the item names objects the manifest does not list")
        if item.witnessed_by is None:
            report.items_unwitnessed += 1
            if require_witnessed:
                report.add("archive.digest_not_witnessed", item.path, "the item claims no witnessed digest")
            continue
        entry = entries.get(item.witnessed_by) if entries is not None else None
        if entry is None:
            report.add("archive.digest_not_witnessed", item.path, f"entry #{item.witnessed_by} is not in the package")
        elif (entry.fields.object_type, entry.fields.object_id) not in item.witness_refs:
            report.add("archive.digest_not_witnessed", item.path, f"entry #{item.witnessed_by} is about another object")
        elif not payload_mentions(entry.payload_text, {item.file.sha256, item.file.sm3}):
            report.add(
                "archive.digest_not_witnessed",
                item.path,
                f"entry #{item.witnessed_by} does not record this file's SHA-256 or SM3",
            )
        else:
            report.items_witnessed += 1


def _keys(
    zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], report: PackageReport, given: KeyRing | None
) -> KeyRing | None:
    embedded: KeyRing | None = None
    info = members.get(KEYS_PATH)
    if info is not None:
        try:
            embedded = KeyRing.from_text(_read(zf, info, MAX_SMALL))
        except (_TooLarge, YiwangError, UnicodeDecodeError) as exc:
            detail = exc.message_en if isinstance(exc, YiwangError) else str(exc)
            report.add("archive.keys_malformed", KEYS_PATH, detail)
    if given is not None:
        report.keys_source = "given"
        if embedded is not None:
            foreign = sorted(k for k in embedded.records if k not in given.records)
            changed = sorted(
                k
                for k, record in embedded.records.items()
                if k in given.records and given.records[k].public_key_pem != record.public_key_pem
            )
            if foreign or changed:
                report.warnings.append(
                    "包内公钥与给定的平台公钥不一致 / the embedded keys differ from the keys given: "
                    + ", ".join(foreign + changed)
                )
        return given
    report.warnings.append(EMBEDDED_KEYS_WARNING)
    if embedded is None:
        return None
    report.keys_source = "embedded"
    for problem in embedded.check_endorsements():
        report.add("archive.keys_unendorsed", KEYS_PATH, problem)
    return embedded


def _check_signature(
    zf: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
    report: PackageReport,
    ring: KeyRing | None,
    manifest_bytes: bytes,
) -> None:
    code = "archive.manifest_signature_invalid"
    info = members.get(SIGNATURE_PATH)
    if info is None:
        report.add(code, SIGNATURE_PATH, "the package has no manifest signature")
        return
    try:
        signature = ManifestSignature.from_bytes(_read(zf, info, MAX_SMALL))
    except (_TooLarge, ManifestError) as exc:
        report.add(code, SIGNATURE_PATH, str(exc))
        return
    report.signature_key_id = signature.key_id
    if signature.manifest_sha256 != hashlib.sha256(manifest_bytes).hexdigest():
        report.add(code, SIGNATURE_PATH, "the signature is over another manifest (manifest_sha256 differs)")
    elif ring is None:
        report.add(code, SIGNATURE_PATH, "no usable keys to check the signature with")
    elif signature.key_id not in ring:
        report.add(code, SIGNATURE_PATH, f"key {signature.key_id} is not among the {report.keys_source} keys")
    elif ring.records[signature.key_id].algorithm != signature.algorithm:
        report.add(code, SIGNATURE_PATH, "the algorithm named is not the key's")
    elif not ring.verify(signature.key_id, signing_bytes(manifest_bytes), signature.signature):
        report.add(code, SIGNATURE_PATH, f"the signature does not verify with key {signature.key_id}")


def _check_witness(
    zf: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
    report: PackageReport,
    ring: KeyRing | None,
    manifest: Manifest,
    listed: dict[str, FileFacts],
) -> dict[int, StoredEntry] | None:
    """Check the head, the entries and their proofs; return the entries by seq (``None`` if unreadable)."""
    info = members.get(HEAD_PATH)
    if info is None:
        return None  # already reported as a missing file
    try:
        head = TreeHead.from_json(loads(_read(zf, info, MAX_SMALL)))
    except (_TooLarge, ValueError, UnicodeDecodeError, YiwangError) as exc:
        detail = exc.message_en if isinstance(exc, YiwangError) else str(exc)
        report.add("archive.head_malformed", HEAD_PATH, detail)
        return None
    report.head = head
    if (head.tree_size, head.root_hash.hex()) != (manifest.tree_size, manifest.root_hash):
        report.add("archive.head_mismatch", HEAD_PATH, "the tree head is not the one the manifest names")
    if ring is None or not head.verify_signature(ring.verify_head):
        report.add("archive.head_signature_invalid", HEAD_PATH, f"the head's signature (key {head.key_id}) is invalid")

    entries: dict[int, StoredEntry] = {}
    info = members.get(ENTRIES_PATH)
    if info is None:
        return None
    refs = set(manifest.object_refs)
    last = 0
    try:
        for number, line in _lines(zf, info):
            entry = entry_from_json(loads(line))
            seq = entry.fields.seq
            if seq <= last:
                raise ValueError(f"line {number}: entries are in increasing seq order")
            last = seq
            entries[seq] = entry
            if (entry.fields.object_type, entry.fields.object_id) not in refs:
                report.add(
                    "archive.entry_unrelated",
                    ENTRIES_PATH,
                    f"entry #{seq} is about {entry.fields.object_type}:{entry.fields.object_id}",
                )
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        report.add("archive.entry_malformed", ENTRIES_PATH, str(exc)[:300])
        return None
    if len(entries) != manifest.entry_count:
        report.add(
            "archive.entry_malformed", ENTRIES_PATH, f"{len(entries)} entries, the manifest says {manifest.entry_count}"
        )

    expected = {proof_path(seq): seq for seq in entries}
    for path in sorted(p for p in listed if p.startswith(PROOFS_DIR) and p not in expected):
        report.add("archive.proof_invalid", path, "proves no entry of entries.jsonl")
    head_json = head.to_json()
    verify_entry = ring.verify if ring is not None else None
    for path, seq in sorted(expected.items()):
        proof_info = members.get(path)
        if proof_info is None or path not in listed:
            report.add("archive.proof_missing", path, f"entry #{seq} has no inclusion proof")
            continue
        try:
            proof = EntryProof.from_json(loads(_read(zf, proof_info, MAX_SMALL)))
        except (_TooLarge, ValueError, UnicodeDecodeError, YiwangError) as exc:
            detail = exc.message_en if isinstance(exc, YiwangError) else str(exc)
            report.add("archive.proof_invalid", path, f"malformed: {detail}"[:300])
            continue
        if entry_to_json(proof.entry) != entry_to_json(entries[seq]):
            report.add("archive.proof_invalid", path, f"the proof's entry differs from entry #{seq} of entries.jsonl")
            continue
        if proof.head.to_json() != head_json:
            report.add("archive.proof_invalid", path, "the proof is against another tree head")
            continue
        result = verify_entry_proof(proof, trusted_head=head, verify_entry_signature=verify_entry)
        if not result.ok:
            report.add("archive.proof_invalid", path, f"{result.reason}: {result.detail}")
            continue
        report.entries_checked += 1
    return entries
