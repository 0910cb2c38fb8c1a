"""Writing a package: a deterministic ZIP that streams every file and checks its declared digests on the way.

The output depends only on its inputs: members are written in a fixed order (``manifest.json``,
``manifest.sig``, then every other file by path), every timestamp is 1980-01-01 00:00, permissions are 0644,
JSON and JSON Lines files are deflated and the archived items are stored as they are (most are compressed
formats already, and their bytes stay readable at a known offset for as long as the package is kept).

Nothing is held in memory but one chunk: each member is copied from the stream its source opens, while its
size, SHA-256 and SM3 are computed; a member that does not match what the manifest says stops the writing
(:class:`DigestMismatch`) and the caller discards the output. The output must be seekable (a file).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from yiwang.kernel.crypto import new_hasher
from yiwang.services.archive.package.format import (
    MANIFEST_PATH,
    SIGNATURE_PATH,
    ZIP_DATE_TIME,
    FileFacts,
    Manifest,
)

CHUNK = 1 << 20
UNIX = 3
FILE_MODE = 0o100644


class DigestMismatch(ValueError):
    """A member's bytes are not what the manifest says (the source changed or its storage is damaged)."""

    def __init__(self, path: str, expected: FileFacts, size: int, sha256: str, sm3: str):
        super().__init__(f"{path}: expected {expected.size} bytes sha256 {expected.sha256[:16]}…, got {size} bytes")
        self.path = path
        self.expected = expected
        self.found = {"size": size, "sha256": sha256, "sm3": sm3}


@dataclass(frozen=True)
class Member:
    """One file to write: its facts (as listed in the manifest) and how to open its content."""

    facts: FileFacts
    open: Callable[[], BinaryIO]
    compress: bool = False

    @classmethod
    def of_bytes(cls, facts: FileFacts, data: bytes, *, compress: bool = True) -> Member:
        return cls(facts, lambda: io.BytesIO(data), compress)


@dataclass(frozen=True)
class Digests:
    size: int
    sha256: str
    sm3: str


def digests_of_stream(stream: BinaryIO) -> Digests:
    """Size, SHA-256 and SM3 of what is left in ``stream`` (one pass, one chunk in memory)."""
    sha, sm3 = hashlib.sha256(), new_hasher("sm3")
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        sha.update(chunk)
        sm3.update(chunk)
    return Digests(size, sha.hexdigest(), sm3.hexdigest())


def digests_of(data: bytes) -> Digests:
    return digests_of_stream(io.BytesIO(data))


def facts_of(path: str, media_type: str, data: bytes) -> FileFacts:
    d = digests_of(data)
    return FileFacts(path=path, media_type=media_type, size=d.size, sha256=d.sha256, sm3=d.sm3)


def _info(path: str, size: int, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=ZIP_DATE_TIME)
    info.create_system = UNIX
    info.external_attr = FILE_MODE << 16
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.file_size = size  # lets zipfile choose ZIP64 up front for members over 2 GiB
    return info


def _write_bytes(zf: zipfile.ZipFile, path: str, data: bytes) -> None:
    with zf.open(_info(path, len(data), True), "w") as dst:
        dst.write(data)


def _copy(zf: zipfile.ZipFile, member: Member) -> None:
    facts = member.facts
    sha, sm3 = hashlib.sha256(), new_hasher("sm3")
    size = 0
    with member.open() as src, zf.open(_info(facts.path, facts.size, member.compress), "w") as dst:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            if size > facts.size:
                break  # longer than declared: no need to read the rest
            sha.update(chunk)
            sm3.update(chunk)
            dst.write(chunk)
    found = (size, sha.hexdigest(), sm3.hexdigest())
    if found != (facts.size, facts.sha256, facts.sm3):
        raise DigestMismatch(facts.path, facts, *found)


def write_package(out: BinaryIO, manifest_bytes: bytes, signature_bytes: bytes, members: Sequence[Member]) -> None:
    """Write the ZIP to ``out`` (seekable). ``members`` must be exactly the files the manifest lists."""
    manifest = Manifest.from_bytes(manifest_bytes)
    listed = {f.path: f for f in manifest.all_files()}
    given = {m.facts.path: m.facts for m in members}
    if len(given) != len(members) or given != listed:
        missing = sorted(set(listed) - set(given))[:3]
        extra = sorted(set(given) - set(listed))[:3]
        raise ValueError(f"the members are not the files of the manifest (missing {missing}, extra {extra})")
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
        _write_bytes(zf, MANIFEST_PATH, manifest_bytes)
        _write_bytes(zf, SIGNATURE_PATH, signature_bytes)
        for member in sorted(members, key=lambda m: m.facts.path):
            _copy(zf, member)
