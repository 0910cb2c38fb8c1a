from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "yiwang.services.archive"
    label = "archive"
    verbose_name = "电子档案 Archive"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.services.archive import jobs, storage_documents
        from yiwang.services.archive.collectors import register_collector

        register_collector(storage_documents.NAME, storage_documents.project_documents)
        register_due_job("archive.retention_sweep", jobs.retention_sweep, every_seconds=jobs.SWEEP_EVERY_SECONDS)
