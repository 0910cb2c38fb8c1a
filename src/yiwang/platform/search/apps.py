from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "yiwang.platform.search"
    label = "search"
    verbose_name = "一网尽览 unified search"
