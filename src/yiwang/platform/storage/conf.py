"""The document store's settings (``settings.YIWANG_STORAGE``), with defaults for everything.

::

    YIWANG_STORAGE = {
        "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
        "OPTIONS": {"root": DATA_DIR / "blobs"},
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
        "KINDS": {"tender_document": {"max_bytes": 200 << 20, "types": ["application/pdf", ...]}},
        "LINK_TTL_SECONDS": 600,             # default lifetime of a signed download link
        "LINK_MAX_TTL_SECONDS": 86400,       # the longest a caller may ask for
        "VERIFY_ON_READ_MAX_BYTES": 16 << 20,  # re-hash before sending up to this size; larger: hash while sending
        "ORPHAN_GRACE_SECONDS": 86400,       # unreferenced blobs younger than this are never swept
    }

``KINDS`` entries override the defaults below one kind at a time (a kind given in settings replaces the
default kind of that name; other defaults stay). Size limits and accepted formats are technical policy of
the platform operator, not legal numbers, which is why they live here and not in the rules catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from yiwang.platform.storage.domain import sniff

MiB = 1 << 20

DEFAULT_KINDS: dict[str, dict[str, Any]] = {
    "attachment": {
        "label": "附件",
        "max_bytes": 50 * MiB,
        "types": [sniff.PDF, sniff.OFD, sniff.ZIP, sniff.PNG, sniff.JPEG, sniff.DOCX, sniff.XLSX, sniff.TEXT],
    },
    "tender_document": {
        "label": "招标（采购）文件",
        "max_bytes": 200 * MiB,
        "types": [sniff.PDF, sniff.OFD, sniff.ZIP, sniff.DOCX, sniff.XLSX],
    },
    "sealed_bid": {
        "label": "投标文件（数字信封密文）",
        "max_bytes": 800 * MiB,
        "types": [sniff.SEALED_ENVELOPE, sniff.OCTET_STREAM],
    },
    "notice": {"label": "公告文件", "max_bytes": 50 * MiB, "types": [sniff.PDF, sniff.OFD]},
    "qualification_scan": {
        "label": "资质证明扫描件",
        "max_bytes": 20 * MiB,
        "types": [sniff.PDF, sniff.OFD, sniff.PNG, sniff.JPEG],
    },
    "archive": {"label": "归档文件", "max_bytes": 2048 * MiB, "types": [sniff.PDF, sniff.OFD, sniff.ZIP]},
}


@dataclass(frozen=True)
class KindPolicy:
    name: str
    label: str
    max_bytes: int
    types: tuple[str, ...]


@dataclass(frozen=True)
class StorageSettings:
    backend: str
    options: dict[str, Any]
    virus_scanner: str
    kinds: dict[str, KindPolicy]
    link_ttl_seconds: int
    link_max_ttl_seconds: int
    verify_on_read_max_bytes: int
    orphan_grace_seconds: int
    sealed_envelope_magic: bytes  # the sealed-bid envelope's header (the crypto kernel's, unless overridden)

    def kind(self, name: str) -> KindPolicy | None:
        return self.kinds.get(name)

    @property
    def largest_limit(self) -> int:
        return max(k.max_bytes for k in self.kinds.values())


def _kind(name: str, raw: dict[str, Any]) -> KindPolicy:
    try:
        max_bytes = int(raw["max_bytes"])
        types = tuple(raw["types"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"YIWANG_STORAGE['KINDS'][{name!r}] needs max_bytes and types") from exc
    unknown = [t for t in types if t not in sniff.KNOWN_TYPES]
    if max_bytes < 1 or not types or unknown:
        raise ImproperlyConfigured(
            f"YIWANG_STORAGE['KINDS'][{name!r}]: max_bytes must be positive and types known ({unknown})"
        )
    return KindPolicy(name=name, label=str(raw.get("label", name)), max_bytes=max_bytes, types=types)


def storage_settings() -> StorageSettings:
    raw: dict[str, Any] = dict(getattr(settings, "YIWANG_STORAGE", None) or {})
    kinds = {**DEFAULT_KINDS, **dict(raw.get("KINDS") or {})}
    options = dict(raw.get("OPTIONS") or {})
    if "BACKEND" not in raw:
        options.setdefault("root", Path(settings.DATA_DIR) / "blobs")
    magic = raw.get("SEALED_ENVELOPE_MAGIC")
    return StorageSettings(
        backend=raw.get("BACKEND", "yiwang.platform.storage.blobs.LocalFilesystemBlobStore"),
        options=options,
        virus_scanner=raw.get("VIRUS_SCANNER", "yiwang.platform.storage.scanning.NoVirusScanner"),
        kinds={name: _kind(name, spec) for name, spec in kinds.items()},
        link_ttl_seconds=int(raw.get("LINK_TTL_SECONDS", 600)),
        link_max_ttl_seconds=int(raw.get("LINK_MAX_TTL_SECONDS", 86400)),
        verify_on_read_max_bytes=int(raw.get("VERIFY_ON_READ_MAX_BYTES", 16 * MiB)),
        orphan_grace_seconds=int(raw.get("ORPHAN_GRACE_SECONDS", 86400)),
        sealed_envelope_magic=bytes(magic) if magic else sniff.SEALED_ENVELOPE_MAGIC,
    )
