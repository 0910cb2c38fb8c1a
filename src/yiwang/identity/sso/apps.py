from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "yiwang.identity.sso"
    label = "sso"
    verbose_name = "统一身份认证（OpenID Connect）"
    default_auto_field = "django.db.models.BigAutoField"
