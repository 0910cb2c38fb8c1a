"""The OCDS store: our own releases (published from the feed) and external ones (imported), one row each."""

from __future__ import annotations

from django.db import models


class Source(models.TextChoices):
    LOCAL = "local", "本平台发布"
    EXTERNAL = "external", "外部导入"


class ImportBatch(models.Model):
    """One import of external OCDS data (a file or an upload)."""

    label = models.CharField(max_length=200, blank=True)
    format = models.CharField(max_length=20)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    summary = models.JSONField(default=dict)  # the reader's counts and the first malformed lines
    added = models.IntegerField(default=0)
    duplicates = models.IntegerField(default=0)  # the same release again (same bytes)
    conflicts = models.IntegerField(default=0)  # the same (ocid, id) with other content: the first kept
    imported_at = models.DateTimeField()
    imported_by = models.CharField(max_length=120)

    class Meta:
        ordering = ["-pk"]
        verbose_name = "OCDS 导入批次"

    def __str__(self) -> str:
        return f"OCDS import #{self.pk} {self.label}"


class Release(models.Model):
    ocid = models.CharField(max_length=200)
    release_id = models.CharField(max_length=300)
    date = models.DateTimeField()  # the release's date (UTC)
    day = models.DateField()  # the date's day in Asia/Shanghai: the daily package it belongs to
    tags = models.JSONField(default=list)
    data = models.JSONField()
    sha256 = models.CharField(max_length=64)  # of the release's canonical JSON
    source = models.CharField(max_length=10, choices=Source.choices)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="releases")
    feed_seq = models.BigIntegerField(null=True, blank=True)  # the feed event a local release was built from
    stored_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["ocid", "release_id"], name="ocds_release_unique_id")]
        indexes = [
            models.Index(fields=["source", "day"], name="ocds_release_day_idx"),
            models.Index(fields=["ocid", "date"], name="ocds_release_ocid_idx"),
            models.Index(fields=["source", "date"], name="ocds_release_date_idx"),
        ]
        verbose_name = "OCDS 发布"

    def __str__(self) -> str:
        return f"{self.ocid} {self.release_id}"


class Cursor(models.Model):
    """One row (pk 1): the last feed event the publisher has read."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    after = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"ocds cursor #{self.after}"
