from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "yiwang.supervision.complaints"
    label = "complaints"
    verbose_name = "投诉处理 Complaints"
