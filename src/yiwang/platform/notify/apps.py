from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "yiwang.platform.notify"
    label = "notify"
    verbose_name = "站内信与邮件 Notify"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.notify import jobs

        register_due_job("notify.deliver_mail", jobs.deliver_due_mail, every_seconds=30)
