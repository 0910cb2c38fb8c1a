"""``yiwang demo-markets``: trade once on every market of the demo, so a fresh ``make run`` shows real records.

Runs, on the current database after ``yiwang seed-demo``: a works tender and a government procurement from the
notice to the contract (``demo-tender``), two carbon-market trading days (``demo-carbon``), and a judicial auction
and a land listing (``demo-auction``). Each is the ordinary actions with test acceleration, witnessed like any
other trade. It runs once per data directory (a marker file records it); ``--again`` runs it anyway. A market
whose demonstration fails is named with its reason and the command exits non-zero after trying the others.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

MARKETS = (
    ("招标投标与政府采购", "demo_tender", ()),
    ("碳排放权交易", "demo_carbon", ("--days", "2")),
    ("网络竞价", "demo_auction", ()),
    ("串通投标预警（闵行）", "redflags", ("demo",)),
)


def marker() -> Path:
    return Path(settings.DATA_DIR) / "demo-markets.done"


class Command(BaseCommand):
    help = (
        "演示交易：一次工程招标与一次政府采购、两个碳交易日、一场司法拍卖与一宗土地挂牌、"
        "一条串通投标预警（每个数据目录仅首次运行）"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--again", action="store_true", help="已运行过也再运行一次")
        parser.add_argument("--verbose-steps", action="store_true", help="打印每个演示的全部步骤")

    def handle(self, *args, **options) -> None:
        if marker().exists() and not options["again"]:
            self.stdout.write("演示交易已生成（--again 可再运行一次）")
            return
        failed: list[str] = []
        for label, command, arguments in MARKETS:
            steps = io.StringIO()
            try:
                call_command(command, *arguments, stdout=steps)
            except Exception as error:
                failed.append(f"{label}（{command}）：{error}")
                self.stderr.write(steps.getvalue())
                self.stderr.write(self.style.ERROR(f"{label} 演示失败：{error}"))
                continue
            if options["verbose_steps"]:
                self.stdout.write(steps.getvalue())
            last = [line for line in steps.getvalue().splitlines() if line.strip()]
            self.stdout.write(self.style.SUCCESS(f"{label} 演示完成") + (f"：{last[-1].strip()}" if last else ""))
        if failed:
            raise CommandError("演示交易未全部完成：" + "；".join(failed))
        marker().write_text("done\n")
