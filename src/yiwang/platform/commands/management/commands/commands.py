"""``yiwang commands``: the durable command log's tools (docs/live.md).

verify STREAM [STREAM …]   replay each stream with its registered engine; check the sequence has no gap,
                           every stored snapshot equals the replay byte for byte and snapshot + suffix
                           recovers the same state. Exit 1 on any problem.
verify --kind auction.lot  every stream of that kind
snapshot STREAM            store a snapshot of the current state now
show STREAM [--after N] [--limit M]   print commands as JSON lines
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import YiwangError
from yiwang.platform.commands import engine, log


class Command(BaseCommand):
    help = "Command log (指令日志) tools: verify, snapshot, show"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        verify = sub.add_parser("verify", help="replay streams and compare with their snapshots")
        verify.add_argument("streams", nargs="*")
        verify.add_argument("--kind", help="verify every stream of this kind (auction.lot …)")
        snap = sub.add_parser("snapshot", help="store a snapshot of the current state")
        snap.add_argument("stream")
        show = sub.add_parser("show", help="print a stream's commands as JSON lines")
        show.add_argument("stream")
        show.add_argument("--after", type=int, default=0)
        show.add_argument("--limit", type=int, default=100)

    def handle(self, *args, **options) -> None:
        try:
            getattr(self, f"_{options['verb']}")(options)
        except YiwangError as error:
            raise CommandError(f"{error.code}: {error.message_zh} ({error.message_en}) {error.details}") from error

    def _verify(self, options) -> None:
        names = list(options["streams"])
        if options["kind"]:
            names += log.streams(options["kind"])
        if not names:
            raise CommandError("name at least one stream, or --kind")
        failed = 0
        for name in names:
            log.check_stream(name)
            report = engine.verify(name, engine.engine_for(name))
            if report.ok:
                self.stdout.write(
                    f"{name}: ok — {report.commands} commands, {report.snapshots_checked} snapshots, "
                    f"state sha256 {report.digest}"
                )
            else:
                failed += 1
                self.stdout.write(f"{name}: FAILED")
                for problem in report.problems:
                    self.stdout.write(f"  {problem}")
        if failed:
            raise CommandError(f"{failed} of {len(names)} streams failed verification", returncode=1)

    def _snapshot(self, options) -> None:
        name = log.check_stream(options["stream"])
        seq = engine.take_snapshot(name, engine.engine_for(name))
        self.stdout.write(f"{name}: snapshot at {seq}")

    def _show(self, options) -> None:
        name = log.check_stream(options["stream"])
        for entry in log.read(name, options["after"], options["limit"]):
            line = {
                "seq": entry.seq,
                "accepted_at": iso_utc(entry.accepted_at),
                "actor": entry.actor_ref,
                "key": entry.idempotency_key,
                "command": entry.command,
            }
            self.stdout.write(json.dumps(line, ensure_ascii=False, sort_keys=True))
