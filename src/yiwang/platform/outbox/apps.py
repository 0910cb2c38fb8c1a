from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "yiwang.platform.outbox"
    label = "outbox"
    verbose_name = "变更流 Outbox feed"
