from django.apps import AppConfig


class ClockConfig(AppConfig):
    name = "yiwang.platform.clock"
    label = "clock"
    verbose_name = "Clock (deadlines)"
