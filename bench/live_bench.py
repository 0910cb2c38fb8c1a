"""Command-log appends and SSE fan-out, on loopback (docs/live.md has the results).

    # SQLite (embedded profile, database broadcaster)
    YIWANG_DATA_DIR=$(mktemp -d) .venv/bin/python bench/live_bench.py appends
    YIWANG_DATA_DIR=$(mktemp -d) .venv/bin/python bench/live_bench.py fanout --watchers 1000 5000 10000 --rate 4
    # PostgreSQL (NOTIFY). The throwaway cluster runs with fsync=off on its command line; `--fsync` tries
    # ALTER SYSTEM and prints what is in force (a command-line setting wins: then the numbers are without fsync)
    tools/pg-test-server run -- .venv/bin/python bench/live_bench.py appends --fsync
    tools/pg-test-server run -- .venv/bin/python bench/live_bench.py fanout --watchers 1000 5000 10000 --rate 4
    # Redis pub/sub: --redis starts a throwaway redis-server on a free loopback port (Debian's redis-server)
    YIWANG_DATA_DIR=$(mktemp -d) .venv/bin/python bench/live_bench.py fanout --redis --workers 2 \
        --watchers 1000 5000 10000 --rate 4 --seconds 5 --repeat 3 [--spans]

appends: threads appending commands (each in its own transaction, so each is durable when it returns) to one
hot stream, or each to its own stream; and batches of one stream in one transaction (engine.submit_many).

fanout: a live server (`python -m yiwang.platform.live.serve`, `--engine direct|uvicorn`, `--workers N` on
one port), N watchers of one public lot channel split over `--clients` processes (raw sockets on one epoll
each, reading in rounds with a `--nap`, SCHED_BATCH), events published from this process through the
configured broadcaster at a steady `--rate`. Latency = the watcher's read time − the publisher's clock before
the commit. Each run prints one JSON line: p50/p99/max, updates received, the workers' own delivery count
and `lost` (written − received), how many watchers ended on the last event, CPU seconds of the server (all
workers), the watchers and the kernel's ksoftirqd threads, the server's fan-out timing (CPU and wall of the
loop over the watchers, from /live/_health), the load average before and after, and the fd limit (raised to
the hard limit; reported when too low). On a loaded machine read the CPU figures: wall ≫ CPU means waiting.
Every loop is bounded in time; every process started here (server, watchers, redis-server) is stopped here.
"""

from __future__ import annotations

