from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "yiwang.exchange.federation"
    label = "federation"
    verbose_name = "跨区域互联（长三角）与国家平台上传"
    default_auto_field = "django.db.models.BigAutoField"
