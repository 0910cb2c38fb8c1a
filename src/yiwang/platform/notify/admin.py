from django.contrib import admin

from yiwang.platform.notify.models import Message, OutboxMail


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "recipient", "category", "title", "created_at", "read_at")
    list_filter = ("category",)
    search_fields = ("recipient", "key")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # state changes go through actions

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    list_display = ("pk", "to_address", "subject", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("to_address", "key")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
