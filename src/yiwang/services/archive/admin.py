"""Read-only admin views: archives change only through the actions (witnessed)."""

from django.contrib import admin

from yiwang.services.archive.models import Archive, ArchiveVersion, LegalHold


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Archive)
class ArchiveAdmin(ReadOnly):
    list_display = ("project_ref", "title", "region", "current_version", "updated_at")
    search_fields = ("project_ref", "title")


@admin.register(ArchiveVersion)
class ArchiveVersionAdmin(ReadOnly):
    list_display = ("archive", "number", "created_at", "status", "retention_until", "item_count", "entry_count")
    list_filter = ("status",)


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnly):
    list_display = ("archive", "placed_at", "placed_by", "released_at")
