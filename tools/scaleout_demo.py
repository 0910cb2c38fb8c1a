"""``make scaleout-demo``: the scale-out deployment on one machine, on loopback, then load through it.

What starts (Debian packages, installed when missing; everything in a temporary directory, stopped and deleted at
the end whatever happens):

* PostgreSQL 15 primary, and a hot standby made from it with ``pg_basebackup -R`` (streaming replication);
* Redis (cache and live fan-out: the ``scaleout`` profile's broadcaster);
* two app nodes: node A runs ``yiwang run`` (web, task worker, clock, live server), node B
  ``yiwang run --only web,worker,live`` (one clock per deployment);
* nginx in front: ``/live/`` to both live servers (SSE, unbuffered), everything else to both web servers.

Then, through nginx only:

1. public reads (search and the public feed, anonymous): served by both nodes, and read from the replica
   (``platform/web/replica.py``) — proved by the replica's own transaction counter;
2. the deadline burst (``bench/tender_burst_bench.py --target``): the bench prepares its data in the primary, the
   sealed bids go through nginx to both nodes, and the bench checks that nothing acknowledged was lost and nothing
   late was accepted;
3. the auction burst (``bench/auction_bench.py http --target``): bidders registered in the primary, each signed in
   by a personal token, bid on one lot in its last seconds through nginx; the deployment's own clock closes it;
   the bench checks zero lost, zero phantom, nothing accepted after the close, and the log replaying to the read
   model.

Exit status 0 only when every check held. ``--keep`` leaves the cluster running until Ctrl-C (to click around:
the address is printed). ``--skip-bursts`` runs only the topology and the read check (quick).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
IS_ROOT = os.geteuid() == 0
SUDO = [] if IS_ROOT else ["sudo"]
PASSWORD = "yiwang"  # noqa: S105 - a throwaway cluster on loopback, deleted at the end


def say(message: str) -> None:
    print(f"[scaleout] {message}", flush=True)


def apt_install(*packages: str) -> None:
    say(f"installing {' '.join(packages)} from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*SUDO, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*SUDO, "apt-get", "install", "-y", "-qq", *packages], check=True, env=env, stdout=subprocess.DEVNULL
    )


def pg_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def ensure_packages() -> Path:
    missing = []
    if pg_bindir() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        missing.append("nginx")
    if missing:
        apt_install(*missing)
    bindir = pg_bindir()
    assert bindir is not None, "PostgreSQL did not install"
    return bindir


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Ports:
    base: int

    @property
    def nginx(self) -> int:
        return self.base

    @property
    def node_a(self) -> int:
        return self.base + 10  # live server: +1

    @property
    def node_b(self) -> int:
        return self.base + 20  # live server: +1

    @property
    def primary(self) -> int:
        return self.base + 30

    @property
    def replica(self) -> int:
        return self.base + 31

    @property
    def redis(self) -> int:
        return self.base + 32


@dataclass
class Cluster:
    bindir: Path
    ports: Ports
    root: Path
    children: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    pg_dirs: list[Path] = field(default_factory=list)

    # -- processes ------------------------------------------------------------------------------------------------

    def as_postgres(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if IS_ROOT else []

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "w")  # noqa: SIM115 - closed with the process at stop
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
        self.children.append((name, proc))
        return proc

    def stop(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 20
        for _name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        for data in reversed(self.pg_dirs):
            subprocess.run(
                [*self.as_postgres(), str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                capture_output=True,
                check=False,
            )

    # -- PostgreSQL -------------------------------------------------------------------------------------------

    def psql(self, port: int, sql: str, db: str = "yiwang") -> str:
        out = subprocess.run(
            [str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "yiwang", "-d", db, "-Atqc", sql],
            env={**os.environ, "PGPASSWORD": PASSWORD},
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def start_primary(self) -> None:
        data = self.root / "primary"
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if IS_ROOT:
            shutil.chown(pwfile, "postgres")
        subprocess.run(
            [
                *self.as_postgres(),
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "yiwang",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
        )
        self._pg_start(data, self.ports.primary, "-c wal_level=replica -c max_wal_senders=5 -c max_connections=300")
        self.psql(self.ports.primary, "CREATE DATABASE yiwang", db="postgres")
        say(f"PostgreSQL primary on 127.0.0.1:{self.ports.primary}")

    def start_replica(self) -> None:
        data = self.root / "replica"
        subprocess.run(
            [
                *self.as_postgres(),
                "env",
                f"PGPASSWORD={PASSWORD}",
                str(self.bindir / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.ports.primary),
                "-U",
                "yiwang",
                "-D",
                str(data),
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",  # do not wait for the next scheduled checkpoint
            ],
            check=True,
            capture_output=True,
        )
        self._pg_start(data, self.ports.replica, "-c hot_standby=on -c max_connections=300")
        assert self.psql(self.ports.replica, "SELECT pg_is_in_recovery()") == "t", "the replica is not a standby"
        say(f"PostgreSQL hot standby on 127.0.0.1:{self.ports.replica} (streaming from the primary)")

    def _pg_start(self, data: Path, port: int, options: str) -> None:
        subprocess.run(
            [
                *self.as_postgres(),
                str(self.bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(self.root / f"{data.name}.log"),
                "-w",
                "-t",
                "60",
                "start",
                "-o",
                f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={self.root} {options}",
            ],
            check=True,
            capture_output=True,
        )
        self.pg_dirs.append(data)

    # -- the rest ---------------------------------------------------------------------------------------------

    def start_redis(self) -> None:
        self.spawn(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.ports.redis),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        say(f"Redis on 127.0.0.1:{self.ports.redis}")

    def app_env(self) -> dict[str, str]:
        db = f"postgres://yiwang:{PASSWORD}@127.0.0.1"
        return {
            **os.environ,
            "YIWANG_PROFILE": "scaleout",
            "YIWANG_DATABASE_URL": f"{db}:{self.ports.primary}/yiwang",
            "YIWANG_REPLICA_URL": f"{db}:{self.ports.replica}/yiwang",
            "YIWANG_REDIS_URL": f"redis://127.0.0.1:{self.ports.redis}/0",
            "YIWANG_SECRET_KEY": secrets.token_urlsafe(40),
            "YIWANG_DATA_DIR": str(self.root / "data"),  # one blob store for both nodes (one machine)
            "YIWANG_PUBLIC_URL": f"http://127.0.0.1:{self.ports.nginx}",
            "YIWANG_LIVE_URL": f"http://127.0.0.1:{self.ports.nginx}",
            "YIWANG_WEB_WORKERS": "2",
            # nginx on loopback is the only way in: its X-Forwarded-For names the client (the bid box's upload IP)
            "YIWANG_TRUSTED_PROXIES": '["127.0.0.1", "::1"]',
        }

    def prepare_database(self, env: dict[str, str]) -> None:
        yiwang = [PYTHON, "-m", "yiwang.cli"]
        subprocess.run([*yiwang, "migrate", "--no-input", "-v", "0"], env=env, check=True, cwd=ROOT)
        # reference data only: the burst bench registers its own parties (the demo's would collide with them)
        subprocess.run([*yiwang, "seed-reference"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        say("migrated and loaded the reference data through the primary")

    def start_nodes(self, env: dict[str, str]) -> None:
        yiwang = [PYTHON, "-m", "yiwang.cli", "run"]
        self.spawn("node-a", [*yiwang, "--bind", f"127.0.0.1:{self.ports.node_a}"], env)
        self.spawn("node-b", [*yiwang, "--bind", f"127.0.0.1:{self.ports.node_b}", "--only", "web,worker,live"], env)
        for port in (self.ports.node_a, self.ports.node_b):
            wait_ok(f"http://127.0.0.1:{port}/api/v1/openapi.json", 600)
        say(f"app node A on :{self.ports.node_a} (web, worker, clock, live), node B on :{self.ports.node_b}")

    def start_nginx(self) -> None:
        conf_dir = self.root / "nginx"
        for sub in ("", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (conf_dir / sub).mkdir(parents=True, exist_ok=True)
            (conf_dir / sub).chmod(0o777)
        conf = conf_dir / "nginx.conf"
        conf.write_text(nginx_conf(self.ports, conf_dir))
        self.spawn("nginx", [nginx_binary(), "-p", str(conf_dir), "-c", str(conf), "-g", "daemon off;"])
        wait_ok(f"http://127.0.0.1:{self.ports.nginx}/api/v1/openapi.json", 30)
        say(f"nginx on http://127.0.0.1:{self.ports.nginx}/ in front of both nodes")


def nginx_conf(ports: Ports, conf_dir: Path) -> str:
    user = "user root root;\n" if IS_ROOT else ""
    return f"""{user}worker_processes 1;
