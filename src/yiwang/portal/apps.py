from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "yiwang.portal"
    label = "portal"
    verbose_name = "总门户 Portal"
