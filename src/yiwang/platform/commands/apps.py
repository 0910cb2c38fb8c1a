from django.apps import AppConfig


class CommandsConfig(AppConfig):
    name = "yiwang.platform.commands"
    label = "commands"
    verbose_name = "指令日志 Command log"