pid {conf_dir}/nginx.pid;
error_log {conf_dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_max_body_size 64m;
  client_body_temp_path {conf_dir}/body;
  proxy_temp_path {conf_dir}/proxy;
  fastcgi_temp_path {conf_dir}/fastcgi;
  uwsgi_temp_path {conf_dir}/uwsgi;
  scgi_temp_path {conf_dir}/scgi;
  upstream yiwang_web {{ server 127.0.0.1:{ports.node_a}; server 127.0.0.1:{ports.node_b}; keepalive 64; }}
  upstream yiwang_live {{ server 127.0.0.1:{ports.node_a + 1}; server 127.0.0.1:{ports.node_b + 1}; }}
  server {{
    listen 127.0.0.1:{ports.nginx};
    add_header X-Yiwang-Upstream $upstream_addr always;
    location /live/ {{
      proxy_pass http://yiwang_live;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 1h;
    }}
    location / {{
      proxy_pass http://yiwang_web;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_request_buffering on;
    }}
  }}
}}
"""


def wait_ok(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def replica_commits(cluster: Cluster) -> int:
    return int(cluster.psql(cluster.ports.replica, "SELECT xact_commit FROM pg_stat_database WHERE datname='yiwang'"))


def read_check(cluster: Cluster, requests: int) -> dict[str, object]:
    """Anonymous public reads through nginx: every one answered, both nodes used, the replica read from. (Search
    pages are left out: the search backend reads through the default connection with raw SQL, so it reads the
    primary — docs/deploy/scaling.md.)"""
    base = f"http://127.0.0.1:{cluster.ports.nginx}"
    paths = ["/api/v1/feed?limit=50", "/api/v1/notices", "/api/v1/catalog/regions/310000"]
    before = replica_commits(cluster)

    def fetch(i: int) -> tuple[int, str, float]:
        start = time.perf_counter()
        request = urllib.request.Request(base + paths[i % len(paths)])  # noqa: S310 - loopback
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                response.read()
                return response.status, response.headers.get("X-Yiwang-Upstream", ""), time.perf_counter() - start
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("X-Yiwang-Upstream", ""), time.perf_counter() - start
        except OSError:  # a timeout or a refused connection counts as a failed read
            return 0, "", time.perf_counter() - start

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(fetch, range(requests)))
    elapsed = time.perf_counter() - started
    # A backend reports its transaction counts when it goes idle, at most every 10 s (PostgreSQL 15's statistics):
    # wait, boundedly, for the app nodes' pooled connections to report.
    after = replica_commits(cluster)
    for _ in range(30):
        if after - before >= requests // 2:
            break
        time.sleep(1)
        after = replica_commits(cluster)
    statuses = Counter(status for status, _u, _t in results)
    upstreams = Counter(upstream for _s, upstream, _t in results)
    latencies = sorted(t for _s, _u, t in results)
    return {
        "requests": requests,
        "per_second": round(requests / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "statuses": dict(statuses),
        "upstreams": dict(upstreams),
        "replica_transactions": after - before,
        "ok": statuses.get(200, 0) == requests and len(upstreams) >= 2 and after - before >= requests // 2,
    }


def burst(cluster: Cluster, env: dict[str, str], name: str, argv: list[str]) -> dict[str, object]:
    """Run a bench against the cluster (data prepared in the primary, traffic through nginx)."""
    target = f"http://127.0.0.1:{cluster.ports.nginx}"
    say(f"{name}: {' '.join(argv)} --target {target}")
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, *argv, "--target", target],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    (cluster.root / f"{name}.out").write_text(done.stdout + done.stderr)
    print(done.stdout[-4000:], flush=True)
    if done.returncode:
        print(done.stderr[-4000:], flush=True)
    return {"command": argv, "exit": done.returncode, "seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("YIWANG_SCALEOUT_PORT", "58000")))
    parser.add_argument("--reads", type=int, default=300, help="public reads through nginx")
    parser.add_argument("--skip-bursts", action="store_true", help="only the topology and the read check")
    parser.add_argument("--tender-bidders", type=int, default=200)
    parser.add_argument("--tender-mb", type=float, default=1.0)
    parser.add_argument("--auction-bidders", type=int, default=300)
    parser.add_argument("--auction-window", type=float, default=30.0, help="seconds of the lot's last minute")
    parser.add_argument("--keep", action="store_true", help="leave it running until Ctrl-C")
    args = parser.parse_args()

    def stop_on_signal(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)  # so the cleanup below runs on SIGTERM and SIGHUP too

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)
    bindir = ensure_packages()
    root = Path(tempfile.mkdtemp(prefix="yiwang-scaleout."))
    root.chmod(0o755)
    if IS_ROOT:
        shutil.chown(root, "postgres")
    cluster = Cluster(bindir, Ports(args.port), root)
    report: dict[str, object] = {"machine": f"{os.cpu_count()} CPUs", "ports": args.port}
    ok = False
    try:
        cluster.start_primary()
        cluster.start_replica()
        cluster.start_redis()
        env = cluster.app_env()
        cluster.prepare_database(env)
        cluster.start_nodes(env)
        cluster.start_nginx()
        lag = cluster.psql(cluster.ports.primary, "SELECT count(*) FROM pg_stat_replication WHERE state='streaming'")
        report["replication"] = {"streaming_standbys": int(lag)}
        report["reads"] = read_check(cluster, args.reads)
        say(f"reads: {json.dumps(report['reads'], ensure_ascii=False)}")
        checks = [bool(report["reads"]["ok"]), int(lag) == 1]  # type: ignore[index]
        if not args.skip_bursts:
            tender = burst(
                cluster,
                env,
                "tender-burst",
                [
                    "bench/tender_burst_bench.py",
                    "--bidders",
                    str(args.tender_bidders),
                    "--mb",
                    str(args.tender_mb),
                ],
            )
            auction = burst(
                cluster,
                env,
                "auction-burst",
                [
                    "bench/auction_bench.py",
                    "http",
                    "--bidders",
                    str(args.auction_bidders),
                    "--window",
                    str(args.auction_window),
                    "--think",
                    "5",
                ],
            )
            report["bursts"] = {"tender": tender, "auction": auction}
            checks += [tender["exit"] == 0, auction["exit"] == 0]
        ok = all(checks)
        report["ok"] = ok
        print(json.dumps(report, ensure_ascii=False, indent=2), flush=True)
        if args.keep:
            say(f"running on http://127.0.0.1:{cluster.ports.nginx}/ — Ctrl-C stops and deletes everything")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    finally:
        cluster.stop()
        if ok:
            shutil.rmtree(root, ignore_errors=True)
    say("all checks held" if ok else f"a check failed: the logs are in {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
