"""``yiwang demo-carbon``: a few trading days of the carbon market with several participants (see orderbook.demo)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from yiwang.trading.orderbook import demo


class Command(BaseCommand):
    help = "碳排放权交易演示：若干交易日、多家交易主体，打印收盘价、碳价指数与对账结果"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=3, help="交易日数（默认 3）")
        parser.add_argument("--seed", type=int, default=20260302)

    def handle(self, *args, **options) -> None:
        reports = demo.run(days=max(1, options["days"]), seed=options["seed"], out=self.stdout.write)
        if not all(r.summary["reconciliation"].get("ok") for r in reports):
            raise CommandError("对账有差额")
        self.stdout.write("\n全部交易日对账差额为零。")
