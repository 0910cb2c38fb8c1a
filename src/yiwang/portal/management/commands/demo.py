"""``yiwang demo NAME [ARGS…]``: run one market's demonstration by name.

``yiwang demo auction`` (a judicial auction with soft-close extensions and a land listing that ends in a
countdown auction), ``yiwang demo carbon`` (carbon trading days with the closing price, the index and the
reconciliation), ``yiwang demo tender`` (a works tender and a government procurement from notice to contract),
``yiwang demo redflags`` (the seeded collusion scenario). Further arguments go to that demonstration's own
command (``yiwang demo carbon --days 3``); ``yiwang demo-markets`` runs them all once.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMOS = {
    "auction": ("demo_auction", ()),
    "carbon": ("demo_carbon", ()),
    "tender": ("demo_tender", ()),
    "redflags": ("redflags", ("demo",)),
}


class Command(BaseCommand):
    help = "运行一个市场的演示：auction 网络竞价、carbon 碳交易、tender 招标投标、redflags 串通投标预警"

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", choices=sorted(DEMOS), help="演示名称")
        parser.add_argument("rest", nargs="*", help="传给该演示命令的其余参数")

    def run_from_argv(self, argv: list[str]) -> None:
        # Arguments after the name belong to the demonstration's own command (``--days 3``), not to this one.
        if len(argv) > 3 and argv[2] in DEMOS:
            argv = [*argv[:3], "--", *argv[3:]]
        super().run_from_argv(argv)

    def handle(self, *args, **options) -> None:
        command, fixed = DEMOS[options["name"]]
        call_command(command, *fixed, *options["rest"], stdout=self.stdout, stderr=self.stderr)
