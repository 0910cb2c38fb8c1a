"""``yiwang demo-tender``: one works tender and one government procurement end to end (see tender.demo)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from yiwang.trading.tender import demo


class Command(BaseCommand):
    help = "招标投标演示：一个工程公开招标、一个政府采购公开招标，从公告到合同，逐步打印（需先运行 seed-demo）"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--acceleration", type=int, default=demo.ACCELERATION, help="时限加速倍数（默认 86400：1日=1秒）"
        )
        parser.add_argument(
            "--realtime", action="store_true", help="按加速后的实际时间等待（默认：等待时直接把时钟拨到下一时点）"
        )

    def handle(self, *args, **options) -> None:
        report = demo.run(out=self.stdout.write, realtime=options["realtime"], acceleration=options["acceleration"])
        if not report.ok:
            raise CommandError(report.error)
