"""Notices: what publication costs (PDF, storage, index, witness), a burst of scheduled notices, subscription
matching against many saved searches, and the disclosure report — on SQLite and PostgreSQL.

1. **Render**: the PDF of one tender notice (WeasyPrint, Noto CJK), p50/p95 over N renders.
2. **Publish**: ``do_publish_notice`` end to end (validation, sanitising, PDF rendered and stored, search
   document, witness entry, feed event), p50/p95 over N publications.
3. **Scheduled burst**: N notices scheduled for the same minute; the time the clock job needs to publish them
   all, and a check that each was published exactly once.
4. **Matching**: S subscriptions (half with words, half filters only, spread over the districts), one new
   notice: the time of the matching job and the messages it sent (checked against a Python recount).
5. **Disclosure report**: O obligations over a year (a third published on time, a third late, a third
   missing); the time of one report over the whole year.

    DJANGO_SETTINGS_MODULE=<settings with the notices apps> .venv/bin/python bench/notices_bench.py
    tools/pg-test-server run -- .venv/bin/python bench/notices_bench.py   # SQLite and PostgreSQL

Each engine runs in a fresh process and a fresh database. Results go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISTRICTS = ["310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113", "310115"]
FIELDS = {
    "DOC_GET_START_TIME": "2026-03-03T09:00:00+08:00",
    "DOC_GET_END_TIME": "2026-03-09T17:00:00+08:00",
    "BID_DOC_REFER_END_TIME": "2026-03-25T09:30:00+08:00",
    "BID_OPEN_TIME": "2026-03-25T09:30:00+08:00",
    "CONTRACT_RECKON_PRICE": 1_250_000_000,
}
BODY = (
    "<p>"
    + "本招标项目已由区发展和改革委员会批准建设，建设资金来自财政资金，现对该项目的施工进行公开招标。" * 12
    + "</p>"
)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def publish(i: int, **kw):
    from yiwang.kernel.actors import Actor
    from yiwang.services.notices import actions

    return actions.do_publish_notice(
        actor=Actor.system("bench"),
        owner=f"bench.section:{i}",
        notice_type="tender_notice",
        category="works",
        region_code=DISTRICTS[i % len(DISTRICTS)],
        title=f"上海市第{i}号道路大修工程施工招标公告",
        body_html=BODY,
        fields=FIELDS,
        **kw,
    )


def measure_render(n: int) -> dict:
    from yiwang.services.notices import rendering

    notice = publish(0)
    context = rendering.pdf_context(notice, [], type_label="招标公告", data_sha256="0" * 64, preview=False)
    times = []
    for _ in range(n):
        began = time.perf_counter()
        rendering.render_pdf(context)
        times.append(time.perf_counter() - began)
    return {"n": n, "p50_ms": _pct(times, 0.5), "p95_ms": _pct(times, 0.95)}


def measure_publish(n: int) -> dict:
    times = []
    for i in range(1, n + 1):
        began = time.perf_counter()
        publish(i)
        times.append(time.perf_counter() - began)
    return {"n": n, "p50_ms": _pct(times, 0.5), "p95_ms": _pct(times, 0.95), "per_second": n / sum(times)}


def measure_burst(n: int) -> dict:
    from yiwang.platform.clock import get_clock, now
    from yiwang.services.notices import jobs
    from yiwang.services.notices.models import Notice

    at = now() + timedelta(seconds=30)
    ids = [publish(10_000 + i, publish_at=at).pk for i in range(n)]
    get_clock().set(at + timedelta(seconds=1))  # the manual clock of the run
    began = time.perf_counter()
    published = 0
    for _ in range(100):
        done = jobs.publish_due(now())
        published += done
        if not done:
            break
    elapsed = time.perf_counter() - began
    states = set(Notice.objects.filter(pk__in=ids).values_list("status", flat=True))
    return {"n": n, "seconds": elapsed, "per_second": n / elapsed, "published": published, "states": sorted(states)}


def measure_matching(n_subscriptions: int) -> dict:
    from yiwang.kernel.actors import Actor, ActorKind
    from yiwang.kernel.ids import region_covers
    from yiwang.platform.clock import now
    from yiwang.platform.notify.models import Message
    from yiwang.services.notices import actions, jobs

    words = ["道路", "桥梁", "学校", "大修", "绿化", "照明"]
    for i in range(n_subscriptions):
        actor = Actor(ActorKind.ACCOUNT, str(100_000 + i), f"订阅人{i}")
        region = DISTRICTS[i % len(DISTRICTS)] if i % 3 else ""
        query = words[i % len(words)] if i % 2 == 0 else ""
        actions.do_create_subscription(
            actor=actor, name=f"订阅{i}", query=query, region=region, categories=[] if query else ["works"]
        )
    jobs.match_subscriptions(now())  # the earlier notices
    before = Message.objects.count()
    notice = publish(99_999)
    assert notice.region_code == DISTRICTS[99_999 % len(DISTRICTS)]
    began = time.perf_counter()
    sent = jobs.match_subscriptions(now())
    elapsed = time.perf_counter() - began
    counted = Message.objects.count() - before
    expected = sum(
        1
        for i in range(n_subscriptions)
        if (i % 2 or words[i % len(words)] in ("道路", "大修"))
        and (not (i % 3) or region_covers(DISTRICTS[i % len(DISTRICTS)], notice.region_code))
    )
    return {
        "subscriptions": n_subscriptions,
        "seconds": elapsed,
        "sent": sent,
        "messages": counted,
        "expected": expected,
    }


def measure_report(n_obligations: int) -> dict:
    from datetime import date

    from yiwang.services.notices import queries
    from yiwang.services.notices.models import DisclosureObligation

    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n_obligations):
        due = start + timedelta(hours=i * 8760 // n_obligations)
        published = due - timedelta(hours=2) if i % 3 == 0 else (due + timedelta(days=1) if i % 3 == 1 else None)
        rows.append(
            DisclosureObligation(
                owner_ref=f"bench.owner:{i}",
                category="gp" if i % 2 else "works",
                stage="result",
                region_code=DISTRICTS[i % len(DISTRICTS)],
                requirement_key="gp.result",
                requirement_title="结果公告",
                notice_types=["award_result"],
                anchor_at=due - timedelta(days=2),
                due_at=due,
                published_at=published,
                registered_by="system:bench",
                created_at=start,
                updated_at=start,
            )
        )
    DisclosureObligation.objects.bulk_create(rows, batch_size=1000)
    began = time.perf_counter()
    report = queries.disclosure_report(period=(date(2025, 1, 1), date(2025, 12, 31)))
    elapsed = time.perf_counter() - began
    return {
        "obligations": n_obligations,
        "seconds": elapsed,
        "rate": str(report.rate),
        "counted": report.tally.required,
    }


def engine_run(n: int, subscriptions: int, obligations: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.platform.reference import ensure_all

    call_command("migrate", verbosity=0, interactive=False)
    ensure_reference_data()
    ensure_all()
    with connection.cursor() as cur:
        cur.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cur.fetchone()[0]
    from yiwang.kernel.clock import ManualClock
    from yiwang.platform.clock import use_clock

    with use_clock(ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))):
        out = measure_all(n, subscriptions, obligations)
    out.update(engine=connection.vendor, version=version)
    connection.close()
    print(json.dumps(out))


def measure_all(n: int, subscriptions: int, obligations: int) -> dict:
    return {
        "render": measure_render(n),
        "publish": measure_publish(n),
        "burst": measure_burst(n),
        "matching": measure_matching(subscriptions),
        "report": measure_report(obligations),
    }


def run_engine(engine: str, n: int, subscriptions: int, obligations: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as data_dir:
        if engine == "sqlite":
            env = {k: v for k, v in env.items() if k not in ("YIWANG_PROFILE", "YIWANG_DATABASE_URL")}
        env["YIWANG_DATA_DIR"] = data_dir
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
        args = [sys.executable, __file__, "--engine-run", "--n", str(n), "--subscriptions", str(subscriptions),
                "--obligations", str(obligations)]  # fmt: skip
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=3000)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f"{engine} run failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="renders, publications and scheduled notices")
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--obligations", type=int, default=20_000)
    parser.add_argument("--engine-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_run:
        engine_run(args.n, args.subscriptions, args.obligations)
        return
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("YIWANG_DATABASE_URL") else [])
    runs = {name: run_engine(name, args.n, args.subscriptions, args.obligations) for name in engines}
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "unknown CPU",
    )
    print(f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}")
    print("engines: " + ", ".join(f"{name} {run['version']}" for name, run in runs.items()))
    rows = [
        ("PDF render p50 / p95 (ms)", lambda r: f"{r['render']['p50_ms']:.0f} / {r['render']['p95_ms']:.0f}"),
        ("publish p50 / p95 (ms)", lambda r: f"{r['publish']['p50_ms']:.0f} / {r['publish']['p95_ms']:.0f}"),
        ("publish per second", lambda r: f"{r['publish']['per_second']:.1f}"),
        (
            f"scheduled burst of {args.n}: s",
            lambda r: f"{r['burst']['seconds']:.1f} ({r['burst']['published']} published)",
        ),
        (
            f"matching {args.subscriptions} subs: s",
            lambda r: f"{r['matching']['seconds']:.2f} ({r['matching']['sent']} sent)",
        ),
        (
            f"report over {args.obligations}: s",
            lambda r: f"{r['report']['seconds']:.2f} (rate {r['report']['rate']} %)",
        ),
    ]
    print(f"{'':>32} | " + " | ".join(f"{name:>24}" for name in engines))
    for label, cell in rows:
        print(f"{label:>32} | " + " | ".join(f"{cell(runs[name]):>24}" for name in engines))
    for name, run in runs.items():
        if run["burst"]["published"] != args.n or run["burst"]["states"] != ["published"]:
            raise SystemExit(f"{name}: scheduled notices not published exactly once")
        if run["matching"]["messages"] != run["matching"]["expected"]:
            raise SystemExit(f"{name}: {run['matching']['messages']} messages, expected {run['matching']['expected']}")


if __name__ == "__main__":
    main()
