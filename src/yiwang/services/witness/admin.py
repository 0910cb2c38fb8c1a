"""Read-only admin view of on-site records (records are never edited: corrections are new records)."""

from django.contrib import admin

from yiwang.services.witness.models import OnsiteRecord


@admin.register(OnsiteRecord)
class OnsiteRecordAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "occurred_at", "region_code", "owner_ref", "flagged", "corrects")
    list_filter = ("kind", "flagged")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
