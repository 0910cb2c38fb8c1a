"""``yiwang clock``: fire due deadlines once a second (or ``--once``)."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand, CommandParser

from yiwang.platform.clock import runner


class Command(BaseCommand):
    help = "Run the clock: fire due deadlines (guarded, idempotent transitions)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every due job once and exit")
        parser.add_argument("--ticks", type=int, default=None, help="stop after this many ticks")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args, **options) -> None:
        stopping = {"flag": False}

        def stop(signum, frame):
            stopping["flag"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        ticks = 1 if options["once"] else options["ticks"]
        handled = runner.run(ticks=ticks, interval=options["interval"], should_stop=lambda: stopping["flag"])
        self.stdout.write(f"clock stopped; {handled} due item(s) handled")
