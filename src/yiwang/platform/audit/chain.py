"""Appending to and verifying the witness log in the database.

Appending is called only from :mod:`yiwang.platform.actions`, inside the action's transaction. It locks the
head row, so entries are numbered in the order their transactions commit and the chain has no forks:
on PostgreSQL through ``SELECT … FOR UPDATE``; on SQLite because every write transaction starts with
``BEGIN IMMEDIATE`` and holds the database write lock (docs/adr/0002).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Max

from yiwang.platform.audit.format import (
    FORMAT_VERSION,
    ChainReport,
    EntryFields,
    StoredEntry,
    entry_hash,
    payload_digest,
    payload_text,
    verify_entries,
)
from yiwang.platform.audit.models import WitnessEntry, WitnessHead
from yiwang.platform.db import locked_singleton


@dataclass(frozen=True)
class PendingEntry:
    occurred_at: datetime
    actor_ref: str
    actor_label: str
    action: str
    object_type: str
    object_id: str
    payload: dict


def append(pending: Sequence[PendingEntry]) -> list[WitnessEntry]:
    """Append entries to the chain. Must run inside the transaction of the action they witness."""
    if not pending:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("witness entries are written inside the action's transaction")
    head = locked_singleton(WitnessHead)
    rows: list[WitnessEntry] = []
    seq, prev = head.seq, head.entry_hash
    for p in pending:
        seq += 1
        text = payload_text(p.payload)
        fields = EntryFields(
            seq=seq,
            prev_hash=prev,
            occurred_at=p.occurred_at,
            actor_ref=p.actor_ref,
            actor_label=p.actor_label,
            action=p.action,
            object_type=p.object_type,
            object_id=p.object_id,
            payload_digest=payload_digest(text),
            format=FORMAT_VERSION,
        )
        digest = entry_hash(fields)
        rows.append(
            WitnessEntry(
                seq=seq,
                occurred_at=p.occurred_at,
                actor_ref=p.actor_ref,
                actor_label=p.actor_label,
                action=p.action,
                object_type=p.object_type,
                object_id=p.object_id,
                payload_text=text,
                payload_digest=fields.payload_digest,
                prev_hash=prev,
                entry_hash=digest,
                format=FORMAT_VERSION,
            )
        )
        prev = digest
    WitnessEntry.objects.bulk_create(rows)
    WitnessHead.objects.filter(pk=1).update(seq=seq, entry_hash=prev)
    return rows


def head() -> tuple[int, str]:
    """The chain head: the last entry's number and hash (``(0, 64 zeros)`` for an empty log)."""
    row = _head()
    return row.seq, row.entry_hash


def entries(after: int = 0, limit: int = 1000) -> list[StoredEntry]:
    """Entries with ``seq > after`` in order (at most ``limit``), as stored (for auditors' tools and tests)."""
    rows = WitnessEntry.objects.filter(seq__gt=after).order_by("seq")[: max(1, limit)]
    return [row.stored() for row in rows]


def _stored_entries(batch: int, upto: int) -> Iterator[StoredEntry]:
    last = 0
    while True:
        rows = list(WitnessEntry.objects.filter(seq__gt=last, seq__lte=upto).order_by("seq")[:batch])
        if not rows:
            return
        for row in rows:
            yield row.stored()
        last = rows[-1].seq


def _head() -> WitnessHead:
    return WitnessHead.objects.filter(pk=1).first() or WitnessHead(id=1)


def verify(batch: int = 2000) -> ChainReport:
    """Recompute the chain from the first entry up to the stored head and compare with the head.

    The head is read first: every entry up to it is committed (they are written in one transaction), and
    entries appended while we read are simply not part of this check. No lock is held, so verifying a long
    log never stops the platform from working.

    Besides each entry's own checks (:func:`~yiwang.platform.audit.format.verify_entries`), the walk must end
    exactly at the head (``sequence_gap`` if entries at the end are missing, ``head_mismatch`` if the head's
    hash differs), and no entry may lie beyond the head (``entry_beyond_head``: the head was moved back).
    """
    head = _head()
    report = verify_entries(_stored_entries(batch, upto=head.seq))
    if not report.ok:
        return report
    if report.last_seq < head.seq:
        return ChainReport(
            False, report.checked, report.last_seq, report.last_hash, report.last_seq + 1, "sequence_gap"
        )
    if report.last_hash != head.entry_hash:
        return ChainReport(False, report.checked, report.last_seq, report.last_hash, head.seq, "head_mismatch")
    # Entries past the head: either appended (with the head) since we read it, or left behind by a head that
    # was moved back. The head moves in the same transaction as its entries, so read the newest entry first
    # and the head after it: a genuine entry is then always covered by the head.
    newest = WitnessEntry.objects.aggregate(top=Max("seq"))["top"] or 0
    if newest > head.seq:
        current = _head().seq
        if newest > current:
            return ChainReport(
                False, report.checked, report.last_seq, report.last_hash, current + 1, "entry_beyond_head"
            )
    return report
