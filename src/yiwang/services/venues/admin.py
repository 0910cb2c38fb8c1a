"""Read-only admin views of venues (changes go through the actions, never the admin)."""

from django.contrib import admin

from yiwang.services.venues.models import Booking, RemoteSession, Room, Site


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Site)
class SiteAdmin(ReadOnly):
    list_display = ("id", "name", "organisation", "region_code", "is_active")
    search_fields = ("name", "address")


@admin.register(Room)
class RoomAdmin(ReadOnly):
    list_display = ("id", "site", "code", "name", "kind", "capacity", "isolated", "is_active")
    list_filter = ("kind", "isolated", "is_active")


@admin.register(Booking)
class BookingAdmin(ReadOnly):
    list_display = ("id", "room", "purpose", "start", "end", "status", "apply_type", "owner_ref")
    list_filter = ("status", "purpose", "apply_type")
    exclude = ("check_in_code",)


@admin.register(RemoteSession)
class RemoteSessionAdmin(ReadOnly):
    list_display = ("id", "owner_ref", "start", "end", "cancelled_at")
