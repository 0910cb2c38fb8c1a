"""Row locks of the trust layer (``select_for_update``), one place, ordered by primary key."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.identity.ca.models import CertificateAuthority, CertificateBinding, SigningChallenge


def lock_ca(ca_id: int) -> QuerySet[CertificateAuthority]:
    return CertificateAuthority.objects.select_for_update().filter(pk=ca_id)


def lock_binding(binding_id: int) -> QuerySet[CertificateBinding]:
    return CertificateBinding.objects.select_for_update().filter(pk=binding_id)


def lock_active_bindings(fingerprint: str) -> QuerySet[CertificateBinding]:
    return CertificateBinding.objects.select_for_update().filter(fingerprint_sha256=fingerprint).order_by("pk")


def lock_challenge(challenge_id: str) -> QuerySet[SigningChallenge]:
    return SigningChallenge.objects.select_for_update().filter(pk=challenge_id)
