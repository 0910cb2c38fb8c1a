from django.apps import AppConfig


class CaConfig(AppConfig):
    name = "yiwang.identity.ca"
    label = "ca"
    verbose_name = "数字证书互认 CA trust"

    def ready(self) -> None:
        from yiwang.identity.ca.actions import purge_seen_nonces
        from yiwang.platform.clock import register_due_job

        register_due_job("ca.purge_seen_nonces", purge_seen_nonces, every_seconds=3600)
