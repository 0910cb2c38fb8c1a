"""Signed tree heads (签名树头) and proofs from the database.

``sign_head()`` reads the head row (size and right edge together), computes the root, signs
:meth:`~.merkle.TreeHead.signing_bytes` with the platform key and keeps the head in ``SignedTreeHead``. It
takes no lock and holds no transaction while signing: the tree it signs is immutable. The clock signs a head
every ``YIWANG_WITNESS_HEAD_EVERY_SECONDS`` (default 300) when the log has grown (:func:`sign_head_if_grown`);
``yiwang witness sign-head`` and ``yiwang witness export`` sign one on demand.

Signing a head is not an action and writes no witness entry (a head is a statement *about* the log; witnessing
it would grow the log it describes). Every head ever signed is kept.

Proofs (:func:`prove_entry`, :func:`prove_consistency`) are built against heads already signed, from at most
~2·log2(n) stored nodes, and have exactly the JSON form of :mod:`.archive`'s proofs.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound
from yiwang.platform.audit.archive import ConsistencyProof, EntryProof
from yiwang.platform.audit.merkle import TreeHead, decode_hex_hash, hasher_named
from yiwang.platform.audit.models import SignedTreeHead, WitnessEntry, WitnessHead
from yiwang.platform.audit.tree import tree_at_head, tree_not_built
from yiwang.platform.clock import now
from yiwang.platform.keys import platform_signer

DEFAULT_HEAD_EVERY_SECONDS = 300
log = logging.getLogger("yiwang.witness")


@dataclass(frozen=True)
class SignedHead:
    """A stored signed tree head and its number in the heads table (``GET /witness/heads?after=``)."""

    id: int
    head: TreeHead

    def to_json(self) -> dict:
        return {"id": self.id, **self.head.to_json()}


def head_from_row(row: SignedTreeHead) -> TreeHead:
    """The pure head of a stored row; ``ValueError`` if the row is malformed (damaged storage)."""
    try:
        size = hasher_named(row.hash_alg).size
        signature = base64.b64decode(row.signature.encode("ascii"), validate=True)
        return TreeHead(
            tree_size=row.tree_size,
            root_hash=decode_hex_hash(row.root_hash, size),
            timestamp=row.timestamp,
            key_id=row.key_id,
            signature=signature,
            hash_alg=row.hash_alg,
        )
    except (InvalidInput, binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"malformed signed head #{row.pk}: {exc}") from None


def _stored(row: SignedTreeHead) -> SignedHead:
    return SignedHead(row.pk, head_from_row(row))


def _witness_head() -> WitnessHead:
    return WitnessHead.objects.filter(pk=1).first() or WitnessHead(id=1)


def sign_head(size: int | None = None, *, timestamp: datetime | None = None) -> SignedHead:
    """Sign and keep the head of the tree at ``size`` (default: the whole tree now)."""
    row = _witness_head()
    tree = tree_at_head(row)
    if size is None:
        if tree.size < row.seq:
            raise tree_not_built(tree.size, row.seq)
        size = tree.size
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or size > row.seq:
        raise InvalidInput(
            "audit.tree_size_out_of_range",
            f"树大小应在 0 到 {row.seq} 之间",
            f"the tree size must be between 0 and {row.seq}",
            {"size": size if isinstance(size, int) else None, "log_size": row.seq},
        )
    if size > tree.size:
        raise tree_not_built(tree.size, row.seq)
    signer = platform_signer()
    head = TreeHead(
        tree_size=size,
        root_hash=tree.root(size),
        timestamp=timestamp or now(),
        key_id=signer.public_key.key_id,
        hash_alg=tree.hasher.name,
    ).signed(signer.sign)
    stored = SignedTreeHead.objects.create(
        tree_size=head.tree_size,
        root_hash=head.root_hash.hex(),
        timestamp=head.timestamp,
        key_id=head.key_id,
        signature=base64.b64encode(head.signature).decode("ascii"),
        hash_alg=head.hash_alg,
    )
    return SignedHead(stored.pk, head)


def latest_head() -> SignedHead | None:
    """The most recently signed head of the largest tree."""
    row = SignedTreeHead.objects.order_by("-tree_size", "-id").first()
    return _stored(row) if row is not None else None


def heads_after(after: int = 0, limit: int = 100) -> list[SignedHead]:
    """Signed heads with ``id > after``, in the order they were signed."""
    rows = SignedTreeHead.objects.filter(id__gt=after).order_by("id")[: max(1, limit)]
    return [_stored(row) for row in rows]


def head_of_size(size: int) -> SignedHead | None:
    """The most recent head signed for exactly ``size`` entries."""
    row = SignedTreeHead.objects.filter(tree_size=size).order_by("-id").first()
    return _stored(row) if row is not None else None


def head_every_seconds() -> int:
    return int(getattr(settings, "YIWANG_WITNESS_HEAD_EVERY_SECONDS", DEFAULT_HEAD_EVERY_SECONDS))


def sign_head_if_grown(moment: datetime) -> int:
    """Due job (``witness.sign_tree_head``): sign a head when the tree grew since the last one. Returns 0 or 1."""
    row = _witness_head()
    size = row.tree_size
    if size < row.seq:
        log.warning("witness tree not built (%s of %s entries): run `yiwang witness backfill-tree`", size, row.seq)
        return 0
    latest = SignedTreeHead.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()
    if size == 0 or (latest is not None and latest >= size):
        return 0
    sign_head(size, timestamp=moment)
    return 1


# proofs ----------------------------------------------------------------------------------------------------


def missing_head(size: int | None) -> NotFound:
    if size is None:
        return NotFound("audit.no_tree_head", "尚无签名树头", "no tree head has been signed yet")
    return NotFound(
        "audit.tree_head_not_found",
        f"没有大小为 {size} 的签名树头",
        f"no signed tree head of size {size}",
        {"size": size},
    )


def _signed_head(size: int | None) -> SignedHead:
    found = latest_head() if size is None else head_of_size(size)
    if found is None:
        raise missing_head(size)
    return found


def entry_not_found(seq: int) -> NotFound:
    return NotFound("audit.entry_not_found", f"没有第 {seq} 条见证条目", f"no witness entry #{seq}", {"seq": seq})


def prove_entry(seq: int, size: int | None = None) -> EntryProof:
    """Entry ``seq`` with its audit path to the signed head of ``size`` (default: the latest signed head)."""
    entry = WitnessEntry.objects.filter(seq=seq).first() if seq >= 1 else None
    if entry is None:
        raise entry_not_found(seq)
    signed = _signed_head(size)
    head = signed.head
    if seq > head.tree_size:
        raise Conflict(
            "audit.entry_not_yet_covered",
            "该条目尚未被签名树头覆盖，请稍后再试",
            "no signed tree head covers this entry yet; try again after the next head",
            {"seq": seq, "tree_size": head.tree_size},
        )
    tree = tree_at_head(_witness_head())
    return EntryProof(entry.stored(), seq - 1, tuple(tree.inclusion_proof(seq - 1, head.tree_size)), head)


def prove_consistency(old_size: int, new_size: int | None = None) -> ConsistencyProof:
    """Proof that the signed head of ``new_size`` (default: latest) extends the signed head of ``old_size``."""
    new = _signed_head(new_size).head
    old = _signed_head(old_size).head
    if old.tree_size > new.tree_size:
        raise InvalidInput(
            "audit.consistency_sizes",
            "旧树头的大小不能超过新树头",
            "the old tree head cannot be larger than the new one",
            {"from": old.tree_size, "to": new.tree_size},
        )
    tree = tree_at_head(_witness_head())
    return ConsistencyProof(old, new, tuple(tree.consistency_proof(old.tree_size, new.tree_size)))
