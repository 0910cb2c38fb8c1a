"""Sub-platform push ingestion: national-spec records per second, with validation and signature checks, on SQLite
and PostgreSQL.

A registered sub-platform (OAuth2 client token + SM2 signing certificate chained to a trusted test CA) pushes
works-tender chains (项目, 招标项目, 4 标段, 招标公告, 开标记录, 中标结果公告, 合同: 10 records a chain):

1. **batch/http**: signed batches of 1,000 records through the real endpoint ``POST /api/v1/exchange/batch``
   (Django's test client in process: routing, bearer token, signature + certificate chain + CRL + nonce,
   JSON parsing, per-record validation against the dataset table, storage, witness, feed, search index);
2. **batch/action**: the same, calling ``actions.authenticate_push`` + ``actions.do_push_records`` directly;
3. **replay/http**: every batch of (1) pushed again (re-signed): all ``unchanged``, nothing stored;
4. **single/http**: one record a request (``POST /api/v1/exchange/records/{DATASET}``): records/s, p50/p99.

Reported: records/s on the wall clock, the bench process's CPU seconds (on SQLite that includes the database;
PostgreSQL's server CPU is measured from its backends' /proc counters when it runs on this machine), and the
load average before and after. Checked: every record accepted once, nothing refused.

    .venv/bin/python bench/subplatform_bench.py                                   # SQLite only
    YIWANG_PG_PORT=55507 tools/pg-test-server run -- .venv/bin/python bench/subplatform_bench.py

Each engine runs in a fresh process and a fresh database. Results go to docs/exchange.md by hand.
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
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHAIN = 10  # records per works-tender chain
BATCH = 1000
NOTICE_TEXT = "现对本项目施工进行公开招标，欢迎符合条件的投标人参加投标。" * 4


class _Clock:
    def now(self):
        from yiwang.platform.clock import now

        return now()


class _ShiftedClock:
    """The wall clock's pace from the test PKI's day (2026-03-02 09:00 Shanghai): its certificates and CRLs are
    valid around then."""

    def __init__(self):
        from datetime import UTC, datetime

        self.start, self.t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC), time.monotonic()

    def now(self):
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


class _Api:
    """The JSON calls ``exchange.subplatform.tests.support.Client`` makes, on Django's test client."""

    def __init__(self, client: Any, token: str | None = None):
        self.client, self.token = client, token

    def with_token(self, token: str) -> _Api:
        return _Api(self.client, token)

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None):
        out = dict(headers or {})
        out["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body, ensure_ascii=False)
        return self.client.post(f"/api/v1{path}", data=data, content_type="application/json", headers=out)


def _timestamp() -> str:
    """A DATA_TIMESTAMP a minute ago (Beijing time), so it is never in the hub's future."""
    from zoneinfo import ZoneInfo

    from yiwang.platform.clock import now

    return (now() - timedelta(minutes=1)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d%H%M%S")


def chain(n: int, ts: str, code: str) -> list[tuple[str, dict[str, Any]]]:
    """One works tender in national-spec JSON (10 records), codes unique per ``n``."""
    common = {"DATA_TYPE": "1", "PLATFORM_CODE": code, "DATA_TIMESTAMP": ts}
    project, tp = f"2026-B{n:011d}", f"E31011{n:011d}"
    sections = [f"{tp}{s:03d}" for s in range(1, 5)]
    out: list[tuple[str, dict[str, Any]]] = [
        ("PROJECT", {**common, "PROJECT_CODE": project, "PROJECT_NAME": f"压测项目{n}号社区中心新建工程",
                     "REGION_CODE": "310112", "INDUSTRIES_TYPE": "A01", "RELATE_CODE": "1"}),
        ("TENDER_PROJECT", {**common, "TENDER_PROJECT_CODE": tp, "PROJECT_CODE": project,
                            "TENDER_PROJECT_NAME": f"压测项目{n}号施工招标", "REGION_CODE": "310112",
                            "TENDERER_NAME": "上海市闵行区压测镇人民政府", "TENDER_MODE": "1",
                            "TENDER_PROJECT_TYPE": "A01"}),
    ]  # fmt: skip
    for i, s in enumerate(sections, 1):
        out.append(("SECTION", {**common, "BID_SECTION_CODE": s, "TENDER_PROJECT_CODE": tp,
                                "BID_SECTION_NAME": f"第{i}标段", "CONTRACT_RECKON_PRICE": "1200.5",
                                "CURRENCY_CODE": "CNY", "PRICE_UNIT": "1"}))  # fmt: skip
    out += [
        ("TENDER_ANN_QUA_INQUERY_ANN", {**common, "TENDER_PROJECT_CODE": tp, "NOTICE_BID_NUM": 1,
                                        "NOTICE_NAME": f"压测项目{n}号施工招标公告",
                                        "NOTICE_CONTENT": NOTICE_TEXT,
                                        "NOTICE_SEND_TIME": ts, "BULLETIN_TYPE": "1", "NOTICE_NATURE": "1"}),
        ("BID_OPENING_RECORD", {**common, "TENDER_PROJECT_CODE": tp, "BID_SECTION_CODE": sections[0],
                                "NOTICE_NAME": "开标记录", "BID_OPENING_TIME": ts}),
        ("WIN_RESULT_ANNO", {**common, "TENDER_PROJECT_CODE": tp, "BID_SECTION_CODE": sections[0],
                             "WIN_BIDDER_NAME": "上海浦江数智建设工程有限公司", "WIN_BIDDER_CODE": "91310115MA1FL2X37F",
                             "BID_AMOUNT": "1180.2", "CURRENCY_CODE": "CNY", "PRICE_UNIT": "1",
                             "NOTICE_NAME": f"压测项目{n}号中标结果公告", "NOTICE_SEND_TIME": ts}),
        ("CONTRACT_PERFORMANCE", {**common, "TENDER_PROJECT_CODE": tp, "BID_SECTION_CODE": sections[0],
                                  "CONTRACT_CODE": f"HT-{n}", "CONTRACT_NAME": "施工合同",
                                  "CONTRACT_PRICE": "1180.2", "PRICE_UNIT": "1", "CURRENCY_CODE": "CNY",
                                  "CONTRACT_SIGN_TIME": ts}),
    ]  # fmt: skip
    assert len(out) == CHAIN
    return out


def batches(first_chain: int, n_batches: int, ts: str, code: str) -> list[list[tuple[str, dict[str, Any]]]]:
    per = BATCH // CHAIN
    return [
        [item for c in range(first_chain + b * per, first_chain + (b + 1) * per) for item in chain(c, ts, code)]
        for b in range(n_batches)
    ]


class _PgCpu:
    """CPU seconds of this database's PostgreSQL server processes (its postmaster's children, found from our
    backend's parent), when the server runs on this machine; 0 for SQLite."""

    def __init__(self, vendor: str):
        self.vendor = vendor
        self.tick = os.sysconf("SC_CLK_TCK")
        self.postmaster = 0
        if vendor == "postgresql":
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                backend = cur.fetchone()[0]
            stat = self._stat(backend)
            self.postmaster = int(stat[1]) if stat else 0

    @staticmethod
    def _stat(pid: int | str) -> list[str] | None:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None

    def seconds(self) -> float:
        if not self.postmaster:
            return 0.0
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            fields = self._stat(pid)
            if fields is None or (int(pid) != self.postmaster and int(fields[1]) != self.postmaster):
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime (a finished backend's time is not counted)
        return total / self.tick


def _timed(fn, pg: _PgCpu) -> tuple[Any, float, float, float]:
    cpu0, pg0, t0 = time.process_time(), pg.seconds(), time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0, time.process_time() - cpu0, pg.seconds() - pg0


def engine_run(n_batches: int, n_single: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host name is allowed
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cur.fetchone()[0]

    from yiwang.platform.clock import use_clock

    with use_clock(_ShiftedClock()):
        _measure(n_batches, n_single, version)


def _measure(n_batches: int, n_single: int, version: str) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.exchange.subplatform import actions
    from yiwang.exchange.subplatform.models import Record
    from yiwang.exchange.subplatform.tests import support
    from yiwang.identity.auth import actor_for_client
    from yiwang.identity.models import ApiClient
    from yiwang.kernel.actors import Actor
    from yiwang.platform.reference import ensure_all

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # set-up only
    ensure_reference_data()
    ensure_all()
    hub = support.make_hub(Actor.system("bench"), _Api(Client()), _Clock())
    client = hub.works
    code = hub.platform.platform_code
    pg = _PgCpu(connection.vendor)
    load_before = os.getloadavg()
    ts = _timestamp()
    out: dict[str, Any] = {"engine": connection.vendor, "version": version, "load_before": load_before}

    def http_batches(items_list):
        outcomes: dict[str, int] = {}
        for items in items_list:
            response = client.batch(items)
            assert response.status_code == 200, response.content[:500]
            for r in response.json()["results"]:
                outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
        return outcomes

    first = batches(0, n_batches, ts, code)
    outcomes, wall, cpu, pg_cpu = _timed(lambda: http_batches(first), pg)
    n = n_batches * BATCH
    out["batch_http"] = {"records": n, "wall": wall, "cpu": cpu, "pg_cpu": pg_cpu, "per_second": n / wall,
                         "outcomes": outcomes}  # fmt: skip

    actor = actor_for_client(ApiClient.objects.get(client_id=hub.platform.client_id))

    def action_batches(items_list):
        outcomes: dict[str, int] = {}
        for items in items_list:
            body = {"records": [{"dataset": d, "record": r} for d, r in items]}
            headers = client.signed_headers(body)
            signed = actions.SignedRequest(
                headers["X-Yiwang-Timestamp"], headers["X-Yiwang-Nonce"], headers["X-Yiwang-Signature"],
                headers["X-Yiwang-Certificate"],
            )  # fmt: skip
            pusher = actions.authenticate_push(actor=actor, payload=body, signed=signed)
            result = actions.do_push_records(actor=actor, pusher=pusher, items=items, channel="batch")
            for r in result.results:
                outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
        return outcomes

    second = batches(n_batches * BATCH // CHAIN, n_batches, ts, code)
    outcomes, wall, cpu, pg_cpu = _timed(lambda: action_batches(second), pg)
    out["batch_action"] = {"records": n, "wall": wall, "cpu": cpu, "pg_cpu": pg_cpu, "per_second": n / wall,
                           "outcomes": outcomes}  # fmt: skip

    outcomes, wall, cpu, pg_cpu = _timed(lambda: http_batches(first), pg)
    out["replay_http"] = {"records": n, "wall": wall, "cpu": cpu, "pg_cpu": pg_cpu, "per_second": n / wall,
                          "outcomes": outcomes}  # fmt: skip

    singles = [item for c in range(10**6, 10**6 + n_single // CHAIN) for item in chain(c, ts, code)]
    latencies: list[float] = []

    def single_requests():
        outcomes: dict[str, int] = {}
        for dataset, record in singles:
            t0 = time.perf_counter()
            response = client.push(dataset, record, nonce=uuid.uuid4().hex)
            latencies.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.content[:500]
            outcome = response.json()["results"][0]["outcome"]
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return outcomes

    outcomes, wall, cpu, pg_cpu = _timed(single_requests, pg)
    latencies.sort()
    out["single_http"] = {
        "records": len(singles), "wall": wall, "cpu": cpu, "pg_cpu": pg_cpu, "per_second": len(singles) / wall,
        "p50_ms": 1000 * statistics.median(latencies), "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "outcomes": outcomes,
    }  # fmt: skip
    out["stored"] = Record.objects.count()
    out["expected"] = 2 * n + len(singles)
    out["load_after"] = os.getloadavg()
    connection.close()
    print(json.dumps(out))


def run_engine(engine: str, n_batches: int, n_single: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as data_dir:
        if engine == "sqlite":
            env = {k: v for k, v in env.items() if k not in ("YIWANG_PROFILE", "YIWANG_DATABASE_URL")}
            env["YIWANG_DATA_DIR"] = data_dir
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
        args = [sys.executable, __file__, "--engine-run", "--batches", str(n_batches), "--single", str(n_single)]
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=1200)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-5000:])
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
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=5, help="batches of 1,000 records per batch measurement")
    parser.add_argument("--single", type=int, default=300, help="single-record requests")
    parser.add_argument("--engine-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_run:
        engine_run(args.batches, args.single)
        return
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("YIWANG_DATABASE_URL") else [])
    runs = {name: run_engine(name, args.batches, args.single) for name in engines}
    print(f"machine: {machine()}")
    print("engines: " + ", ".join(f"{name} {run['version']}" for name, run in runs.items()))
    print(f"{'measurement':<14} | {'engine':<10} | {'records':>7} | {'rec/s':>7} | {'wall s':>7} | {'CPU s':>6} | "
          f"{'PG CPU s':>8} | {'rec/CPU s':>9} | {'p50 ms':>6} | {'p99 ms':>6} | outcomes")  # fmt: skip
    for key in ("batch_http", "batch_action", "replay_http", "single_http"):
        for name, run in runs.items():
            m = run[key]
            p50 = f"{m['p50_ms']:6.1f}" if "p50_ms" in m else f"{'':>6}"
            p99 = f"{m['p99_ms']:6.1f}" if "p99_ms" in m else f"{'':>6}"
            per_cpu = m["records"] / (m["cpu"] + m["pg_cpu"])
            print(
                f"{key:<14} | {name:<10} | {m['records']:>7} | {m['per_second']:7.0f} | {m['wall']:7.1f} | "
                f"{m['cpu']:6.1f} | {m['pg_cpu']:8.1f} | {per_cpu:9.0f} | {p50} | {p99} | {m['outcomes']}"
            )
    for name, run in runs.items():
        ok = run["stored"] == run["expected"]
        print(f"{name}: records stored {run['stored']} of {run['expected']} ({'ok' if ok else 'MISMATCH'}); "
              f"load average before {run['load_before'][0]:.2f}, after {run['load_after'][0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
