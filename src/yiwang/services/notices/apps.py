from django.apps import AppConfig
from django.core import checks


class NoticesConfig(AppConfig):
    name = "yiwang.services.notices"
    label = "notices"
    verbose_name = "公告公示 Notices"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.search.sources import register_source
        from yiwang.services.notices import jobs
        from yiwang.services.notices.search import KIND, all_notice_documents

        register_due_job("notices.publish_due", jobs.publish_due, every_seconds=1)
        register_due_job("notices.match_subscriptions", jobs.match_subscriptions, every_seconds=5)
        register_source("notices", kinds=(KIND,), documents=all_notice_documents)
        checks.register(cjk_font_check, "notices")


def cjk_font_check(app_configs=None, **kwargs):
    """Notice PDFs need a CJK font (Debian ``fonts-noto-cjk``); without one every Chinese character would be
    an empty box."""
    from yiwang.services.notices.rendering import cjk_font_installed

    if cjk_font_installed():
        return []
    return [
        checks.Warning(
            "No CJK font found: notice PDFs would show empty boxes instead of Chinese text.",
            hint="Install Debian's fonts-noto-cjk (make fonts).",
            id="notices.W001",
        )
    ]
