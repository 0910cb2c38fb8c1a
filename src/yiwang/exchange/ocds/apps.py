from django.apps import AppConfig


class OcdsConfig(AppConfig):
    name = "yiwang.exchange.ocds"
    label = "ocds"
    verbose_name = "OCDS 数据发布"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiwang.exchange.ocds.actions import publish_due
        from yiwang.exchange.ocds.search import KIND, all_documents
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.search.labels import register_labels
        from yiwang.platform.search.sources import register_source

        register_source("exchange.ocds", kinds=(KIND,), documents=all_documents)
        register_labels("kind", {KIND: "OCDS 外部数据"})
        register_due_job("ocds.publish", publish_due, every_seconds=60)
