"""The witness log (见证日志): one append-only, hash-chained table for every action of every actor, the Merkle
tree over it, and the platform's signed tree heads (docs/adr/0003, docs/adr/0007)."""

from __future__ import annotations

from django.db import models

from yiwang.platform.audit.format import GENESIS_HASH, EntryFields, StoredEntry


class WitnessEntry(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField()
    actor_ref = models.CharField(max_length=120)
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=120)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    payload_text = models.TextField()
    payload_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    format = models.PositiveSmallIntegerField(default=1)
    # The platform's signature over format.entry_signing_bytes(entry_hash) (base64), and the key that made it.
    signature = models.TextField(blank=True, default="")
    key_id = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="witness_object_idx"),
            models.Index(fields=["action"], name="witness_action_idx"),
            models.Index(fields=["actor_ref"], name="witness_actor_idx"),
        ]
        verbose_name = "见证日志条目"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def stored(self) -> StoredEntry:
        return StoredEntry(
            fields=EntryFields(
                seq=self.seq,
                prev_hash=self.prev_hash,
                occurred_at=self.occurred_at,
                actor_ref=self.actor_ref,
                actor_label=self.actor_label,
                action=self.action,
                object_type=self.object_type,
                object_id=self.object_id,
                payload_digest=self.payload_digest,
                format=self.format,
            ),
            payload_text=self.payload_text,
            entry_hash=self.entry_hash,
            signature=self.signature,
            key_id=self.key_id,
        )


class WitnessHead(models.Model):
    """The chain head: one row (pk 1), locked by every appender, so entries are numbered in commit order.

    It also carries the Merkle tree's right edge, so an append extends the tree without reading a node:
    ``tree_size`` leaves are in the tree (equal to ``seq`` once the tree is built; smaller only for a log that
    predates the tree, until ``yiwang witness backfill-tree`` has run) and ``frontier`` holds the hashes of
    the complete subtrees along the right edge, 32 bytes each, largest first (``tree_size.bit_count()`` of them).
    """

    id = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    tree_size = models.BigIntegerField(default=0)
    frontier = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"witness head #{self.seq}"


class WitnessNode(models.Model):
    """One complete subtree of the Merkle tree: leaves ``[index·2^level, (index+1)·2^level)``, level ≥ 1.

    Level 0 (the leaf hashes) is not stored: leaf ``i`` is SHA-256(0x00 ‖ entry_hash of entry ``i + 1``), read
    from the entry itself. Rows are written in the transaction that appends the entries completing them and
    never change afterwards."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField(db_column="idx")
    hash = models.BinaryField()

    class Meta:
        verbose_name = "默克尔树节点"

    def __str__(self) -> str:
        return f"node ({self.level}, {self.index})"


class SignedTreeHead(models.Model):
    """A tree head the platform signed: "the log had ``tree_size`` entries with root ``root_hash`` at
    ``timestamp``" (:class:`~yiwang.platform.audit.merkle.TreeHead`). Every head ever signed is kept."""

    id = models.BigAutoField(primary_key=True)
    tree_size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    key_id = models.CharField(max_length=100)
    signature = models.TextField()  # base64
    hash_alg = models.CharField(max_length=20, default="sha256")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tree_size"], name="witness_sth_size_idx")]
        verbose_name = "签名树头"

    def __str__(self) -> str:
        return f"tree head #{self.pk}: {self.tree_size} entries"
