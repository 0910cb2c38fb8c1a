"""What a file really is, judged from its bytes (magic numbers), never from its name or the client's word.

:func:`sniff` reads the first bytes of a seekable binary file and, for ZIP containers, the names in the
central directory (without decompressing anything) to tell OFD and Office Open XML from a plain ZIP. It
never raises on malformed input: whatever it cannot recognise is ``application/octet-stream``.

:func:`extension_contradicts` says whether a declared file name's extension contradicts the sniffed type
(``合同.pdf`` that is really a PNG). Unknown extensions contradict nothing; the per-kind list of allowed types
still applies to them.

Pure Python: no Django here.
"""

from __future__ import annotations

import io
import struct
import zipfile
from typing import BinaryIO

from yiwang.kernel.crypto.envelope import MAGIC as SEALED_ENVELOPE_MAGIC

PDF = "application/pdf"
OFD = "application/ofd"  # GB/T 33190 版式文档: a ZIP whose root holds OFD.xml
ZIP = "application/zip"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain"
SEALED_ENVELOPE = "application/vnd.yiwang.sealed-envelope"  # 投标文件数字信封 (opaque ciphertext)
OCTET_STREAM = "application/octet-stream"  # anything not recognised (opaque blobs)

KNOWN_TYPES: tuple[str, ...] = (PDF, OFD, ZIP, PNG, JPEG, DOCX, XLSX, TEXT, SEALED_ENVELOPE, OCTET_STREAM)

TYPE_LABELS_ZH: dict[str, str] = {
    PDF: "PDF 文档",
    OFD: "OFD 版式文档",
    ZIP: "ZIP 压缩包",
    PNG: "PNG 图片",
    JPEG: "JPEG 图片",
    DOCX: "Word 文档（docx）",
    XLSX: "Excel 表格（xlsx）",
    TEXT: "纯文本",
    SEALED_ENVELOPE: "投标文件数字信封",
    OCTET_STREAM: "二进制数据",
}

HEAD_SIZE = 8192  # bytes read from the start of the file
PDF_SEARCH = 1024  # readers accept "%PDF-" anywhere in the first KiB (some scanners prepend bytes)
MAX_CENTRAL_DIRECTORY = 16 << 20  # larger ZIP directories are not listed (memory bound): plain ZIP
_EOCD = b"PK\x05\x06"
_EOCD_MIN = 22
_EOCD_SEARCH = _EOCD_MIN + 0xFFFF  # the end record sits within the last 64 KiB + 22 bytes

_ZIP_LOCAL = b"PK\x03\x04"
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"

# Declared extension → the types it may contain. A ZIP may hold any ZIP-based format.
EXTENSION_TYPES: dict[str, frozenset[str]] = {
    "pdf": frozenset({PDF}),
    "ofd": frozenset({OFD}),
    "zip": frozenset({ZIP, OFD, DOCX, XLSX}),
    "docx": frozenset({DOCX}),
    "xlsx": frozenset({XLSX}),
    "png": frozenset({PNG}),
    "jpg": frozenset({JPEG}),
    "jpeg": frozenset({JPEG}),
    "jpe": frozenset({JPEG}),
    "txt": frozenset({TEXT}),
    "csv": frozenset({TEXT}),
    "ywenv": frozenset({SEALED_ENVELOPE}),
}

# The extension a download gets when the stored name has none (never used to decide the type).
PREFERRED_EXTENSION: dict[str, str] = {
    PDF: "pdf",
    OFD: "ofd",
    ZIP: "zip",
    PNG: "png",
    JPEG: "jpg",
    DOCX: "docx",
    XLSX: "xlsx",
    TEXT: "txt",
    SEALED_ENVELOPE: "ywenv",
    OCTET_STREAM: "bin",
}


