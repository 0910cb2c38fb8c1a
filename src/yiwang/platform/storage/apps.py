from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "yiwang.platform.storage"
    label = "storage"
    verbose_name = "文件存储 Document store"

    def ready(self) -> None:
        from django.core import checks

        from yiwang.platform.clock import register_due_job
        from yiwang.platform.storage import sweep
        from yiwang.platform.storage.checks import check_storage_settings

        register_due_job("storage.sweep_orphans", sweep.sweep_orphans, every_seconds=sweep.EVERY_SECONDS)
        checks.register(check_storage_settings)
