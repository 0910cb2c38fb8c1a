"""Read-only admin views of single sign-on. Relying parties are registered and stopped through the actions
(``/sso/`` and the API), never through the admin; django-oauth-toolkit's own admin classes are replaced by the
read-only ones below (``OAUTH2_PROVIDER["*_ADMIN_CLASS"]`` in settings), which never show a token, code or
secret hash."""

from __future__ import annotations

from django.contrib import admin

from yiwang.identity.sso.models import RelyingParty


class ReadOnly(admin.ModelAdmin):
    view_on_site = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RelyingParty)
class RelyingPartyAdmin(ReadOnly):
    list_display = ("application", "registered_at", "registered_by", "deactivated_at")
    list_select_related = ("application",)


class ApplicationAdmin(ReadOnly):
    list_display = ("name", "client_id", "client_type", "authorization_grant_type", "created")
    exclude = ("client_secret",)


class AccessTokenAdmin(ReadOnly):
    list_display = ("pk", "user", "application", "expires")
    list_select_related = ("application", "user")
    exclude = ("token", "token_checksum")


class GrantAdmin(ReadOnly):
    list_display = ("pk", "user", "application", "expires")
    list_select_related = ("application", "user")
    exclude = ("code", "code_challenge", "nonce")


class IDTokenAdmin(ReadOnly):
    list_display = ("jti", "user", "application", "expires")
    list_select_related = ("application", "user")


class RefreshTokenAdmin(ReadOnly):
    list_display = ("pk", "user", "application", "revoked")
    list_select_related = ("application", "user")
    exclude = ("token", "token_checksum")
