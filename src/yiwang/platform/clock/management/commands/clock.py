"""``yiwang clock``: fire due deadlines once a second (or ``--once``)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandParser

from yiwang.platform.clock import runner


class Command(BaseCommand):
    help = "Run the clock: fire due deadlines (guarded, idempotent transitions)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every due job once and exit")
        parser.add_argument("--ticks", type=int, default=None, help="stop after this many ticks")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")

    def handle(self, *args, **options) -> None:
        stopping = threading.Event()
        previous = {}
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (from `yiwang run` or a service manager) and Ctrl-C end the loop after the current tick
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, lambda signum, frame: stopping.set())
        try:
            ticks = 1 if options["once"] else options["ticks"]
            handled = runner.run(ticks=ticks, interval=options["interval"], should_stop=stopping.is_set)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write(f"clock stopped; {handled} due item(s) handled")
