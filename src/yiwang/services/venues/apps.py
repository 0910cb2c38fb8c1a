from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "yiwang.services.venues"
    label = "venues"
    verbose_name = "场所预约 Venues"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.services.venues import jobs

        register_due_job("venues.flag_no_shows", jobs.flag_no_shows, every_seconds=60)
