from django.apps import AppConfig


class SubplatformConfig(AppConfig):
    name = "yiwang.exchange.subplatform"
    label = "subplatform"
    verbose_name = "分平台数据交换"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiwang.exchange.subplatform.search import KIND, all_documents
        from yiwang.platform.search.labels import register_labels
        from yiwang.platform.search.sources import register_source

        register_source("exchange.subplatform", kinds=(KIND,), documents=all_documents)
        register_labels("kind", {KIND: "分平台数据"})
