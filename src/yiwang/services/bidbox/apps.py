from django.apps import AppConfig


class BidboxConfig(AppConfig):
    name = "yiwang.services.bidbox"
    label = "bidbox"
    verbose_name = "电子投标箱 Bid box"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.services.bidbox import jobs

        register_due_job("bidbox.start_openings", jobs.start_due_openings, every_seconds=1)
        register_due_job("bidbox.close_openings", jobs.close_due_openings, every_seconds=5)
