"""Benchmark: federation propagation latency between two local hubs (issue 8, item 8).

Two hubs (上海 → 江苏) run as separate processes on loopback, each with its own data directory and SQLite
database, gunicorn (1 worker × 4 threads) and ``yiwang clock`` (the ``federation.relay`` job runs once a
second). A ``yiwang shell`` process on 上海 publishes ``--notices`` notices one at a time; for each, the latency
is the time from the publication's commit (the publisher prints the notice id after ``do_publish_notice``
returned) until 江苏's ``GET /api/v1/federation/notices`` lists it (polled every ``--poll-ms``). That covers
the feed read, queueing (witnessed), signing, the HTTP delivery, verification, the receiving action (witnessed,
indexed) and the commit on 江苏. The relay runs on the clock's one-second tick, so the latency is bounded below
by the wait for the next tick (≈ 0.5 s on average).

Reports p50 / p90 / p99 / max in milliseconds, wall time, and the CPU seconds of each hub's processes (from
/proc) and of this script.

    .venv/bin/python bench/federation_bench.py --notices 50
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PUBLISHER = """
import sys
from yiwang.kernel.actors import Actor
from yiwang.services.notices import actions
from yiwang.services.notices.tests.support import TENDER_FIELDS
for line in sys.stdin:
    n = int(line)
    notice = actions.do_publish_notice(actor=Actor.system("bench"), owner=f"tender.section:{n}",
        notice_type="tender_notice", category="works", region_code="310112",
        title=f"基准测试第{n}号道路大修工程施工招标公告", body_html="<p>本招标项目已批准建设，现公开招标。</p>",
        fields=dict(TENDER_FIELDS), publisher_entity_id=77)
    print("NOTICE", n, notice.pk, flush=True)
"""


def _cpu_seconds(pgids: set[int]) -> float:
    """utime + stime of every live process in the given process groups."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in pgids:  # field 5 of stat: pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=50)
    parser.add_argument("--poll-ms", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one notice")
    args = parser.parse_args()
    from yiwang.exchange.federation.tests.hubs import running_hubs

    specs = [
        ("上海", "12310000900000014L", "上海市公共资源交易平台"),
        ("江苏", "12320000MB0000000A", "江苏省公共资源交易平台"),
    ]
    with tempfile.TemporaryDirectory(prefix="yw-federation-bench-") as tmp, running_hubs(Path(tmp), specs) as hubs:
        shanghai, jiangsu = hubs
        publisher = subprocess.Popen(
            [sys.executable, "-m", "yiwang.cli", "shell", "-c", PUBLISHER],
            env=shanghai.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        cpu_before = {hub.label: _cpu_seconds({p.pid for p in hub.processes}) for hub in hubs}
        own_before = time.process_time()
        started = time.perf_counter()
        latencies = []
        try:
            for n in range(1, args.notices + 1):
                assert publisher.stdin is not None
                assert publisher.stdout is not None
                publisher.stdin.write(f"{n}\n")
                publisher.stdin.flush()
                line = publisher.stdout.readline()
                while line and not line.startswith("NOTICE"):  # the shell's own chatter
                    line = publisher.stdout.readline()
                committed = time.perf_counter()
                if not line.startswith("NOTICE"):
                    raise SystemExit(f"the publisher stopped: {line!r}")
                title = f"基准测试第{n}号道路大修工程施工招标公告"
                deadline = committed + args.timeout
                while True:
                    newest = jiangsu.get("/api/v1/federation/notices", peer=shanghai.code, limit="1")
                    if newest and newest[0]["title"] == title:
                        latencies.append(time.perf_counter() - committed)
                        break
                    if time.perf_counter() > deadline:
                        raise SystemExit(f"notice {n} did not reach 江苏 within {args.timeout} s")
                    time.sleep(args.poll_ms / 1000)
        finally:
            if publisher.stdin:
                publisher.stdin.close()
            publisher.wait(timeout=60)
        wall = time.perf_counter() - started
        cpu = {hub.label: _cpu_seconds({p.pid for p in hub.processes}) - cpu_before[hub.label] for hub in hubs}
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, max(0, round(p / 100 * len(ms) + 0.5) - 1))]

    print(f"notices: {len(ms)}  wall: {wall:.1f} s  ({os.cpu_count()} CPUs, loadavg {os.getloadavg()[0]:.1f})")
    print(
        f"propagation latency ms: p50 {pct(50):.0f}  p90 {pct(90):.0f}  p99 {pct(99):.0f}  max {ms[-1]:.0f}  "
        f"mean {statistics.fmean(ms):.0f}  min {ms[0]:.0f}"
    )
    print(
        "CPU s during the run: "
        + "  ".join(f"{label} {seconds:.1f}" for label, seconds in cpu.items())
        + f"  bench {time.process_time() - own_before:.1f}"
    )


if __name__ == "__main__":
    main()
