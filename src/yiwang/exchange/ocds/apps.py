from django.apps import AppConfig


class OcdsConfig(AppConfig):
    name = "yiwang.exchange.ocds"
    label = "ocds"
    verbose_name = "OCDS 数据发布"
    default_auto_field = "django.db.models.BigAutoField"
