from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "yiwang.platform.api"
    label = "platform_api"
    verbose_name = "API plumbing"

    def ready(self) -> None:
        from yiwang.platform.api.idempotency import purge_expired
        from yiwang.platform.clock import register_due_job

        register_due_job("platform.purge_idempotency_records", purge_expired, every_seconds=3600)
