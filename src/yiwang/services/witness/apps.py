from django.apps import AppConfig


class OnsiteConfig(AppConfig):
    name = "yiwang.services.witness"
    label = "onsite"
    verbose_name = "现场见证记录 On-site witness records"
