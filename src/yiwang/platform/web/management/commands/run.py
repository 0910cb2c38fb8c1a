"""``yiwang run``: the web server, the task worker and the clock as one supervised group (what `make run` starts).

    web     gunicorn serving yiwang.config.wsgi:application on YIWANG_BIND (default 127.0.0.1:8000)
    worker  django-tasks-db's db_worker (background tasks enqueued by actions)
    clock   yiwang clock (due deadlines)

Ctrl-C (or SIGTERM) stops all three and exits 0. A child that dies is restarted with backoff; one that keeps
dying stops the group with a non-zero exit. Binding to anything but loopback needs ``--public``.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.platform.supervisor import ChildSpec, Supervisor, is_loopback_bind


def _profile(name: str, default):
    return getattr(getattr(settings, "PROFILE", None), name, default)


def children(*, bind: str, workers: int, threads: int) -> list[ChildSpec]:
    python = sys.executable
    return [
        ChildSpec(
            "web",
            [
                python,
                "-m",
                "gunicorn",
                "yiwang.config.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--graceful-timeout",
                "8",
                "--no-control-socket",  # gunicorn's control socket would live in $HOME, shared by every instance
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
            ],
        ),
        ChildSpec("worker", [python, "-m", "yiwang.cli", "db_worker", "--no-reload", "--interval", "1"]),
        ChildSpec("clock", [python, "-m", "yiwang.cli", "clock"]),
    ]


class Command(BaseCommand):
    help = "Start web + task worker + clock as one supervised group (Ctrl-C stops all)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=None, help="host:port (default: YIWANG_BIND, 127.0.0.1:8000)")
        parser.add_argument("--public", action="store_true", help="allow binding to a non-loopback address")
        parser.add_argument("--workers", type=int, default=None, help="web worker processes (YIWANG_WEB_WORKERS)")
        parser.add_argument("--threads", type=int, default=None, help="threads per web worker (YIWANG_WEB_THREADS)")
        parser.add_argument("--stop-timeout", type=float, default=10.0, help="seconds before SIGKILL on stop")

    def handle(self, *args, **options) -> None:
        bind = options["bind"] or _profile("bind", "127.0.0.1:8000")
        if not is_loopback_bind(bind) and not options["public"]:
            raise CommandError(
                f"refusing to listen on {bind}: not a loopback address. Put a reverse proxy in front, "
                "or pass --public if this machine is meant to be reachable (and set YIWANG_ALLOWED_HOSTS)."
            )
        workers = options["workers"] or _profile("web_workers", 2)
        threads = options["threads"] or _profile("web_threads", 4)
        address = bind if bind.startswith("unix:") else f"http://{bind}/"
        supervisor = Supervisor(
            children(bind=bind, workers=workers, threads=threads),
            out=self.stdout._out,
            stop_timeout=options["stop_timeout"],
            ready_url=None if bind.startswith("unix:") else f"http://{bind}/api/v1/openapi.json",
            ready_message=f"一网交易 is ready: {address}  (Ctrl-C stops web, worker and clock)",
        )
        code = supervisor.run()
        if code:
            raise CommandError("a child process kept failing; everything was stopped", returncode=code)
