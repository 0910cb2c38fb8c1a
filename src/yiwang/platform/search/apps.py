from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "yiwang.platform.search"
    label = "search"
    verbose_name = "一网尽览 unified search"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.search.jobs import maintain_index

        register_due_job("search.maintain", maintain_index, every_seconds=3600)
