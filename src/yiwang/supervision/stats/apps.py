from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "yiwang.supervision.stats"
    label = "stats"
    verbose_name = "交易指标与一屏管交易"
    default_auto_field = "django.db.models.BigAutoField"
