from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "yiwang.supervision.complaints"
    label = "complaints"
    verbose_name = "投诉处理 Complaints"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.supervision.complaints import jobs

        register_due_job("complaints.reminders", jobs.send_reminders, every_seconds=600)
