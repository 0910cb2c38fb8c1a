"""``yiwang demo_auction``: a judicial auction with soft-close extensions and a land listing that ends in a
countdown auction (see trading.auction.demo)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from yiwang.trading.auction import demo, queries


class Command(BaseCommand):
    help = "网络竞价演示：一场带延时的网络司法拍卖和一场转入限时竞价的土地挂牌，最后重放指令日志核验"

    def handle(self, *args, **options) -> None:
        lots = demo.run(out=self.stdout.write)
        if not all(queries.check_lot_for(demo.STAFF, lot.pk).ok for lot in lots):
            raise CommandError("指令日志重放与读模型不一致")
