from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "yiwang.catalog"
    label = "catalog"
    verbose_name = "目录清单 Catalogues"
