"""Stored documents and their versions. The bytes live in the blob store, addressed by SHA-256.

A :class:`Document` is the stable thing other contexts refer to (a tender's 招标文件, a bid's 投标文件); each
upload to it is a :class:`DocumentVersion`, numbered 1, 2, 3 … and never changed or removed by users.
"""

from __future__ import annotations

import uuid

from django.db import models


class Document(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_context = models.CharField(max_length=60)  # "trading.tender", "storage.uploads"
    owner_ref = models.CharField(max_length=120)  # that context's reference: "bid:42"
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=40)  # a key of YIWANG_STORAGE["KINDS"]
    public = models.BooleanField(default=False)  # public documents' downloads and events are not restricted
    current_version = models.PositiveIntegerField(default=0)
    created_by = models.CharField(max_length=120)  # actor ref
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["owner_context", "owner_ref"], name="storage_doc_owner_idx"),
            models.Index(fields=["created_by"], name="storage_doc_creator_idx"),
        ]
        verbose_name = "文件"
        verbose_name_plural = "文件"

    def __str__(self) -> str:
        return f"{self.title} (v{self.current_version})"


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)  # the blob's address
    sm3 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    filename = models.CharField(max_length=255)  # declared by the uploader, sanitised
    mime_type = models.CharField(max_length=100)  # sniffed from the content, never taken from the client
    uploaded_by = models.CharField(max_length=120)  # actor ref
    uploaded_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="storage_version_number_uniq"),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="storage_version_size_positive"),
        ]
        indexes = [models.Index(fields=["sha256"], name="storage_version_sha256_idx")]
        ordering = ["document", "number"]
        verbose_name = "文件版本"
        verbose_name_plural = "文件版本"

    def __str__(self) -> str:
        return f"{self.filename} v{self.number}"
