"""Command-log appends and SSE fan-out, on loopback (docs/live.md has the results).

    # SQLite (embedded profile, database broadcaster)
    YIWANG_DATA_DIR=$(mktemp -d) .venv/bin/python bench/live_bench.py appends
    YIWANG_DATA_DIR=$(mktemp -d) .venv/bin/python bench/live_bench.py fanout --watchers 1000 5000 10000
    # PostgreSQL (NOTIFY). The throwaway cluster runs with fsync=off on its command line; `--fsync` tries
    # ALTER SYSTEM and prints what is in force (a command-line setting wins: then the numbers are without fsync)
    tools/pg-test-server run -- .venv/bin/python bench/live_bench.py appends --fsync
    tools/pg-test-server run -- .venv/bin/python bench/live_bench.py fanout --watchers 1000 10000
    # Redis pub/sub: YIWANG_PROFILE=scaleout YIWANG_REDIS_URL=redis://127.0.0.1:6379/0 under pg-test-server

appends: threads appending commands (each in its own transaction, so each is durable when it returns) to one
hot stream, or each to its own stream; and batches of one stream in one transaction (engine.submit_many).
fanout: a live server (uvicorn, its own process), N watchers of one public lot channel (raw asyncio
connections in a separate process), events published from this process through the configured broadcaster
at a steady rate; latency = the watcher's receipt time − the publisher's time before the commit.
Every loop is bounded in time; every process started here is stopped here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _machine() -> str:
    from django.db import connection

    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, {connection.vendor}"


# -- appends ---------------------------------------------------------------------------------------------------------
def _append_run(threads: int, seconds: float, hot: bool, batch: int = 1) -> dict:
    from django.db import connection, transaction

    from yiwang.platform.commands import engine, log
    from yiwang.platform.commands.log import Entry

    class Count:
        name = "bench.count"

        def initial(self, stream):
            return {"n": 0}

        def apply(self, state, entry: Entry):
            return {"n": state["n"] + 1}

        def dump(self, state):
            return state

        def load(self, data):
            return data

    counter = Count()
    tag = f"{int(time.time() * 1000) % 10**9}"
    latencies: list[float] = []
    done = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    barrier = threading.Barrier(threads)

    def work(i: int) -> None:
        stream = f"bench.hot:{tag}" if hot else f"bench.many:{tag}.{i}"
        mine, n = [], 0
        barrier.wait()
        try:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                if batch == 1:
                    log.append(stream, {"i": i, "n": n}, actor_ref="bench")
                else:
                    with transaction.atomic():
                        engine.submit_many(
                            stream, counter, [({"i": i, "n": n + k}, "bench", None) for k in range(batch)]
                        )
                mine.append(time.perf_counter() - t0)
                n += batch
        finally:
            connection.close()
        with lock:
            latencies.extend(mine)
            done[0] += n

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "threads": threads,
        "hot": hot,
        "batch": batch,
        "commands_per_s": round(done[0] / elapsed),
        "commit_p50_ms": round(_pct(latencies, 0.5) * 1000, 2),
        "commit_p99_ms": round(_pct(latencies, 0.99) * 1000, 2),
    }


def appends(args) -> None:
    _setup()
    from django.db import connection

    if args.fsync and connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the throwaway test cluster starts with fsync=off
            cursor.execute("ALTER SYSTEM SET fsync = on")
            cursor.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)
        with connection.cursor() as cursor:
            cursor.execute("SHOW fsync")
            print("fsync:", cursor.fetchone()[0], "synchronous_commit: on")
    print(_machine())
    for threads, hot, batch in [(1, True, 1), (8, True, 1), (8, False, 1), (1, True, 16), (8, True, 16), (8, True, 64)]:
        print(json.dumps(_append_run(threads, args.seconds, hot, batch)))


# -- fan-out -------------------------------------------------------------------------------------------------------
def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/live/_health", timeout=10) as r:
            return json.loads(r.read())
    except OSError:  # busy accepting thousands of connections: ask again
        return {"subscribed": False, "watchers": 0, "deliveries": -1}


async def _watch(port: int, count: int, seconds: float, channel: str) -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from yiwang.platform.live.testing import TcpSseClient

    latencies: list[float] = []
    received = [0]
    connected = 0

    async def one() -> None:
        nonlocal connected
        client = await TcpSseClient("127.0.0.1", port, f"/live/{channel}").connect()
        connected += 1
        try:
            while True:
                events = await client.read_events()
                if not events:
                    return
                now = time.time()
                for event in events:
                    if event.event == "update":
                        received[0] += 1
                        latencies.append(now - event.json()["d"]["sent"])
        finally:
            client.close()

    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(one()))
        if i % 200 == 199:
            await asyncio.sleep(0.05)  # do not flood the listen backlog
    print(json.dumps({"connected": count}), flush=True)
    await asyncio.sleep(seconds)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "watchers": count,
        "updates": received[0],
        "p50_ms": round(_pct(latencies, 0.5) * 1000, 1),
        "p99_ms": round(_pct(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
    }


def watchers(args) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    result = asyncio.run(_watch(args.port, args.count, args.seconds, args.channel))
    print(json.dumps(result), flush=True)


def fanout(args) -> None:
    _setup()
    from django.db import transaction

    from yiwang.platform.live import config
    from yiwang.platform.live.publish import publish

    print(_machine(), "broadcaster:", config.get().broadcaster)
    for count in args.watchers:
        port = _free_port()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
        server = subprocess.Popen(
            [sys.executable, "-m", "yiwang.platform.live.serve", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)),
        )
        client = None
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if _health(port)["subscribed"]:
                    break
                time.sleep(0.2)
            channel = f"auction.lot:{port}"
            seconds = args.seconds
            client = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "watchers",
                    "--port",
                    str(port),
                    "--count",
                    str(count),
                    "--seconds",
                    str(seconds + 15),
                    "--channel",
                    channel,
                ],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and _health(port)["watchers"] < count:
                time.sleep(0.2)
            connected = _health(port)["watchers"]
            time.sleep(1)
            interval = 1 / args.rate
            cpu = (_cpu_seconds(server.pid), _cpu_seconds(client.pid))
            sent = 0
            start = time.monotonic()
            while time.monotonic() - start < seconds:
                sent += 1
                with transaction.atomic():
                    publish(channel, sent, {"sent": time.time(), "price": 1_000_000 + sent * 1000, "pad": "x" * 200})
                time.sleep(max(0.0, start + sent * interval - time.monotonic()))
            time.sleep(3)
            cpu = (_cpu_seconds(server.pid) - cpu[0], _cpu_seconds(client.pid) - cpu[1])
            out, _ = client.communicate(timeout=seconds + 60)
            result = json.loads(out.strip().splitlines()[-1])
            result.update(
                connected=connected,
                published=sent,
                rate_per_s=args.rate,
                coalesce_ms=config.get().kinds["auction.lot"].coalesce_ms,
                deliveries=_health(port)["deliveries"],
                server_cpu_s=round(cpu[0], 1),
                watcher_cpu_s=round(cpu[1], 1),
                window_s=seconds + 3,
            )
            print(json.dumps(result), flush=True)
        finally:
            if client is not None and client.poll() is None:
                client.kill()
                client.wait()
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    a = sub.add_parser("appends")
    a.add_argument("--seconds", type=float, default=5)
    a.add_argument("--fsync", action="store_true", help="PostgreSQL: turn fsync on in the (throwaway) cluster")
    f = sub.add_parser("fanout")
    f.add_argument("--watchers", type=int, nargs="+", default=[1000])
    f.add_argument("--seconds", type=float, default=10)
    f.add_argument("--rate", type=float, default=20, help="events published per second")
    w = sub.add_parser("watchers")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--count", type=int, required=True)
    w.add_argument("--seconds", type=float, required=True)
    w.add_argument("--channel", required=True)
    args = parser.parse_args()
    {"appends": appends, "fanout": fanout, "watchers": watchers}[args.what](args)


if __name__ == "__main__":
    main()
