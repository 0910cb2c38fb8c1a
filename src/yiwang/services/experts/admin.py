"""Read-mostly admin views of the pool and draws (changes go through the actions, never the admin)."""

from django.contrib import admin

from yiwang.services.experts.models import Draw, Expert, Specialty


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Specialty)
class SpecialtyAdmin(ReadOnly):
    list_display = ("code", "name", "level", "inferred")
    search_fields = ("code", "name")


@admin.register(Expert)
class ExpertAdmin(ReadOnly):
    list_display = ("id", "name", "title", "employer_name", "region_code", "status", "entered_on")
    list_filter = ("status", "title_level")
    search_fields = ("name", "employer_name")
    exclude = ("id_number", "phone")


@admin.register(Draw)
class DrawAdmin(ReadOnly):
    list_display = ("id", "project_ref", "section_ref", "meeting_start", "status", "unsealed_at")
    exclude = ("commitment", "candidates", "sealed", "seal_salt")
