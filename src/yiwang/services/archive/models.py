"""Archives of projects (电子档案), their versions (one per export), legal holds (法律保全).

The packages themselves live in the document store (kind ``archive``, owner ``services.archive/<project ref>``),
one storage version per archive version. What is kept here outlives a disposal: the manifest, its signature and
the tombstone.
"""

from __future__ import annotations

from django.db import models


class Archive(models.Model):
    """A project's archive: the stable thing (its versions are the exports)."""

    project_ref = models.CharField(max_length=120, unique=True)  # "tender.project:12"
    title = models.CharField(max_length=200, blank=True)
    region = models.CharField(max_length=12, blank=True)  # GB/T 2260 code limiting which staff see it
    document_id = models.UUIDField(null=True, blank=True)  # the storage document holding the packages
    current_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "电子档案"
        verbose_name_plural = "电子档案"

    def __str__(self) -> str:
        return f"档案 {self.project_ref}"


class VersionStatus(models.TextChoices):
    KEPT = "kept", "保存中"
    ELIGIBLE = "eligible", "可处置"  # the retention sweep found it past its retention period
    DISPOSED = "disposed", "已处置"


class ArchiveVersion(models.Model):
    archive = models.ForeignKey(Archive, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    category = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=120)  # actor ref
    document_version = models.PositiveIntegerField()  # the storage version holding this package
    package_size = models.BigIntegerField()
    package_sha256 = models.CharField(max_length=64)
    package_sm3 = models.CharField(max_length=64)
    manifest_sha256 = models.CharField(max_length=64)
    manifest_text = models.TextField()  # kept for ever, also after disposal
    signature_text = models.TextField()  # manifest.sig
    head_size = models.BigIntegerField()
    head_root = models.CharField(max_length=64)
    item_count = models.PositiveIntegerField()
    entry_count = models.PositiveIntegerField()
    retention_rules = models.JSONField(default=list)  # the catalogue rules as they were applied
    retention_years = models.PositiveSmallIntegerField()
    retention_until = models.DateTimeField()
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.KEPT)
    eligible_since = models.DateTimeField(null=True, blank=True)
    disposed_at = models.DateTimeField(null=True, blank=True)
    disposed_by = models.CharField(max_length=120, blank=True)
    disposal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["archive", "number"], name="archive_version_number_uniq"),
        ]
        indexes = [
            models.Index(fields=["status", "retention_until"], name="archive_version_due_idx"),
            models.Index(fields=["manifest_sha256"], name="archive_version_manifest_idx"),
        ]
        ordering = ["archive", "number"]
        verbose_name = "档案版本"
        verbose_name_plural = "档案版本"

    def __str__(self) -> str:
        return f"{self.archive.project_ref} v{self.number}"


class LegalHold(models.Model):
    """A legal hold (法律保全): while one is active, no version of the archive may be disposed of."""

    archive = models.ForeignKey(Archive, on_delete=models.PROTECT, related_name="holds")
    reason = models.CharField(max_length=500)
    placed_at = models.DateTimeField()
    placed_by = models.CharField(max_length=120)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=120, blank=True)
    release_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["archive", "released_at"], name="archive_hold_active_idx")]
        ordering = ["archive", "placed_at", "id"]
        verbose_name = "法律保全"
        verbose_name_plural = "法律保全"

    def __str__(self) -> str:
        return f"保全 {self.pk} ({self.archive.project_ref})"

    @property
    def active(self) -> bool:
        return self.released_at is None
