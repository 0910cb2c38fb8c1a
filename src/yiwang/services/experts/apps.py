from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "yiwang.services.experts"
    label = "experts"
    verbose_name = "专家库 Expert pool"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.reference import register_loader
        from yiwang.services.experts import jobs
        from yiwang.services.experts.reference import ensure_reference_data

        register_loader("experts", ensure_reference_data)
        register_due_job("experts.answers_due", jobs.answers_due, every_seconds=30)
        register_due_job("experts.unseal_due", jobs.unseal_due, every_seconds=30)
