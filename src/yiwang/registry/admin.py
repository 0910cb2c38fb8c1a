"""Read-only admin views of the registry (changes go through the actions, which witness them)."""

from __future__ import annotations

from django.contrib import admin

from yiwang.registry.models import BankAccount, Entity, EntityChange, Personnel, Qualification


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Entity)
class EntityAdmin(ReadOnly):
    list_display = ("name", "uscc", "kind", "region_code", "status", "version", "registered_at")
    list_filter = ("kind", "status")
    search_fields = ("name", "uscc")


@admin.register(EntityChange)
class EntityChangeAdmin(ReadOnly):
    list_display = ("entity", "version", "field", "actor_label", "changed_at")


@admin.register(Qualification)
class QualificationAdmin(ReadOnly):
    list_display = ("entity", "qualification_type", "certificate_no", "valid_to", "withdrawn_at")
    search_fields = ("certificate_no",)


@admin.register(Personnel)
class PersonnelAdmin(ReadOnly):
    list_display = ("entity", "name", "personnel_role", "is_active")
    exclude = ("id_number",)


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnly):
    list_display = ("entity", "bank_name", "valid_from", "valid_to")
    exclude = ("account_number",)
