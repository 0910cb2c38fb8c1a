"""``yiwang run``: the web server, the task worker, the clock and the live server as one supervised group (what
`make run` starts).

    web     gunicorn serving yiwang.config.wsgi:application on YIWANG_BIND (default 127.0.0.1:8000)
    worker  django-tasks-db's db_worker (background tasks enqueued by actions)
    clock   yiwang clock (due deadlines)
    live    the SSE server (python -m yiwang.platform.live.serve, direct engine; YIWANG_LIVE_WORKERS for more
            processes) on YIWANG_LIVE_BIND (default: the web port + 1); every child is told that address, so pages
            link to the server that is really running

``--only web,worker,live`` starts a subset: a second app node of a scale-out deployment runs everything but the
clock, which one node runs (docs/deploy/scaling.md). Ctrl-C (or SIGTERM) stops all of them and exits 0. A child
that dies is restarted with backoff; one that keeps dying stops the group with a non-zero exit. Binding to anything
but loopback needs ``--public``.
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.platform.live.config import default_bind
from yiwang.platform.supervisor import ChildSpec, Supervisor, is_loopback_bind


def _profile(name: str, default):
    return getattr(getattr(settings, "PROFILE", None), name, default)


def children(*, bind: str, workers: int, threads: int, live_bind: str | None = None) -> list[ChildSpec]:
    python = sys.executable
    live_bind = live_bind or default_bind(bind)
    shared = {"YIWANG_LIVE_BIND": live_bind}
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
            env=shared,
        ),
        ChildSpec("worker", [python, "-m", "yiwang.cli", "db_worker", "--no-reload", "--interval", "1"], env=shared),
        ChildSpec("clock", [python, "-m", "yiwang.cli", "clock"], env=shared),
        # --public: the run command has already refused a non-loopback address unless it was given --public
        ChildSpec("live", [python, "-m", "yiwang.platform.live.serve", "--bind", live_bind, "--public"], env=shared),
    ]


def _live_bind(option: str | None, bind: str) -> str:
    """--live-bind, else the configured one (YIWANG_LIVE["BIND"], YIWANG_LIVE_BIND), else the web port + 1."""
    if option:
        return option
    configured = (getattr(settings, "YIWANG_LIVE", None) or {}).get("BIND") or _profile("live_bind", None)
    return configured or os.environ.get("YIWANG_LIVE_BIND") or default_bind(bind)


class Command(BaseCommand):
    help = "Start web + task worker + clock + live server as one supervised group (Ctrl-C stops all)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=None, help="host:port (default: YIWANG_BIND, 127.0.0.1:8000)")
        parser.add_argument("--live-bind", default=None, help="the live server's host:port (default: web port + 1)")
        parser.add_argument("--public", action="store_true", help="allow binding to a non-loopback address")
        parser.add_argument("--workers", type=int, default=None, help="web worker processes (YIWANG_WEB_WORKERS)")
        parser.add_argument("--threads", type=int, default=None, help="threads per web worker (YIWANG_WEB_THREADS)")
        parser.add_argument("--stop-timeout", type=float, default=10.0, help="seconds before SIGKILL on stop")
        parser.add_argument(
            "--only", default="", help="comma-separated subset of web,worker,clock,live (default: all four)"
        )

    def handle(self, *args, **options) -> None:
        bind = options["bind"] or _profile("bind", "127.0.0.1:8000")
        if not is_loopback_bind(bind) and not options["public"]:
            raise CommandError(
                f"refusing to listen on {bind}: not a loopback address. Put a reverse proxy in front, "
                "or pass --public if this machine is meant to be reachable (and set YIWANG_ALLOWED_HOSTS)."
            )
        live_bind = _live_bind(options["live_bind"], bind)
        if not is_loopback_bind(live_bind) and not options["public"]:
            raise CommandError(f"refusing to listen on {live_bind} (live server): not a loopback address (--public)")
        workers = options["workers"] or _profile("web_workers", 2)
        threads = options["threads"] or _profile("web_threads", 4)
        address = bind if bind.startswith("unix:") else f"http://{bind}/"
        specs = children(bind=bind, workers=workers, threads=threads, live_bind=live_bind)
        if options["only"]:
            wanted = {name.strip() for name in options["only"].split(",") if name.strip()}
            unknown = wanted - {spec.name for spec in specs}
            if unknown or not wanted:
                raise CommandError(f"--only takes web, worker, clock, live; not {', '.join(sorted(unknown)) or '-'}")
            specs = [spec for spec in specs if spec.name in wanted]
        web = any(spec.name == "web" for spec in specs)
        supervisor = Supervisor(
            specs,
            out=self.stdout._out,
            stop_timeout=options["stop_timeout"],
            ready_url=None if bind.startswith("unix:") or not web else f"http://{bind}/api/v1/openapi.json",
            ready_message=f"一网交易 is ready: {address}  live: http://{live_bind}/live/  (Ctrl-C stops all)",
        )
        code = supervisor.run()
        if code:
            raise CommandError("a child process kept failing; everything was stopped", returncode=code)
