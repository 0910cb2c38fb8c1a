"""Archive package format 1: file names, the manifest, the manifest signature, path rules (pure Python).

A package is a ZIP file holding exactly::

    manifest.json            what the package holds (this module's :class:`Manifest`), UTF-8 JSON
    manifest.sig             the platform's signature over manifest.json (:class:`ManifestSignature`)
    keys.json                the platform public keys document (yiwang.platform.keys.document)
    witness/tree_head.json   one signed tree head of the witness log (TreeHead.to_json)
    witness/entries.jsonl    the witness entries about the project's objects, one per line, by seq
    witness/proofs/<seq>.json  an inclusion proof of each entry against that head (EntryProof.to_json)
    items/<collector>/<key>/<file name>  the archived files (documents, notices, records …)

Every file except ``manifest.json`` and ``manifest.sig`` is listed in the manifest with its size, SHA-256 and
SM3; the signature covers ``b"yiwang.archive.manifest.v1\\x00" + <the bytes of manifest.json>``. The full
specification is docs/archive.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yiwang.kernel.canonical import canonical_json

PACKAGE_TYPE = "yiwang.archive.package"
FORMAT_VERSION = 1
SIGNATURE_TYPE = "yiwang.archive.manifest_signature"
SIGNATURE_VERSION = 1
SIGNING_CONTEXT = b"yiwang.archive.manifest.v1\x00"

MANIFEST_PATH = "manifest.json"
SIGNATURE_PATH = "manifest.sig"
KEYS_PATH = "keys.json"
HEAD_PATH = "witness/tree_head.json"
ENTRIES_PATH = "witness/entries.jsonl"
PROOFS_DIR = "witness/proofs/"
ITEMS_DIR = "items/"
UNLISTED = (MANIFEST_PATH, SIGNATURE_PATH)  # the two files the manifest cannot list

JSON_TYPE = "application/json"
JSONL_TYPE = "application/jsonl"

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # every member's timestamp: the output depends on the inputs only
MAX_PATH = 400
MAX_SEGMENT = 80
_HEX = frozenset("0123456789abcdef")
ITEM_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COLLECTOR_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


class ManifestError(ValueError):
    """A manifest or signature document that is not what format 1 says."""


# names -----------------------------------------------------------------------------------------------------


def proof_path(seq: int) -> str:
    """``witness/proofs/000000000042.json``: zero-padded, so names sort like numbers."""
    return f"{PROOFS_DIR}{seq:012d}.json"


def safe_segment(text: str, *, max_length: int = MAX_SEGMENT) -> str:
    """One path segment made of letters (any script), digits, ``.``, ``-`` and ``_``; anything else becomes
    ``_``. Never empty, never ``.``/``..``, never starting with a dot, at most ``max_length`` characters."""
    text = unicodedata.normalize("NFC", str(text))
    out = "".join(ch if (ch.isalnum() or ch in "._-") and ch.isprintable() else "_" for ch in text)
    out = out.lstrip(".")[:max_length].rstrip(".")
    return out or "_"


def is_safe_path(path: Any) -> bool:
    """A relative path of safe segments joined by ``/`` (what a package may contain)."""
    if not isinstance(path, str) or not path or len(path) > MAX_PATH or unicodedata.normalize("NFC", path) != path:
        return False
    parts = path.split("/")
    return all(part and part == safe_segment(part, max_length=len(part) or 1) for part in parts)


def is_hex(text: Any, length: int = 64) -> bool:
    return isinstance(text, str) and len(text) == length and _HEX.issuperset(text)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def dumps(value: Any) -> bytes:
    """How the package writes JSON documents other than entry lines: sorted keys, one-space indentation,
    UTF-8, a final newline. Deterministic, and readable in any text editor."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False) + "\n").encode("utf-8")


