from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "yiwang.platform.web"
    label = "web"
    verbose_name = "Web shell"