def sniff(f: BinaryIO, *, sealed_magic: bytes | None = SEALED_ENVELOPE_MAGIC) -> str:
    """The MIME type of the whole content of ``f``, a seekable binary file (read from offset 0; the
    position is restored afterwards).

    ``sealed_magic`` is the binary header of the platform's sealed-bid envelope (by default the one the crypto
    kernel defines, ``yiwang.kernel.crypto.envelope.MAGIC``); a file that starts with it is
    :data:`SEALED_ENVELOPE`."""
    position = f.tell()
    try:
        f.seek(0)
        return _sniff(f, f.read(HEAD_SIZE), sealed_magic)
    finally:
        f.seek(position)


def sniff_bytes(data: bytes, *, sealed_magic: bytes | None = SEALED_ENVELOPE_MAGIC) -> str:
    return sniff(io.BytesIO(data), sealed_magic=sealed_magic)


def _sniff(f: BinaryIO, head: bytes, sealed_magic: bytes | None) -> str:
    if not head:
        return OCTET_STREAM
    if sealed_magic and head.startswith(sealed_magic):
        return SEALED_ENVELOPE
    if b"%PDF-" in head[:PDF_SEARCH]:
        return PDF
    if head.startswith(_PNG):
        return PNG
    if head.startswith(_JPEG):
        return JPEG
    if head.startswith(_ZIP_LOCAL) or head.startswith(_EOCD):
        return _zip_type(f)
    if _looks_like_text(head):
        return TEXT
    return OCTET_STREAM


def _zip_type(f: BinaryIO) -> str:
    names = _zip_names(f)
    if names is None:
        return OCTET_STREAM  # ZIP magic, but no readable directory: not a usable archive
    if "OFD.xml" in names or "ofd.xml" in {n.lower() for n in names if "/" not in n}:
        return OFD
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
    return ZIP


def _zip_names(f: BinaryIO) -> set[str] | None:
    """The member names of a ZIP file, or ``None`` when it is not a readable archive."""
    try:
        f.seek(0, io.SEEK_END)
        end = f.tell()
        tail_from = max(0, end - _EOCD_SEARCH)
        f.seek(tail_from)
        tail = f.read(end - tail_from)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < _EOCD_MIN:
            return None
        (directory_size,) = struct.unpack("<I", tail[at + 12 : at + 16])
        if directory_size > MAX_CENTRAL_DIRECTORY:  # ZIP64 (0xFFFFFFFF) or huge: do not list it
            return set()
        f.seek(0)
        with zipfile.ZipFile(f) as archive:
            return set(archive.namelist())
    except Exception:  # a malformed archive must never break an upload check
        return None


_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1b")


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 (with or without BOM) or GB 18030 text without control characters other than layout ones."""
    if any(b < 0x20 and b not in _TEXT_CONTROLS for b in head) or b"\x7f" in head:
        return False
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    for encoding in ("utf-8", "gb18030"):
        try:
            text = _decode_prefix(body, encoding, truncated=len(head) == HEAD_SIZE)
        except UnicodeDecodeError:
            continue
        # C1 controls and unassigned code points show up when binary decodes by accident
        return not any(0x80 <= ord(c) < 0xA0 or c == "\ufffd" for c in text)
    return False


def _decode_prefix(data: bytes, encoding: str, *, truncated: bool) -> str:
    """Decode ``data``; when it was cut off at :data:`HEAD_SIZE`, allow an incomplete last character."""
    if not truncated:
        return data.decode(encoding)
    for cut in range(4):
        try:
            return data[: len(data) - cut].decode(encoding)
        except UnicodeDecodeError:
            if cut == 3:
                raise
    raise AssertionError("unreachable")


def extension_of(filename: str) -> str:
    """The lower-case extension of ``filename`` without the dot (``""`` when there is none)."""
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def extension_contradicts(filename: str, mime: str) -> bool:
    """Does the extension of ``filename`` name a known format other than ``mime``?"""
    expected = EXTENSION_TYPES.get(extension_of(filename))
    return expected is not None and mime not in expected
