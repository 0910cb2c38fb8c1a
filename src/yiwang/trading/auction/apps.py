from django.apps import AppConfig, apps


class AuctionConfig(AppConfig):
    name = "yiwang.trading.auction"
    label = "auction"
    verbose_name = "网络竞价 Auctions"

    def ready(self) -> None:
        from yiwang.platform.clock import register_due_job
        from yiwang.platform.commands.engine import register_engine
        from yiwang.trading.auction import jobs
        from yiwang.trading.auction.lot_engine import LotEngine

        register_engine("auction.lot", LotEngine)
        register_due_job("auction.due_lots", jobs.run_due_lots, every_seconds=1)
        register_due_job("auction.close_follow_ups", jobs.run_close_follow_ups, every_seconds=5)
        if apps.is_installed("yiwang.platform.live"):
            from yiwang.platform.live.links import register_channel_policy
            from yiwang.trading.auction.queries import may_watch_bidder_channel

            register_channel_policy("auction.bidder", may_watch_bidder_channel)
