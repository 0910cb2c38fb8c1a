"""The durable command log: one row per stream (its head, locked by every appender) and one per command.

Tables are private to ``platform.commands``; other code uses :mod:`yiwang.platform.commands.log` and
:mod:`yiwang.platform.commands.engine`.
"""

from __future__ import annotations

from django.db import models


class CommandStream(models.Model):
    """The head of one stream (``auction.lot:42``): the last sequence number and time handed out.

    Appenders lock this row (``SELECT … FOR UPDATE``) for the rest of their transaction: that lock is the
    stream's single-writer lock, and numbers are handed out in commit order, without gaps."""

    name = models.CharField(primary_key=True, max_length=150)
    seq = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True)
    snapshot_seq = models.BigIntegerField(default=0)  # the newest snapshot's seq (0: none)
    # random, set when the stream is created: an in-process state cache keyed by (epoch, seq) can never
    # mistake a stream that was deleted and made again (a test database flushed …) for the one it cached
    epoch = models.CharField(max_length=32)

    class Meta:
        db_table = "commands_stream"
        verbose_name = "指令流"

    def __str__(self) -> str:
        return f"{self.name} #{self.seq}"


class Command(models.Model):
    """An accepted command. ``seq`` is 1, 2, 3 … per stream; ``accepted_at`` is the server time it counts at."""

    id = models.BigAutoField(primary_key=True)
    stream = models.CharField(max_length=150)
    seq = models.BigIntegerField()
    accepted_at = models.DateTimeField()
    actor_ref = models.CharField(max_length=120)
    idempotency_key = models.CharField(max_length=120, null=True)  # noqa: DJ001 (NULL: no key; unique per stream)
    body = models.JSONField()

    class Meta:
        db_table = "commands_command"
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="commands_stream_seq_uniq"),
            models.UniqueConstraint(fields=["stream", "idempotency_key"], name="commands_stream_key_uniq"),
        ]
        verbose_name = "指令"

    def __str__(self) -> str:
        return f"{self.stream} #{self.seq}"


class Snapshot(models.Model):
    """An engine state after command ``seq`` of ``stream``, as canonical JSON text (and its SHA-256)."""

    id = models.BigAutoField(primary_key=True)
    stream = models.CharField(max_length=150)
    seq = models.BigIntegerField()
    state = models.TextField()
    digest = models.CharField(max_length=64)
    taken_at = models.DateTimeField()

    class Meta:
        db_table = "commands_snapshot"
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="commands_snapshot_uniq")]
        verbose_name = "状态快照"

    def __str__(self) -> str:
        return f"{self.stream} @{self.seq}"