def json_line(value: Any) -> bytes:
    """One JSON Lines record: canonical JSON and a newline."""
    return canonical_json(value) + b"\n"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(data: bytes | str) -> Any:
    """Strict JSON: duplicate keys and NaN/Infinity are refused (a second value must not hide behind the first)."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)


def payload_mentions(payload_text: str, digests: Iterable[str]) -> bool:
    """Whether the JSON payload holds one of ``digests`` as a string value, at any depth."""
    wanted = set(digests)
    try:
        stack: list[Any] = [loads(payload_text)]
    except ValueError:
        return False
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if value in wanted:
                return True
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


# the manifest ----------------------------------------------------------------------------------------------


def _exact(data: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(data, dict) or set(data) != keys:
        raise ManifestError(f"{what} has exactly the keys " + ", ".join(sorted(keys)))
    return data


def _text(value: Any, what: str, *, max_length: int = 500, empty: bool = False) -> str:
    if not isinstance(value, str) or len(value) > max_length or (not empty and not value):
        raise ManifestError(f"{what} is a {'' if empty else 'non-empty '}string of at most {max_length} characters")
    return value


def _ref_pair(value: Any, what: str) -> tuple[str, str]:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and v for v in value)):
        raise ManifestError(f"{what}: an object reference is [type, id]")
    return value[0], value[1]


@dataclass(frozen=True)
class FileFacts:
    """A file of the package: where it is, what it is, and its digests."""

    path: str
    media_type: str
    size: int
    sha256: str
    sm3: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "sm3": self.sm3,
        }

    @classmethod
    def parse(cls, data: dict[str, Any], what: str) -> FileFacts:
        path = data["path"]
        if not is_safe_path(path) or path in UNLISTED:
            raise ManifestError(f"{what}: unsafe or reserved path {str(path)[:80]!r}")
        if not _is_int(data["size"]) or data["size"] < 0:
            raise ManifestError(f"{what}: size is a non-negative integer")
        if not (is_hex(data["sha256"]) and is_hex(data["sm3"])):
            raise ManifestError(f"{what}: sha256 and sm3 are 64 lower-case hex digits")
        return cls(
            path=path,
            media_type=_text(data["media_type"], f"{what}.media_type", max_length=100),
            size=data["size"],
            sha256=data["sha256"],
            sm3=data["sm3"],
        )


_FILE_KEYS = {"path", "media_type", "size", "sha256", "sm3"}
_ITEM_KEYS = _FILE_KEYS | {"collector", "key", "kind", "title", "witness_refs", "witnessed_by", "metadata"}


@dataclass(frozen=True)
class ItemFacts:
    """An archived file with what its collector said about it.

    ``witnessed_by`` is the seq of a witness entry (in the package) whose payload records this file's SHA-256 or
    SM3, or ``None`` when the collector claims no such entry."""

    file: FileFacts
    collector: str
    key: str
    kind: str
    title: str
    witness_refs: tuple[tuple[str, str], ...] = ()
    witnessed_by: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.file.path

    def to_json(self) -> dict[str, Any]:
        return {
            **self.file.to_json(),
            "collector": self.collector,
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "witness_refs": [list(ref) for ref in self.witness_refs],
            "witnessed_by": self.witnessed_by,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def parse(cls, data: Any, index: int) -> ItemFacts:
        what = f"items[{index}]"
        data = _exact(data, _ITEM_KEYS, what)
        facts = FileFacts.parse(data, what)
        if not facts.path.startswith(ITEMS_DIR):
            raise ManifestError(f"{what}: items live under {ITEMS_DIR}")
        if not isinstance(data["collector"], str) or not COLLECTOR_NAME.match(data["collector"]):
            raise ManifestError(f"{what}: collector is a dotted lower-case name")
        if not isinstance(data["kind"], str) or not ITEM_KIND.match(data["kind"]):
            raise ManifestError(f"{what}: kind is a lower-case word")
        refs = data["witness_refs"]
        if not isinstance(refs, list):
            raise ManifestError(f"{what}: witness_refs is a list")
        seq = data["witnessed_by"]
        if seq is not None and (not _is_int(seq) or seq < 1):
            raise ManifestError(f"{what}: witnessed_by is null or an entry number")
        if not isinstance(data["metadata"], dict):
            raise ManifestError(f"{what}: metadata is an object")
        return cls(
            file=facts,
            collector=data["collector"],
            key=_text(data["key"], f"{what}.key", max_length=200),
            kind=data["kind"],
            title=_text(data["title"], f"{what}.title", max_length=200),
            witness_refs=tuple(_ref_pair(ref, what) for ref in refs),
            witnessed_by=seq,
            metadata=data["metadata"],
        )


_WITNESS_KEYS = {"tree_head", "entries", "entry_count", "tree_size", "root_hash", "object_refs"}
_MANIFEST_KEYS = {
    "type",
    "format_version",
    "project",
    "created_at",
    "created_by",
    "retention",
    "witness",
    "keys",
    "files",
    "items",
}


@dataclass(frozen=True)
class Manifest:
    """What a package holds. ``retention`` is ``{"years": n, "until": "<UTC ISO>", "rules": [...]}`` (the rules
    as the catalogue gave them); ``project`` is ``{"ref", "category", "title"}``."""

    project_ref: str
    category: str
    title: str
    created_at: str  # UTC ISO, µs (kernel.canonical.iso_utc)
    created_by: str
    retention: Mapping[str, Any]
    tree_size: int
    root_hash: str
    entry_count: int
    object_refs: tuple[tuple[str, str], ...]
    files: tuple[FileFacts, ...]
    items: tuple[ItemFacts, ...]

    def all_files(self) -> list[FileFacts]:
        return [*self.files, *(item.file for item in self.items)]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": PACKAGE_TYPE,
            "format_version": FORMAT_VERSION,
            "project": {"ref": self.project_ref, "category": self.category, "title": self.title},
            "created_at": self.created_at,
            "created_by": self.created_by,
            "retention": dict(self.retention),
            "witness": {
                "tree_head": HEAD_PATH,
                "entries": ENTRIES_PATH,
                "entry_count": self.entry_count,
                "tree_size": self.tree_size,
                "root_hash": self.root_hash,
                "object_refs": [list(ref) for ref in sorted(self.object_refs)],
            },
            "keys": KEYS_PATH,
            "files": [f.to_json() for f in sorted(self.files, key=lambda f: f.path)],
            "items": [i.to_json() for i in sorted(self.items, key=lambda i: i.path)],
        }

    def to_bytes(self) -> bytes:
        return dumps(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """Parse ``manifest.json`` strictly; :class:`ManifestError` for anything format 1 does not allow."""
        try:
            raw = loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ManifestError(f"not JSON: {exc}") from None
        if isinstance(raw, dict) and raw.get("type") == PACKAGE_TYPE and raw.get("format_version") != FORMAT_VERSION:
            raise ManifestError(f"unsupported format_version {raw.get('format_version')!r}")
        raw = _exact(raw, _MANIFEST_KEYS, "the manifest")
        if raw["type"] != PACKAGE_TYPE:
            raise ManifestError("not an archive package manifest")
        project = _exact(raw["project"], {"ref", "category", "title"}, "project")
        witness = _exact(raw["witness"], _WITNESS_KEYS, "witness")
        if witness["tree_head"] != HEAD_PATH or witness["entries"] != ENTRIES_PATH or raw["keys"] != KEYS_PATH:
            raise ManifestError("the witness and keys files have fixed names in format 1")
        for name in ("entry_count", "tree_size"):
            if not _is_int(witness[name]) or witness[name] < 0:
                raise ManifestError(f"witness.{name} is a non-negative integer")
        if not is_hex(witness["root_hash"]):
            raise ManifestError("witness.root_hash is 64 lower-case hex digits")
        if not isinstance(witness["object_refs"], list):
            raise ManifestError("witness.object_refs is a list")
        retention = raw["retention"]
        if not isinstance(retention, dict) or not _is_int(retention.get("years")) or "until" not in retention:
            raise ManifestError("retention has at least years (an integer) and until")
        if not isinstance(raw["files"], list) or not isinstance(raw["items"], list):
            raise ManifestError("files and items are lists")
        files = tuple(
            FileFacts.parse(_exact(f, _FILE_KEYS, f"files[{n}]"), f"files[{n}]") for n, f in enumerate(raw["files"])
        )
        items = tuple(ItemFacts.parse(item, n) for n, item in enumerate(raw["items"]))
        return cls(
            project_ref=_text(project["ref"], "project.ref", max_length=120),
            category=_text(project["category"], "project.category", max_length=40, empty=True),
            title=_text(project["title"], "project.title", max_length=200, empty=True),
            created_at=_text(raw["created_at"], "created_at", max_length=40),
            created_by=_text(raw["created_by"], "created_by", max_length=120),
            retention=retention,
            tree_size=witness["tree_size"],
            root_hash=witness["root_hash"],
            entry_count=witness["entry_count"],
            object_refs=tuple(_ref_pair(ref, "witness.object_refs") for ref in witness["object_refs"]),
            files=files,
            items=items,
        )


# the signature ---------------------------------------------------------------------------------------------


def signing_bytes(manifest_bytes: bytes) -> bytes:
    """What the platform key signs: the context label, a zero byte, the exact bytes of ``manifest.json``."""
    return SIGNING_CONTEXT + manifest_bytes


_SIGNATURE_KEYS = {"type", "v", "key_id", "algorithm", "manifest_sha256", "signature"}


@dataclass(frozen=True)
class ManifestSignature:
    key_id: str
    algorithm: str
    manifest_sha256: str
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "type": SIGNATURE_TYPE,
            "v": SIGNATURE_VERSION,
            "key_id": self.key_id,
            "algorithm": self.algorithm,
            "manifest_sha256": self.manifest_sha256,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    def to_bytes(self) -> bytes:
        return dumps(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes) -> ManifestSignature:
        try:
            raw = loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ManifestError(f"the signature document is not JSON: {exc}") from None
        raw = _exact(raw, _SIGNATURE_KEYS, "the signature document")
        if raw["type"] != SIGNATURE_TYPE or raw["v"] != SIGNATURE_VERSION or not _is_int(raw["v"]):
            raise ManifestError("not a format-1 manifest signature")
        if not is_hex(raw["manifest_sha256"]):
            raise ManifestError("manifest_sha256 is 64 lower-case hex digits")
        text = raw["signature"]
        try:
            signature = base64.b64decode(str(text).encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise ManifestError("the signature is not base64") from None
        if not signature or base64.b64encode(signature).decode("ascii") != text:
            raise ManifestError("the signature is not canonical base64")
        return cls(
            key_id=_text(raw["key_id"], "key_id", max_length=100),
            algorithm=_text(raw["algorithm"], "algorithm", max_length=40),
            manifest_sha256=raw["manifest_sha256"],
            signature=signature,
        )
