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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="yiwang-live", description="the live (SSE) server")
    parser.add_argument("--bind", default=None, help="host:port (default: settings, web port + 1)")
    parser.add_argument("--public", action="store_true", help="allow a non-loopback address")
    parser.add_argument("--graceful", type=float, default=3.0, help="seconds to wait for streams to end on stop")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    from yiwang.platform.live import config
    from yiwang.platform.live.asgi import create_app

    bind = args.bind or config.get().bind
    if not is_loopback_bind(bind) and not args.public:
        print(f"refusing to listen on {bind}: not a loopback address (pass --public)", file=sys.stderr)  # noqa: T201
        return 2
    app = create_app()
    server = build_server(app, bind, args.graceful)
    print(f"live server on http://{bind}/live/<channel> ({config.get().broadcaster} broadcaster)", flush=True)  # noqa: T201
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
