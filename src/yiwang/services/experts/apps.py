from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "yiwang.services.experts"
    label = "experts"
    verbose_name = "专家库 Expert pool"
