"""How many actions per second the witness chain + feed allow, by number of concurrent writers.

Each action is the smallest real one: one witness entry and one feed event (``do_touch_thing``), committed.
All actions serialise on the two head rows at commit (docs/adr/0003), so this measures the ceiling every
action of the platform shares.

    .venv/bin/python bench/feed_append.py                               # SQLite only
    tools/pg-test-server run -- .venv/bin/python bench/feed_append.py   # SQLite and PostgreSQL side by side

Each engine runs in a fresh process and a fresh database (SQLite: a temporary data directory; PostgreSQL: the
database named by YIWANG_DATABASE_URL, migrated first). Results go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _write_until(index: int, deadline: float) -> int:
    """One writer: touch things until ``deadline`` (time.monotonic); returns how many actions committed."""
    from django.db import connection

    from yiwang.kernel.actors import Actor
    from yiwang.platform.testing import do_touch_thing

    actor = Actor.system(f"bench-{index}")
    n, done = index * 10_000_000, 0
    try:
        while time.monotonic() < deadline:
            do_touch_thing(actor=actor, n=n + done)
            done += 1
    finally:
        connection.close()
    return done


def _process_writer(index: int, start_at: float, seconds: float, results) -> None:
    while time.monotonic() < start_at:
        time.sleep(0.001)
    results.put(_write_until(index, start_at + seconds))


def measure(writers: int, seconds: float, mode: str) -> dict:
    """``writers`` concurrent writers for ``seconds``: threads of this process, or processes (as gunicorn
    workers are). Returns committed actions per second."""
    import multiprocessing

    from django.db import connection

    connection.close()  # nothing shared across fork
    start_at = time.monotonic() + (0.5 if mode == "processes" else 0.05)
    counts: list[int] = []
    if mode == "processes":
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        procs = [ctx.Process(target=_process_writer, args=(i, start_at, seconds, queue)) for i in range(writers)]
        for proc in procs:
            proc.start()
        counts = [queue.get(timeout=seconds + 60) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
            if proc.exitcode != 0:
                raise RuntimeError(f"writer process failed with {proc.exitcode}")
    else:
        errors: list[BaseException] = []

        def write(i: int) -> None:
            try:
                while time.monotonic() < start_at:
                    time.sleep(0.001)
                counts.append(_write_until(i, start_at + seconds))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
    elapsed = time.monotonic() - start_at
    return {"writers": writers, "actions": sum(counts), "seconds": elapsed, "per_second": sum(counts) / elapsed}


def engine_run(writer_counts: list[int], seconds: float, mode: str) -> None:
    """Child process: migrate a fresh database and measure; print one JSON line."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from yiwang.platform.audit import chain

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
        else:
            cur.execute("SELECT sqlite_version()")
        version = cur.fetchone()[0]
    connection.close()
    results = [measure(w, seconds, mode) for w in writer_counts]
    assert chain.verify().ok
    connection.close()
    print(json.dumps({"engine": connection.vendor, "version": version, "results": results}))


def run_engine(engine: str, writer_counts: list[int], seconds: float, mode: str) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as data_dir:
        if engine == "sqlite":
            env = {k: v for k, v in env.items() if k not in ("YIWANG_PROFILE", "YIWANG_DATABASE_URL")}
            env["YIWANG_DATA_DIR"] = data_dir
        env["PYTHONPATH"] = str(ROOT / "src")
        args = [sys.executable, __file__, "--engine-run", "--seconds", str(seconds), "--mode", mode]
        args += ["--writers", ",".join(map(str, writer_counts))]
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{engine} run failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average before the run {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per writer count")
    parser.add_argument("--writers", default="1,4,16", help="comma-separated writer counts")
    parser.add_argument(
        "--mode",
        choices=["processes", "threads"],
        default="processes",
        help="writers as processes (like gunicorn workers, default) or as threads of one process",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine; the median is shown")
    parser.add_argument("--engine-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    writer_counts = [int(w) for w in args.writers.split(",")]
    if args.engine_run:
        engine_run(writer_counts, args.seconds, args.mode)
        return

    where = machine()
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("YIWANG_DATABASE_URL") else [])
    rates: dict[str, list[list[float]]] = {name: [[] for _ in writer_counts] for name in engines}
    versions: dict[str, str] = {}
    for _ in range(args.repeat):  # engines take turns, so a busy moment of the machine hits both
        for name in engines:
            run = run_engine(name, writer_counts, args.seconds, args.mode)
            versions[name] = run["version"]
            for i, result in enumerate(run["results"]):
                rates[name][i].append(result["per_second"])
    median = {name: [statistics.median(cell) for cell in cells] for name, cells in rates.items()}

    print(f"machine: {where}")
    print("engines: " + ", ".join(f"{name} {versions[name]}" for name in engines))
    print(
        f"each action: 1 witness entry + 1 feed event, committed; writers are {args.mode}; "
        f"{args.seconds:g} s per cell; median of {args.repeat} run(s) (range in brackets)\n"
    )
    header = f"{'writers':>7} | {'SQLite a/s':>18} | {'× 1 writer':>10}"
    if "postgresql" in median:
        header += f" | {'PostgreSQL a/s':>18} | {'× 1 writer':>10} | {'PG / SQLite':>11}"
    print(header)
    print("-" * len(header))

    def cell(name: str, i: int) -> str:
        values = rates[name][i]
        spread = f" [{min(values):.0f}–{max(values):.0f}]" if len(values) > 1 else ""
        return f"{median[name][i]:.0f}{spread}"

    for i, writers in enumerate(writer_counts):
        sq = median["sqlite"][i]
        line = f"{writers:>7} | {cell('sqlite', i):>18} | {sq / median['sqlite'][0]:>10.2f}"
        if "postgresql" in median:
            pg = median["postgresql"][i]
            line += f" | {cell('postgresql', i):>18} | {pg / median['postgresql'][0]:>10.2f} | {pg / sq:>11.2f}"
        print(line)


if __name__ == "__main__":
    main()
