"""Appending to and verifying the witness log in the database.

Appending is called only from :mod:`yiwang.platform.actions`, inside the action's transaction. It locks the
head row, so entries are numbered in the order their transactions commit and the chain has no forks:
on PostgreSQL through ``SELECT … FOR UPDATE``; on SQLite because every write transaction starts with
``BEGIN IMMEDIATE`` and holds the database write lock (docs/adr/0002).

Under that lock an append also signs each entry with the platform key (``signature``/``key_id``, over
:func:`~yiwang.platform.audit.format.entry_signing_bytes`; ``YIWANG_WITNESS_SIGN_ENTRIES``), writes the Merkle
tree nodes its entries complete, and moves the tree's right edge on the head row (docs/adr/0007). The key is
the one current when the head is locked, so every entry after a key rotation's own entry is signed by the new
key and every entry before it by an older one.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Max

from yiwang.kernel.actors import Actor
from yiwang.platform.audit.format import (
    FORMAT_VERSION,
    ChainReport,
    EntryFields,
    StoredEntry,
    entry_hash,
    entry_signing_bytes,
    payload_digest,
    payload_text,
    verify_entries,
)
from yiwang.platform.audit.models import WitnessEntry, WitnessHead
from yiwang.platform.audit.tree import extend_in_append
from yiwang.platform.db import locked_singleton
from yiwang.platform.keys.document import KeyRecord

PLATFORM_KEY_OBJECT = "platform_keys.platformkey"


def sign_entries() -> bool:
    """Whether appends sign each entry (``YIWANG_WITNESS_SIGN_ENTRIES``, default on; docs/adr/0007)."""
    return bool(getattr(settings, "YIWANG_WITNESS_SIGN_ENTRIES", True))


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
    """Append entries to the chain (and return their rows). Must run inside the transaction of the action they
    witness."""
    from yiwang.platform.keys.service import signer_for_append  # here: keys.service loads models

    if not pending:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("witness entries are written inside the action's transaction")
    head = locked_singleton(WitnessHead)
    signer, registered = signer_for_append() if sign_entries() else (None, None)
    key_id = signer.public_key.key_id if signer is not None else ""
    todo = list(pending)
    if registered is not None:  # the platform key's first use: witness its registration first
        todo.insert(0, _registration_entry(registered, pending[0].occurred_at))
    rows: list[WitnessEntry] = []
    seq, prev = head.seq, head.entry_hash
    for p in todo:
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
        signature = ""
        if signer is not None:
            signature = base64.b64encode(signer.sign(entry_signing_bytes(digest))).decode("ascii")
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
                signature=signature,
                key_id=key_id,
            )
        )
        prev = digest
    WitnessEntry.objects.bulk_create(rows)
    tree_size, frontier = extend_in_append(head, [row.entry_hash for row in rows])
    WitnessHead.objects.filter(pk=1).update(seq=seq, entry_hash=prev, tree_size=tree_size, frontier=frontier)
    return rows[1:] if registered is not None else rows


def _registration_entry(record: KeyRecord, occurred_at: datetime) -> PendingEntry:
    from yiwang.platform.keys.service import registration_payload

    system = Actor.system("keys")
    return PendingEntry(
        occurred_at=occurred_at,
        actor_ref=system.ref,
        actor_label=system.label,
        action="keys.register_platform_key",
        object_type=PLATFORM_KEY_OBJECT,
        object_id=record.key_id,
        payload=registration_payload(record),
    )


def head() -> tuple[int, str]:
    """The chain head: the last entry's number and hash (``(0, 64 zeros)`` for an empty log)."""
    row = _head()
    return row.seq, row.entry_hash


def entries(after: int = 0, limit: int = 1000) -> list[StoredEntry]:
    """Entries with ``seq > after`` in order (at most ``limit``), as stored (for auditors' tools and tests)."""
    rows = WitnessEntry.objects.filter(seq__gt=after).order_by("seq")[: max(1, limit)]
    return [row.stored() for row in rows]


def stored_entries(batch: int, upto: int) -> Iterator[StoredEntry]:
    """Entries 1..``upto`` in order, read ``batch`` at a time (keyset pagination: flat memory, any length)."""
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


def verify(batch: int = 2000, *, signatures: bool = True, tree: bool = True) -> ChainReport:
    """Recompute the chain from the first entry up to the stored head and compare with the head; check the
    entries' signatures, the stored Merkle tree and the signed tree heads on the same pass.

    The head is read first: every entry up to it is committed (they are written in one transaction), and
    entries appended while we read are simply not part of this check. No lock is held, so verifying a long
    log never stops the platform from working.

    Besides each entry's own checks (:func:`~yiwang.platform.audit.format.verify_entries`), the walk must end
    exactly at the head (``sequence_gap`` if entries at the end are missing, ``head_mismatch`` if the head's
    hash differs), and no entry may lie beyond the head (``entry_beyond_head``: the head was moved back).
    Chain problems are reported first; then the trust layer's (:mod:`.checks`): signatures (skipped with
    ``signatures=False`` — SM2 verification costs about a millisecond an entry), tree and signed heads
    (skipped with ``tree=False``).
    """
    from yiwang.platform.audit.checks import TrustCheck
    from yiwang.platform.keys.service import key_ring

    head = _head()
    trust = TrustCheck(
        head=head,
        ring=key_ring() if signatures else None,
        require_signatures=sign_entries(),
        check_tree=tree,
    )
    report = verify_entries(trust.watch(stored_entries(batch, upto=head.seq)))
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
    problem = trust.finish()
    if problem is not None:
        return replace(
            report,
            ok=False,
            first_bad_seq=problem.seq,
            reason=problem.reason,
            detail=problem.detail,
            checked=max(0, problem.seq - 1) if problem.seq <= report.checked else report.checked,
        )
    return replace(
        report,
        signatures_checked=trust.signatures_checked,
        tree_size=head.tree_size if tree else None,
        tree_heads_checked=trust.heads_checked,
    )
