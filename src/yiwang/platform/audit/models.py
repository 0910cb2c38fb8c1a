"""The witness log (见证日志): one append-only, hash-chained table for every action of every actor."""

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
    # Reserved for the trust layer: the platform's signature over entry_hash, and the key that made it.
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
        )


class WitnessHead(models.Model):
    """The chain head: one row (pk 1), locked by every appender, so entries are numbered in commit order."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"witness head #{self.seq}"
