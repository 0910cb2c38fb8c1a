"""Run the live server: ``python -m yiwang.platform.live.serve [--bind 127.0.0.1:8001]`` (``yiwang run`` does).

uvicorn on loopback by default. On SIGTERM/SIGINT every stream is told ``bye`` at once (browsers reconnect
after ``retry`` ms, to this server once it is back), then uvicorn waits at most ``--graceful`` seconds for
connections to end (``timeout_graceful_shutdown``) and stops. No access log: private streams carry their token
in the URL.
"""

from __future__ import annotations

import argparse
import os
import sys

from yiwang.platform.supervisor import is_loopback_bind


def _server_class():
    import uvicorn

    class LiveServer(uvicorn.Server):
        """uvicorn, but streams end as soon as a stop is asked for (an SSE stream never ends by itself)."""

        def handle_exit(self, sig, frame) -> None:
            live = getattr(getattr(self.config.loaded_app, "state", None), "live", None)
            app = self.config.app
            live = live or getattr(getattr(app, "state", None), "live", None)
            if live is not None:
                live.close_streams()
            super().handle_exit(sig, frame)

    return LiveServer


def build_server(app, bind: str, graceful: float = 3.0):
    import uvicorn

    if bind.startswith("unix:"):
        config = uvicorn.Config(app, uds=bind[5:], lifespan="on", access_log=False, timeout_graceful_shutdown=graceful)
    else:
        host, port = bind.rsplit(":", 1)
        config = uvicorn.Config(
            app,
            host=host.strip("[]"),
            port=int(port),
            lifespan="on",
            access_log=False,
            timeout_graceful_shutdown=graceful,
            backlog=4096,
            timeout_keep_alive=5,
            log_level=os.environ.get("YIWANG_LOG_LEVEL", "info").lower(),
        )
    return _server_class()(config)


def _bind_parts(bind: str) -> tuple[str, int]:
    host, port = bind.rsplit(":", 1)
    return host.strip("[]"), int(port)


def run_direct(app_live, bind: str, *, graceful: float, reuse_port: bool) -> None:
    """One process of the direct engine until SIGTERM/SIGINT (streams get ``bye`` at once)."""
    import asyncio
    import signal

    from yiwang.platform.live.direct import serve

    host, port = _bind_parts(bind)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(app_live, host, port, stop=stop, reuse_port=reuse_port, graceful=graceful)

    asyncio.run(main())


def run_workers(argv: list[str], workers: int) -> int:
    """``--workers N``: N processes of the direct engine on one port (SO_REUSEPORT); signals are passed on."""
    import signal
    import subprocess
    import time

    command = [sys.executable, "-m", "yiwang.platform.live.serve", *argv, "--workers", "1", "--reuse-port"]
    children = [subprocess.Popen(command) for _ in range(workers)]  # noqa: S603 (our own module, our arguments)

    def forward(sig, frame) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(sig)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while any(child.poll() is None for child in children):
        time.sleep(0.2)
    return max((child.returncode or 0) for child in children)


def _strip(argv: list[str], option: str, takes_value: bool) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == option:
            skip = takes_value
            continue
        if arg.startswith(option + "="):
            continue
        out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="yiwang-live", description="the live (SSE) server")
    parser.add_argument("--bind", default=None, help="host:port (default: settings, web port + 1)")
    parser.add_argument("--public", action="store_true", help="allow a non-loopback address")
    parser.add_argument("--graceful", type=float, default=3.0, help="seconds to wait for streams to end on stop")
    parser.add_argument(
        "--engine",
        choices=("direct", "uvicorn"),
        default=os.environ.get("YIWANG_LIVE_ENGINE", "direct"),
        help="direct: asyncio transports, one write per watcher (default); uvicorn: the ASGI app",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("YIWANG_LIVE_WORKERS", "1")),
        help="processes sharing the port (direct engine, SO_REUSEPORT), each subscribed to the broadcaster",
    )
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    from yiwang.platform.live import config
    from yiwang.platform.live.asgi import create_app

    bind = args.bind or config.get().bind
    if not is_loopback_bind(bind) and not args.public:
        print(f"refusing to listen on {bind}: not a loopback address (pass --public)", file=sys.stderr)  # noqa: T201
        return 2
    if args.workers < 1 or (args.workers > 1 and (args.engine != "direct" or bind.startswith("unix:"))):
        print("--workers N > 1 needs the direct engine on host:port", file=sys.stderr)  # noqa: T201
        return 2
    if args.workers > 1:
        rest = _strip(_strip(list(sys.argv[1:] if argv is None else argv), "--workers", True), "--reuse-port", False)
        print(f"live server on http://{bind}/live/<channel>: {args.workers} workers", flush=True)  # noqa: T201
        return run_workers(rest, args.workers)
    app = create_app()
    note = f"{config.get().broadcaster} broadcaster, {args.engine} engine"
    print(f"live server on http://{bind}/live/<channel> ({note})", flush=True)  # noqa: T201
    if args.engine == "direct" and not bind.startswith("unix:"):
        run_direct(app.state.live, bind, graceful=args.graceful, reuse_port=args.reuse_port)
        return 0
    server = build_server(app, bind, args.graceful)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
