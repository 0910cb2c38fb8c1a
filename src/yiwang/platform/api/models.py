"""Stored first responses for ``Idempotency-Key`` (docs/adr/0004)."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    principal = models.CharField(max_length=120)  # the actor's ref: keys are private to who sent them
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_digest = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status = models.PositiveSmallIntegerField()
    response_body = models.BinaryField()
    response_headers = models.JSONField(default=dict)  # Location, ETag, Content-Type
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_principal_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.principal} {self.key} → {self.status}"
