from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "yiwang.exchange.federation"
    label = "federation"
    verbose_name = "跨区域互联（长三角）与国家平台上传"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiwang.exchange.federation.search import KIND, KIND_LABEL, all_documents
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.search.labels import register_labels
        from yiwang.platform.search.sources import register_source

        register_source("exchange.federation", kinds=(KIND,), documents=all_documents)
        register_labels("kind", {KIND: KIND_LABEL})

        def relay(moment):
            from yiwang.exchange.federation.actions import relay

            return relay(moment)

        def purge(moment):
            from yiwang.exchange.federation.actions import purge_nonces

            return purge_nonces(moment)

        register_due_job("federation.relay", relay, every_seconds=1)
        register_due_job("federation.purge_nonces", purge, every_seconds=300)
