from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "yiwang.supervision.stats"
    label = "stats"
    verbose_name = "交易指标与一屏管交易"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # the dashboard's live alert feed: only regulators over a channel's region get a token for it
        from yiwang.platform.live.links import register_channel_policy
        from yiwang.supervision.redflags.actions import ALERT_CHANNEL_KIND, may_watch_alerts

        register_channel_policy(ALERT_CHANNEL_KIND, may_watch_alerts)
