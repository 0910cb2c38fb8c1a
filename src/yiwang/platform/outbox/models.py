"""The outbox: a commit-ordered feed of events, numbered 1, 2, 3 … with no gaps (docs/adr/0003)."""

from __future__ import annotations

from django.db import models


class Visibility(models.TextChoices):
    PUBLIC = "public", "公开"
    RESTRICTED = "restricted", "受限"  # data shown to regulators, auditors and sub-platform clients only


class OutboxEvent(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    event_type = models.CharField(max_length=120)
    occurred_at = models.DateTimeField()
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    actor_ref = models.CharField(max_length=120)
    data = models.JSONField(default=dict)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    witness_seq = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["event_type", "seq"], name="outbox_type_seq_idx"),
            models.Index(fields=["object_type", "object_id"], name="outbox_object_idx"),
        ]
        verbose_name = "变更事件"

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type}"


class OutboxHead(models.Model):
    """One row (pk 1) holding the last sequence number; locked by every appender."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"outbox head #{self.seq}"
