from django.apps import AppConfig


class OrderbookConfig(AppConfig):
    name = "yiwang.trading.orderbook"
    label = "orderbook"
    verbose_name = "碳排放权交易 Carbon market"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.commands.engine import register_engine
        from yiwang.trading.orderbook import jobs, streams

        register_engine(streams.STREAM_KIND, streams.MarketStreamEngine)
        register_due_job("orderbook.sessions", jobs.run_sessions, every_seconds=1)
        jobs.register_live_policies()
