from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "yiwang.platform.live"
    label = "live"
    verbose_name = "实时推送 Live streams"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.live.publish import prune_job

        register_due_job("live.prune_events", prune_job, every_seconds=3600)
