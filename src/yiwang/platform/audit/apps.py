from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "yiwang.platform.audit"
    label = "audit"
    verbose_name = "见证日志 Witness log"
