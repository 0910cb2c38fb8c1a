"""Red-flag engine benchmarks: the price screens over 10 M bids, OCDS ingestion, a run over the demo database.

- ``screens``: 10 M synthetic bids in 2 M sections (1 + Poisson(4) bids each, amounts in whole fen), all eight
  screens (CV SPD DIFFP RD RDNOR KURT SKEW KS) with the sort, the combined score and the Tukey cut — the pure
  core (``screens.screen_frame`` + ``combined_score_array``); and, with ``--indicator``, the whole ``SCREENS``
  indicator from a snapshot (text process ids, one bid per bidder, evidence for the flagged).
- ``ocds``: a generated JSON Lines file of compiled releases (ProZorro-like size, ~3 KB a release), read into
  the frames with one parser process and with one per core; then Cardinal's eleven indicators over it.
- ``demo``: a fresh SQLite data directory, ``migrate``, the demo data (``yiwang seed-demo``), the seeded
  collusion scenario through the platform (a tender, deposits, sealed bids, the opening) and a platform-data run
  (``yiwang redflags run --platform``), timed.

    .venv/bin/python bench/redflags_bench.py                       # all three
    .venv/bin/python bench/redflags_bench.py --only screens --bids 10000000
    .venv/bin/python bench/redflags_bench.py --only ocds --ocds-mb 2000

The demo part needs the redflags app in the settings module used (``DJANGO_SETTINGS_MODULE``). The machine is
shared: the load average is printed with the results; read numbers under load accordingly.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


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


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


# -- screens -------------------------------------------------------------------------------------------------------


def synthetic_bids(n_bids: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    sections = max(1, round(n_bids / 5))  # 1 + Poisson(4) bids: five on average
    per = 1 + rng.poisson(4, sections)
    section = np.repeat(np.arange(sections, dtype=np.int64), per)
    estimate = np.repeat(rng.uniform(1e4, 1e7, sections), per)
    amount = np.round(estimate * rng.uniform(0.8, 1.2, section.size), 2)
    order = rng.permutation(section.size)  # bids arrive in no particular order
    return section[order], amount[order]


def bench_screens(n_bids: int, repeat: int, seed: int, indicator: bool) -> dict:
    import numpy as np
    import polars as pl

    from yiwang.supervision.redflags.domain import registry, screens
    from yiwang.supervision.redflags.domain.frames import make_snapshot
    from yiwang.supervision.redflags.domain.stats import tukey

    t = time.perf_counter()
    section, amount = synthetic_bids(n_bids, seed)
    generate = time.perf_counter() - t
    times, flagged = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        arrays = screens.screen_frame(section, amount)
        t1 = time.perf_counter()
        score = screens.combined_score_array(arrays, 5)
        cut = tukey(score[~np.isnan(score)]).upper
        flagged = int(np.sum(score >= cut))
        t2 = time.perf_counter()
        times.append((t1 - t0, t2 - t1, t2 - t0))
    result = {
        "bids": int(section.size),
        "sections": int(arrays["n"].size),
        "computable": int(np.sum(~np.isnan(arrays["CV"]))),
        "flagged": flagged,
        "generate_s": generate,
        "screens_s": [x[0] for x in times],
        "score_s": [x[1] for x in times],
        "total_s": [x[2] for x in times],
    }
    if indicator:
        ids = pl.int_range(0, section.size, eager=True).cast(pl.String)
        bids = (
            pl.DataFrame(
                {
                    "ocid": pl.Series(section).cast(pl.String),
                    "bid_id": ids,
                    "status": pl.repeat("valid", section.size, eager=True),
                    "amount": amount,
                    "currency": pl.repeat("CNY", section.size, eager=True),
                    "t": ids,
                }
            )
            .with_columns(tenderer_ids=pl.concat_list("t"))
            .drop("t")
        )
        snapshot = make_snapshot({"bids": bids}, currency="CNY")
        t0 = time.perf_counter()
        out = registry.run(snapshot, ["SCREENS"]).outputs["SCREENS"]
        result["indicator_s"] = time.perf_counter() - t0
        result["indicator_flagged"] = sum(1 for f in out.findings if f.primary)
    return result


# -- OCDS ----------------------------------------------------------------------------------------------------------


def release(i: int, rnd: random.Random) -> dict:
    n = 1 + min(12, int(rnd.expovariate(0.3)))
    firms = [f"CN-USCC-9131{rnd.randrange(10**8):08d}{rnd.randrange(10**5):05d}" for _ in range(n)]
    base = rnd.uniform(1e4, 1e7)
    statuses = ["valid"] * 8 + ["disqualified", "pending"]
    bids = [
        {
            "id": f"b{i}-{k}",
            "date": f"2024-02-{rnd.randint(1, 28):02d}T10:00:00+08:00",
            "status": rnd.choice(statuses),
            "value": {"amount": round(base * rnd.uniform(0.8, 1.2), 2), "currency": "CNY"},
            "tenderers": [{"id": f, "name": "某某建设工程有限公司"}],
        }
        for k, f in enumerate(firms)
    ]
    winner = min((b for b in bids if b["status"] == "valid"), key=lambda b: b["value"]["amount"], default=bids[0])
    buyer = f"BUY-{rnd.randrange(500)}"
    return {
        "ocid": f"ocds-yw0001-{i:09d}",
        "id": f"r{i}",
        "date": "2024-04-01T00:00:00Z",
        "tag": ["compiled"],
        "initiationType": "tender",
        "parties": [
            {
                "id": f,
                "name": "某某建设工程有限公司",
                "roles": ["tenderer"],
                "address": {"region": "310112", "locality": "闵行区", "streetAddress": "某某路100号"},
                "contactPoint": {"name": "张三", "telephone": "021-12345678"},
            }
            for f in firms
        ]
        + [
            {
                "id": buyer,
                "name": "上海市某某局",
                "roles": ["buyer"],
                "address": {"region": "3101" + f"{rnd.randrange(1, 20):02d}"},
            }
        ],
        "buyer": {"id": buyer, "name": "上海市某某局"},
        "tender": {
            "id": f"t{i}",
            "title": "某某道路改造工程施工",
            "status": "complete",
            "procurementMethod": rnd.choice(["open", "selective", "limited"]),
            "procurementMethodDetails": "公开招标",
            "procuringEntity": {"id": f"PE-{rnd.randrange(300)}", "name": "某某代理"},
            "tenderPeriod": {
                "startDate": "2024-01-10T09:00:00+08:00",
                "endDate": f"2024-02-{rnd.randint(1, 28):02d}T09:30:00+08:00",
            },
            "numberOfTenderers": n,
            "value": {"amount": round(base, 2), "currency": "CNY"},
            "items": [
                {
                    "id": "1",
                    "description": "道路改造施工",
                    "classification": {"scheme": "CPV", "id": "45233140"},
                    "quantity": 1,
                }
            ],
            "documents": [
                {"id": "d1", "documentType": "tenderNotice", "title": "招标公告", "format": "application/pdf"}
            ],
        },
        "bids": {"details": bids},
        "awards": [
            {
                "id": f"a{i}",
                "status": "active",
                "date": "2024-03-30T00:00:00+08:00",
                "value": winner["value"],
                "suppliers": winner["tenderers"],
                "items": [
                    {
                        "id": "1",
                        "classification": {
                            "scheme": "CPV",
                            "id": rnd.choice(["45233140", "45000000", "33100000", "72000000"]),
                        },
                    }
                ],
            }
        ],
    }


def write_ocds(path: Path, megabytes: int, seed: int) -> tuple[int, int]:
    rnd = random.Random(seed)
    target = megabytes * 1_000_000
    written = count = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            line = json.dumps(release(count, rnd), ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            count += 1
    return written, count


def bench_ocds(megabytes: int, seed: int, workers: list[int | None], keep: str | None) -> dict:
    from yiwang.supervision.redflags.domain import ocds, registry

    with tempfile.TemporaryDirectory(prefix="yiwang-ocds-") as tmp:
        path = Path(keep) if keep else Path(tmp) / "releases.jsonl"
        t = time.perf_counter()
        if keep and path.exists():
            size, count = path.stat().st_size, sum(1 for _ in path.open("rb"))
        else:
            size, count = write_ocds(path, megabytes, seed)
        generate = time.perf_counter() - t
        reads = []
        snapshot = None
        for w in workers:
            t0 = time.perf_counter()
            snapshot, report = ocds.read_ocds(path, workers=w)
            reads.append(
                {
                    "workers": report.workers,
                    "seconds": time.perf_counter() - t0,
                    "mb_s": report.mb_per_second,
                    "processes": report.processes,
                }
            )
        assert snapshot is not None
        codes = [i.code for i in registry.all_indicators() if i.family == registry.Family.CARDINAL]
        t0 = time.perf_counter()
        out = registry.run(snapshot, codes)
        cardinal_s = time.perf_counter() - t0
        return {
            "bytes": size,
            "releases": count,
            "generate_s": generate,
            "reads": reads,
            "cardinal_s": cardinal_s,
            "cardinal_flags": {c: sum(1 for f in o.findings if f.primary) for c, o in out.outputs.items()},
            "bids": snapshot.bids.height,
        }


# -- the demo database --------------------------------------------------------------------------------------------


def demo_run() -> None:
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command

    if not apps.is_installed("yiwang.supervision.redflags"):
        raise SystemExit("the redflags app is not installed in this settings module")
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.kernel.actors import Actor
    from yiwang.platform.reference import ensure_all
    from yiwang.portal.demo import load_demo
    from yiwang.supervision.redflags import actions
    from yiwang.supervision.redflags.demo import seed_collusion_on_platform

    timings = {}
    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    ensure_reference_data()
    ensure_all()
    timings["migrate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    load_demo()
    timings["seed_demo_s"] = time.perf_counter() - t
    t = time.perf_counter()
    run = seed_collusion_on_platform(out=lambda *_: None)  # through the bid box and finance, as the demo does
    timings["scenario_s"] = time.perf_counter() - t
    timings["scenario_alerts"] = run.alerts_raised
    t = time.perf_counter()
    platform_run = actions.do_run_platform(actor=Actor.system("bench"), region_code="310000")
    timings["platform_run_s"] = time.perf_counter() - t
    timings["platform_findings"] = platform_run.findings_count
    timings["platform_snapshot"] = {k: v for k, v in platform_run.frame_counts.items() if v}
    timings["platform_compute_s"] = platform_run.seconds_compute
    print(json.dumps(timings))


def bench_demo() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("YIWANG_PROFILE", "YIWANG_DATABASE_URL")}
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as data_dir:
        env["YIWANG_DATA_DIR"] = data_dir
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH", "")]))
        env.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
        done = subprocess.run(
            [sys.executable, __file__, "--demo-run"], env=env, capture_output=True, text=True, check=False, timeout=3600
        )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit("demo run failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["screens", "ocds", "demo"], action="append")
    parser.add_argument("--bids", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--indicator", action="store_true", help="also time the whole SCREENS indicator from a snapshot"
    )
    parser.add_argument("--ocds-mb", type=int, default=1500)
    parser.add_argument("--ocds-file", default=None, help="keep (or reuse) the generated OCDS file here")
    parser.add_argument("--workers", default="1,0", help="parser processes to try (0 = one per core)")
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--demo-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.demo_run:
        demo_run()
        return
    parts = args.only or ["screens", "ocds", "demo"]
    print(f"machine: {machine()}; {load()}")
    if "screens" in parts:
        r = bench_screens(args.bids, args.repeat, args.seed, args.indicator)
        print(
            f"\nscreens: {r['bids']:,} bids in {r['sections']:,} sections "
            f"({r['computable']:,} with ≥ 3 bids), {r['flagged']:,} flagged"
        )
        print(f"  sort + 8 screens: best {min(r['screens_s']):.2f} s, median {statistics.median(r['screens_s']):.2f} s")
        print(f"  combined score + Tukey cut: best {min(r['score_s']):.2f} s")
        print(
            f"  all price screens: best {min(r['total_s']):.2f} s = "
            f"{r['bids'] / min(r['total_s']) / 1e6:.1f} M bids/s; "
            f"runs {[round(x, 2) for x in r['total_s']]}"
        )
        if "indicator_s" in r:
            print(
                f"  SCREENS indicator from a snapshot (text ids, per-bidder minimum, evidence): "
                f"{r['indicator_s']:.2f} s, {r['indicator_flagged']:,} flagged"
            )
        print(f"  ({load()})")
    if "ocds" in parts:
        workers = [None if int(w) == 0 else int(w) for w in args.workers.split(",")]
        r = bench_ocds(args.ocds_mb, args.seed, workers, args.ocds_file)
        print(
            f"\nocds: {r['bytes'] / 1e6:,.0f} MB, {r['releases']:,} compiled releases, {r['bids']:,} bids "
            f"(generated in {r['generate_s']:.0f} s)"
        )
        for read in r["reads"]:
            print(
                f"  read into frames, {read['workers']} process(es): "
                f"{read['seconds']:.1f} s = {read['mb_s']:.1f} MB/s, "
                f"{read['processes'] / read['seconds']:,.0f} releases/s"
            )
        print(f"  Cardinal's 11 indicators over the snapshot: {r['cardinal_s']:.2f} s; flags {r['cardinal_flags']}")
        print(f"  ({load()})")
    if "demo" in parts:
        r = bench_demo()
        print(
            f"\ndemo database: migrate {r['migrate_s']:.1f} s, seed-demo {r['seed_demo_s']:.1f} s, collusion scenario "
            f"{r['scenario_s']:.2f} s ({r['scenario_alerts']} alert), platform run {r['platform_run_s']:.2f} s "
            f"(compute {r['platform_compute_s']:.3f} s, snapshot {r['platform_snapshot']}, "
            f"{r['platform_findings']} findings)"
        )


if __name__ == "__main__":
    main()
