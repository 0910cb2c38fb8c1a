"""The platform's public keys, current and retired: kept forever, so every signature ever made still verifies.

Private keys never enter the database; they live in a key store (:mod:`.stores`)."""

from __future__ import annotations

from django.db import models


class PlatformKey(models.Model):
    key_id = models.CharField(max_length=100, primary_key=True)  # "sm3:<hex of SM3(SubjectPublicKeyInfo DER)>"
    kind = models.CharField(max_length=20)  # sm2 | ec-p256
    algorithm = models.CharField(max_length=40)  # sm2-sm3 | ecdsa-p256-sha256
    public_key_pem = models.TextField()
    valid_from = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    # True for the key that signs now, NULL once retired: the unique index admits one current key at most.
    current = models.BooleanField(null=True, default=True, unique=True)
    # the previous key's signature over this key's endorsement bytes (docs/adr/0007), base64; empty for the first
    endorsed_by = models.CharField(max_length=100, blank=True, default="")
    endorsement = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["valid_from", "key_id"]
        verbose_name = "平台签名密钥"

    def __str__(self) -> str:
        state = "current" if self.current else "retired"
        return f"{self.key_id[:24]}… ({self.algorithm}, {state})"
