"""Fixtures of the document-store tests: a private blob root per test, actors, and a "nothing stored" probe."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.audit import chain
from yiwang.platform.outbox import feed
from yiwang.platform.storage.blobs import get_blob_store
from yiwang.platform.storage.models import Document, DocumentVersion

MiB = 1 << 20


@pytest.fixture
def blob_root(settings, tmp_path: Path) -> Path:
    """Every test gets its own blob directory (the store follows ``YIWANG_STORAGE``)."""
    root = tmp_path / "blobs"
    settings.YIWANG_STORAGE = {
        **getattr(settings, "YIWANG_STORAGE", {}),
        "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
        "OPTIONS": {"root": root},
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
    }
    return root


@pytest.fixture
def store(blob_root):
    return get_blob_store()


def account(pk: int, label: str, *grants: RoleGrant) -> Actor:
    return Actor(ActorKind.ACCOUNT, str(pk), label, tuple(grants))


@pytest.fixture
def uploader() -> Actor:
    return account(7, "张三（投标人）", RoleGrant(Role.MARKET_ENTITY_USER, entity_id=70))


@pytest.fixture
def stranger() -> Actor:
    return account(8, "李四", RoleGrant(Role.MARKET_ENTITY_USER, entity_id=80))


@pytest.fixture
def staff() -> Actor:
    return account(9, "交易中心工作人员", RoleGrant(Role.STAFF, region="310000"))


@pytest.fixture
def auditor() -> Actor:
    return account(10, "审计人员", RoleGrant(Role.AUDITOR, region="310000"))


# -- sample files ----------------------------------------------------------------------------------------------
def pdf_bytes(text: str = "hello") -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n% " + text.encode() + b"\n%%EOF\n"


def png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64))


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ofd_bytes() -> bytes:
    return zip_bytes({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<ofd:Document/>"})


def docx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def xlsx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


# -- "nothing was stored" --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    documents: int
    versions: int
    witness_seq: int
    feed_seq: int
    blobs: tuple[str, ...]
    temporaries: tuple[str, ...]


def snapshot(root: Path | None = None) -> Snapshot:
    store = get_blob_store()
    tmp = root / "tmp" if root is not None else None
    return Snapshot(
        documents=Document.objects.count(),
        versions=DocumentVersion.objects.count(),
        witness_seq=chain.head()[0],
        feed_seq=feed.last_seq(),
        blobs=tuple(store.iter_digests()),
        temporaries=tuple(sorted(p.name for p in tmp.iterdir())) if tmp is not None and tmp.exists() else (),
    )


class FailingStream(io.RawIOBase):
    """Yields ``good`` bytes of data, then raises (a client that disconnects mid-upload)."""

    def __init__(self, good: int, chunk: int = 64 * 1024):
        self.left = good
        self.chunk = chunk

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(self.left, self.chunk if size < 0 else min(size, self.chunk))
        self.left -= n
        return b"\x5a" * n


class CountingStream(io.RawIOBase):
    """An endless stream that counts what was read from it."""

    def __init__(self, byte: bytes = b"A"):
        self.read_bytes = 0
        self.byte = byte

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = 1 << 16 if size < 0 else size
        self.read_bytes += n
        return self.byte * n
