from django.apps import AppConfig


class RedflagsConfig(AppConfig):
    name = "yiwang.supervision.redflags"
    label = "redflags"
    verbose_name = "预警（串通投标与评标监督）Red flags"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.supervision.redflags import jobs

        register_due_job("redflags.platform_screen", jobs.run_due_platform_screen, every_seconds=60)
