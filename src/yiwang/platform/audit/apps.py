from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "yiwang.platform.audit"
    label = "audit"
    verbose_name = "见证日志 Witness log"

    def ready(self) -> None:
        from yiwang.platform.audit.heads import head_every_seconds, sign_head_if_grown
        from yiwang.platform.clock import register_due_job

        register_due_job("witness.sign_tree_head", sign_head_if_grown, every_seconds=head_every_seconds())
