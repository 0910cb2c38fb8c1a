"""``yiwang witness verify``: recompute the witness chain and report the first broken entry."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.platform.audit import chain


class Command(BaseCommand):
    help = "Witness log (见证日志) tools: verify"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        verify = sub.add_parser("verify", help="recompute the hash chain and report the first broken entry")
        verify.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, verb: str, **options) -> None:
        if verb == "verify":
            report = chain.verify(batch=options["batch"])
            if not report.ok:
                raise CommandError(report.describe())
            self.stdout.write(report.describe())
