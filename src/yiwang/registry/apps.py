from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "yiwang.registry"
    label = "registry"
    verbose_name = "主体库 Entity registry"
