"""Reconciliation digests (pure Python; defined in docs/exchange.md §5).

For one platform, one dataset and one day ``D`` (``yyyyMMdd``), the entries are the records whose *current*
version has a ``DATA_TIMESTAMP`` starting with ``D``: ``[record_key, DATA_TIMESTAMP, digest]`` where
``digest`` is the SHA-256 of the canonical JSON of the record's content (null for a deleted record). Sorted
by record key, the list's canonical JSON hashed with SHA-256 is the day's digest. A sub-platform computes the
same from the newest version it pushed of each record, so equal digests prove both sides hold the same data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from yiwang.kernel.canonical import canonical_json, sha256_hex


@dataclass(frozen=True)
class DayEntry:
    key: str
    data_timestamp: str
    digest: str | None  # None: deleted


@dataclass(frozen=True)
class DaySummary:
    count: int  # entries (live and deleted)
    live: int
    deleted: int
    digest: str


def day_summary(entries: Iterable[DayEntry]) -> DaySummary:
    rows = sorted(([e.key, e.data_timestamp, e.digest] for e in entries), key=lambda r: r[0])
    deleted = sum(1 for r in rows if r[2] is None)
    return DaySummary(
        count=len(rows), live=len(rows) - deleted, deleted=deleted, digest=sha256_hex(canonical_json(rows))
    )
