"""Read-only admin views of the trust layer (changes go through the actions, never through the admin)."""

from __future__ import annotations

from django.contrib import admin

from yiwang.identity.ca.models import CertificateAuthority, CertificateBinding, RevocationList, SignatureRecord


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(ReadOnly):
    list_display = ("name", "kind", "algorithm", "status", "not_after")
    list_filter = ("kind", "algorithm", "status")
    exclude = ("certificate_der",)


@admin.register(RevocationList)
class RevocationListAdmin(ReadOnly):
    list_display = ("ca", "crl_number", "this_update", "next_update", "revoked_count")
    exclude = ("der",)


@admin.register(CertificateBinding)
class CertificateBindingAdmin(ReadOnly):
    list_display = ("subject_name", "subject_kind", "serial", "status", "not_after")
    list_filter = ("subject_kind", "status", "algorithm")
    exclude = ("certificate_der", "person_id_digest")


@admin.register(SignatureRecord)
class SignatureRecordAdmin(ReadOnly):
    list_display = ("purpose", "object_type", "object_id", "serial", "algorithm", "recorded_at")
    exclude = ("signature",)