import argparse
import contextlib
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


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live children (the --workers processes of the live server)."""
    total = 0.0
    try:
        total = _cpu_seconds(pid)
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            total += _tree_cpu(int(child))
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return total


def _softirq_cpu() -> float:
    """CPU seconds of the kernel's ksoftirqd threads: loopback packets that the sending process's own softirq
    budget did not cover are processed there, a thread that waits its turn like any other on a busy machine."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            text = stat.read_text()
            if "(ksoftirqd/" in text:
                fields = text.rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _health(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/live/_health", timeout=10) as r:
            return json.loads(r.read())
    except OSError:  # busy accepting thousands of connections: ask again
        return {"subscribed": False, "watchers": 0, "deliveries": -1}


def _joined(port: int, count: int, workers: int, timeout: float = 120) -> int:
    """Wait until the server's workers report ``count`` watchers joined (health answers for one worker at a
    time: ask until every worker's pid was seen); the number joined."""
    seen: dict[int, int] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = _health(port)
        if health.get("deliveries", -1) >= 0:
            seen[health.get("pid", 0)] = health["watchers"]
        if len(seen) >= workers and sum(seen.values()) >= count:
            break
        time.sleep(0.1)
    return sum(seen.values())


def _worker_health(port: int, workers: int, timeout: float = 60) -> list[dict]:
    """Each worker's ``/live/_health`` (deliveries, fan-out summary), asking until every worker answered."""
    seen: dict[int, dict] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < workers and time.monotonic() < deadline:
        health = _health(port)
        if "fanout" in health:
            seen[health.get("pid", 0)] = health
        time.sleep(0.05)
    return list(seen.values())


def _raise_fd_limit(needed: int) -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    note = f"fd limit {hard}"
    if hard < needed:
        note += f" (too low for {needed}: raise the hard limit, e.g. ulimit -Hn, or use more client processes)"
    return note


class _Watcher:
    """One SSE connection, as cheap as Python allows: no task, no SSE parser, no JSON — only the frame's ``id``
    and the publisher's ``"sent"`` time are picked out of the bytes."""

    __slots__ = ("buffer", "head", "last", "sock", "updates")

    def __init__(self, sock: socket.socket):
        self.sock, self.buffer, self.head, self.last, self.updates = sock, b"", True, 0, 0

    def feed(self, data: bytes, now: float, latencies: list[tuple[int, float]]) -> bool:
        """False when the response is not a stream."""
        buffer = self.buffer + data
        if self.head:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return True
            if not buffer.startswith(b"HTTP/1.1 200"):
                return False
            self.head, buffer = False, buffer[end + 4 :]
        start = 0
        while True:
            end = buffer.find(b"\n\n", start)
            if end < 0:
                break
            at = buffer.find(b"id: ", start, end)  # (under uvicorn a chunk-size line comes first)
            if at >= 0:
                line = buffer.find(b"\n", at)
                self.last = int(buffer[at + 4 : line])
                sent = buffer.find(b'"sent":', line, end) + 7
                latencies.append((self.last, now - float(buffer[sent : buffer.find(b",", sent, end)])))
                self.updates += 1
            start = end + 2
        self.buffer = buffer[start:]
        return True


def _by_event(latencies: list[tuple[int, float]]) -> dict[int, list[float]]:
    """Per event id: the first and the last watcher's latency in ms (where the time goes: the spread is fan-out)."""
    spans: dict[int, list[float]] = {}
    for event_id, x in latencies:
        span = spans.setdefault(event_id, [x, x])
        span[0], span[1] = min(span[0], x), max(span[1], x)
    return {k: [round(v[0] * 1000, 1), round(v[1] * 1000, 1)] for k, v in sorted(spans.items())}


def _watch(port: int, count: int, seconds: float, channel: str, nap: float) -> dict:
    """``count`` connections on one epoll, read in rounds: after each round the process naps ``nap`` seconds so
    bytes pile up and one wakeup serves many sockets (the receipt time is taken when a socket is read, so a nap
    can only make the measured latency longer, never shorter)."""
    import select

    latencies: list[tuple[int, float]] = []
    request = f"GET /live/{channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    poller = select.epoll()
    watchers: dict[int, _Watcher] = {}
    failed = 0
    for _ in range(count):
        sock = socket.socket()
        sock.settimeout(10)
        try:
            sock.connect(("127.0.0.1", port))
            sock.sendall(request)
        except OSError:
            failed += 1
            sock.close()
            continue
        sock.setblocking(False)
        watchers[sock.fileno()] = _Watcher(sock)
        poller.register(sock.fileno(), select.EPOLLIN)
    print(json.dumps({"connected": len(watchers), "failed": failed}), flush=True)
    cpu0 = time.process_time()
    stdin = sys.stdin.fileno()
    poller.register(stdin, select.EPOLLIN)
    final = 0
    deadline = time.monotonic() + seconds
    drain_until = None
    checked = 0.0
    while time.monotonic() < (drain_until or deadline):
        events = poller.poll(0.5)
        now = time.time()
        for fd, _mask in events:
            if fd == stdin:
                final = int(os.read(stdin, 64).strip() or 0)
                poller.unregister(stdin)
                drain_until = time.monotonic() + 60  # until every watcher has the last event (or 60 s)
                continue
            watcher = watchers[fd]
            try:
                data = watcher.sock.recv(262144)
            except BlockingIOError:
                continue
            if not data or not watcher.feed(data, now, latencies):
                poller.unregister(fd)
        if drain_until is not None and time.monotonic() > checked + 0.2:
            checked = time.monotonic()
            if all(w.last >= final for w in watchers.values()):
                break
        if events and nap:
            time.sleep(nap)
    cpu = time.process_time() - cpu0
    for watcher in watchers.values():
        watcher.sock.close()
    return {
        "cpu_s": cpu,
        "watchers": len(watchers),
        "failed": failed,
        "updates": sum(w.updates for w in watchers.values()),
        "at_last_event": sum(1 for w in watchers.values() if w.last == final),
        "latencies_ms": [round(x * 1000, 2) for _, x in latencies],
        "by_event": _by_event(latencies),
    }


def watchers(args) -> None:
    print(json.dumps({"fd": _raise_fd_limit(args.count + 50)}), flush=True)
    with contextlib.suppress(OSError, AttributeError):  # a woken watcher must not preempt the server mid-fan-out
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    result = _watch(args.port, args.count, args.seconds, args.channel, args.nap)
    print(json.dumps(result), flush=True)


class _Redis:
    """A throwaway redis-server on a free loopback port (no persistence), stopped by ``close``."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.close()
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _fanout_run(args, count: int, env: dict) -> dict:
    from django.db import transaction

    from yiwang.platform.live import config
    from yiwang.platform.live.publish import publish

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "yiwang.platform.live.serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--engine",
            args.engine,
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    clients: list[subprocess.Popen] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _health(port)["subscribed"]:
            time.sleep(0.2)
        time.sleep(0.5 * args.workers)  # every worker subscribed (health answers from one of them)
        channel = f"auction.lot:{port}"
        shares = [count // args.clients + (1 if i < count % args.clients else 0) for i in range(args.clients)]
        for share in shares:
            clients.append(
                subprocess.Popen(
                    [
                        *(sys.executable, __file__, "watchers", "--port", str(port), "--count", str(share)),
                        *("--seconds", str(args.seconds + 120), "--channel", channel, "--nap", str(args.nap)),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    env=env,
                )
            )
        connected = failed = 0
        fd_note = ""
        for client in clients:
            fd_note = json.loads(client.stdout.readline())["fd"]
            line = json.loads(client.stdout.readline())  # once all its connections are open
            connected += line["connected"]
            failed += line["failed"]
        joined = _joined(port, count, args.workers)
        with transaction.atomic():  # the publisher's first publish opens its connection: not in the figures
            publish(f"auction.lot:warm{port}", 1, {"warm": True})
        load_before = _loadavg()
        cpu0 = (_tree_cpu(server.pid), _softirq_cpu())
        wall0, sent = time.monotonic(), 0
        interval = 1 / args.rate
        while time.monotonic() - wall0 < args.seconds:
            sent += 1
            with transaction.atomic():
                publish(channel, sent, {"sent": time.time(), "price": 1_000_000 + sent * 1000, "pad": "x" * 200})
            time.sleep(max(0.0, wall0 + sent * interval - time.monotonic()))
        wall = time.monotonic() - wall0
        results = []
        for client in clients:
            client.stdin.write(f"{sent}\n")
            client.stdin.flush()
        for client in clients:
            results.append(json.loads(client.stdout.readlines()[-1]))
            client.wait(30)
        healths = _worker_health(port, args.workers)  # after the watchers caught up: every fan-out is done
        # CPU from "all joined" to "every watcher has the last event": the server (all workers), the watcher
        # processes (their own account: from "all connected"), the kernel's ksoftirqd threads
        cpu = (_tree_cpu(server.pid) - cpu0[0], sum(r["cpu_s"] for r in results), _softirq_cpu() - cpu0[1])
        caught_up = time.monotonic() - wall0
        fanouts = [h["fanout"] for h in healths]
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
                client.wait()
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    latencies = sorted(x for r in results for x in r["latencies_ms"])
    spans: dict[str, list[float]] = {}
    for r in results:
        for k, (low, high) in r["by_event"].items():
            span = spans.setdefault(k, [low, high])
            span[0], span[1] = min(span[0], low), max(span[1], high)
    if args.spans:
        print(json.dumps({"first_and_last_ms_by_event": spans}), flush=True)
    updates = sum(r["updates"] for r in results)
    coalesce = config.get().kinds["auction.lot"].coalesce_ms
    every_event_alone = interval * 1000 >= coalesce
    return {
        "broadcaster": config.get().broadcaster,
        "engine": args.engine,
        "workers": args.workers,
        "clients": args.clients,
        "nap_ms": args.nap * 1000,
        "watchers": count,
        "connected": connected,
        "joined": joined,
        "failed": failed,
        "rate_per_s": args.rate,
        "coalesce_ms": coalesce,
        "published": sent,
        "updates": updates,
        # each event alone in its coalescing window: every watcher must get every event
        "expected": count * sent if every_event_alone else None,
        "at_last_event": sum(r["at_last_event"] for r in results),
        # what the server's workers wrote (coalescing merges events the hub got within one window, e.g. when it
        # got them late on a loaded machine); lost = written − received, 0 when nothing was lost
        "server_deliveries": sum(h["deliveries"] for h in healths) if len(healths) == args.workers else None,
        "lost": sum(h["deliveries"] for h in healths) - updates if len(healths) == args.workers else None,
        "p50_ms": round(_pct(latencies, 0.5), 1),
        "p99_ms": round(_pct(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "server_cpu_s": round(cpu[0], 2),
        "watchers_cpu_s": round(cpu[1], 2),
        "ksoftirqd_cpu_s": round(cpu[2], 2),
        # the server's own account of each fan-out (the loop over the watchers): CPU vs wall
        "fanout_cpu_ms_p99": max((f.get("cpu_ms_p99", 0) for f in fanouts), default=None),
        "fanout_wall_ms_p99": max((f.get("wall_ms_p99", 0) for f in fanouts), default=None),
        "server_us_per_update": round(cpu[0] / max(updates, 1) * 1e6, 1),
        "publishing_s": round(wall, 1),
        "caught_up_s": round(caught_up, 1),
        "load_before": load_before,
        "load_after": _loadavg(),
        "fd": fd_note,
    }


def fanout(args) -> None:
    redis = None
    if args.redis:
        redis = _Redis()
        os.environ.update(YIWANG_LIVE_BROADCASTER="redis", YIWANG_REDIS_URL=redis.url)
    try:
        _setup()
        from yiwang.platform.live import config

        print(_machine(), "broadcaster:", config.get().broadcaster, "|", _raise_fd_limit(20_000), flush=True)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
        for count in args.watchers:
            for _ in range(args.repeat):
                print(json.dumps(_fanout_run(args, count, env)), flush=True)
    finally:
        if redis is not None:
            redis.close()


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
    f.add_argument("--engine", choices=("direct", "uvicorn"), default="direct", help="the live server's engine")
    f.add_argument("--workers", type=int, default=1, help="live server processes on the port (SO_REUSEPORT)")
    f.add_argument("--clients", type=int, default=2, help="watcher processes")
    f.add_argument("--nap", type=float, default=0.002, help="watchers nap after each read round (seconds)")
    f.add_argument("--spans", action="store_true", help="print each event's first and last delivery latency")
    f.add_argument("--repeat", type=int, default=1, help="runs per watcher count")
    f.add_argument("--redis", action="store_true", help="start a throwaway redis-server and use the redis broadcaster")
    w = sub.add_parser("watchers")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--count", type=int, required=True)
    w.add_argument("--seconds", type=float, required=True)
    w.add_argument("--channel", required=True)
    w.add_argument("--nap", type=float, default=0.002)
    args = parser.parse_args()
    {"appends": appends, "fanout": fanout, "watchers": watchers}[args.what](args)


if __name__ == "__main__":
    main()
