"""How long a committee draw takes over a large expert pool: 100 k experts, 50 avoided firms.

The pool is generated straight into the tables (the draw is what is measured, not enrolment): Shanghai
districts, 1–3 specialties per expert with a Zipf-like popularity over the 7-character codes (建筑 and 市政
施工, 造价 and 监理 are common, most codes rare), employers drawn from 5,000 firms with a skew (a few large
design institutes and contractors employ many experts), 2 % of experts with a declared relationship, 0.5 %
under a sanction, 3 % unavailable on some meeting days. The 50 avoided firms are real registry entities and
include the biggest employers, so the recusal rules exclude thousands of experts.

Each measured draw is the whole action as staff call it: request checks, the eligibility pre-check, the
seeded selection in its transaction (seats, notifications, witness entries, feed event) — with 2 lines
(5 + 2 experts, 2 + 1 reserves) on a distinct meeting day, so earlier draws' bookings are read but never
exhaust the pool.

    .venv/bin/python bench/experts_bench.py                               # SQLite
    tools/pg-test-server run -- .venv/bin/python bench/experts_bench.py   # SQLite and PostgreSQL

Results go to docs/benchmarks.md by hand.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISTRICTS = [
    "310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113", "310114",
    "310115", "310116", "310117", "310118", "310120", "310151",
]  # fmt: skip


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


def build_pool(n_experts: int, n_firms: int, rnd: random.Random) -> dict:
    """Bulk-insert the pool; return what the draws need (avoided firm ids, popular codes)."""
    from yiwang.kernel.actors import Actor
    from yiwang.kernel.ids import make_resident_id, make_uscc
    from yiwang.registry import actions as registry_actions
    from yiwang.services.experts.models import Expert, ExpertSpecialty, Sanction, Specialty, Tie, Unavailability

    # 50 real registry entities (the avoided firms); the largest employers are among them
    system = Actor.system("bench")
    avoided = []
    for i in range(50):
        entity = registry_actions.do_register_entity(
            actor=system,
            data={
                "kind": "legal_person",
                "uscc": make_uscc("9", "1", "310112", f"B{i:07d}"),
                "name": f"上海基准测试工程有限公司{i}",
                "legal_rep_name": "测试",
                "legal_rep_id_number": make_resident_id("310112", date(1970, 1, 1), 1),
                "region_code": "310112",
                "address": "上海市",
                "contact_name": "测试",
                "contact_phone": "021-55550000",
                "registered_capital_fen": 100_000_000,
                "established_on": "2010-01-01",
                "enterprise_nature": "5",
                "business_scope": "工程。",
                "roles": ["bidder"],
            },
        )
        avoided.append(entity.pk)
    firm_ids = avoided + list(range(10_000_000, 10_000_000 + n_firms - len(avoided)))
    firm_weights = _zipf_weights(len(firm_ids), 0.8)
    rnd.shuffle(firm_weights)
    for i in range(10):  # ten of the avoided firms are among the largest employers
        firm_weights[i] = max(firm_weights)
    codes = list(Specialty.objects.filter(level=4).order_by("sort").values_list("code", flat=True))
    # popular first: building and municipal works, cost, supervision; the rest in shuffled order
    popular = [c for c in ("A080101", "A080201", "A060101", "A050101", "A080104", "A040101") if c in codes]
    rest = [c for c in codes if c not in popular]
    rnd.shuffle(rest)
    ordered = popular + rest
    code_weights = _zipf_weights(len(ordered))
    at = datetime(2026, 3, 1, tzinfo=UTC)

    batch, specs = [], []
    for n in range(n_experts):
        birth = date(1956, 1, 1) + timedelta(days=n % 12_000)  # (birth, sequence) is unique per expert
        kinds = rnd.choice((["works"], ["works", "gp"], ["gp"]))
        employer = rnd.choices(firm_ids, firm_weights)[0]
        batch.append(
            Expert(
                name=f"专家{n}",
                id_number=make_resident_id("310104", birth, n // 12_000),
                gender="male",
                birth_date=birth,
                title="高级工程师",
                title_level="senior",
                kinds=kinds,
                employer_entity_id=employer,
                employer_uscc="",
                employer_name=f"单位{employer}",
                region_code=rnd.choice(DISTRICTS),
                practice_since=date(2005, 1, 1),
                phone=f"139{n:08d}",
                notify_channels=["in_site", "sms"],
                status="active" if rnd.random() > 0.04 else "suspended",
                entered_on=date(2020, 1, 1),
                created_at=at,
                updated_at=at,
            )
        )
        if len(batch) == 5000:
            _flush(batch, specs, ordered, code_weights, rnd)
    _flush(batch, specs, ordered, code_weights, rnd)

    ids = list(Expert.objects.values_list("pk", flat=True))
    Tie.objects.bulk_create(
        Tie(
            expert_id=e,
            entity_id=rnd.choice(firm_ids[:200]),
            entity_name="关联单位",
            kind="relative",
            declared_at=at,
            actor_ref="bench",
        )
        for e in rnd.sample(ids, len(ids) // 50)
    )
    Sanction.objects.bulk_create(
        Sanction(
            expert_id=e,
            kind="suspension",
            authority="监管部门",
            reason="基准测试",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            recorded_at=at,
            actor_ref="bench",
        )
        for e in rnd.sample(ids, len(ids) // 200)
    )
    Unavailability.objects.bulk_create(
        Unavailability(
            expert_id=e,
            start_date=date(2026, 3, 1) + timedelta(days=rnd.randrange(0, 60)),
            end_date=date(2026, 3, 1) + timedelta(days=rnd.randrange(60, 70)),
            declared_at=at,
            actor_ref="bench",
        )
        for e in rnd.sample(ids, len(ids) * 3 // 100)
    )
    return {"avoided": avoided, "popular": popular, "specialty_rows": ExpertSpecialty.objects.count()}


def _flush(batch, specs, ordered, weights, rnd) -> None:
    from yiwang.services.experts.models import Expert, ExpertSpecialty

    if not batch:
        return
    made = Expert.objects.bulk_create(batch)
    for expert in made:
        chosen = []
        for code in rnd.choices(ordered, weights, k=rnd.choice((1, 1, 2, 2, 3))):
            if code not in chosen:
                chosen.append(code)
        specs.extend(ExpertSpecialty(expert=expert, code=c, is_main=i == 0) for i, c in enumerate(chosen))
    ExpertSpecialty.objects.bulk_create(specs)
    batch.clear()
    specs.clear()


def engine_run(n_experts: int, draws: int, seed: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
    from yiwang.kernel.clock import ManualClock
    from yiwang.platform.clock import use_clock
    from yiwang.platform.reference import ensure_all
    from yiwang.services.experts import actions, queries
    from yiwang.services.experts.gather import LocalPool

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cur.fetchone()[0]
    rnd = random.Random(seed)
    start_clock = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with use_clock(ManualClock(start_clock)):
        ensure_reference_data()
        ensure_all()
        t0 = time.perf_counter()
        built = build_pool(n_experts, 5000, rnd)
        setup = time.perf_counter() - t0
        staff = Actor(ActorKind.ACCOUNT, "1", "基准测试", (RoleGrant(Role.STAFF, region="310000"),))
        reasons = ["2", "3", "4"] + ["1"] * 47
        firms = [{"entity_id": f, "reason": r} for f, r in zip(built["avoided"], reasons, strict=True)]
        times, gather_times, eligible, excluded = [], [], [], []
        for i in range(draws):
            meeting = start_clock + timedelta(days=2 + i)
            data = {
                "project_ref": f"BENCH-{i}",
                "kind": "works",
                "region_code": "310112",
                "region_scope": ["310000"],
                "meeting_start": meeting.isoformat(),
                "meeting_end": (meeting + timedelta(hours=4)).isoformat(),
                "lines": [
                    {"specialty": built["popular"][0], "count": 5, "reserve": 2},
                    {"specialty": built["popular"][2], "count": 2, "reserve": 1},
                ],
                "avoided_firms": firms,
            }
            request, _ = actions.prepare_draw(staff, data)
            g0 = time.perf_counter()
            pools = LocalPool().line_pools(actions._lines_of(request), actions._criteria(request))
            gather_times.append(time.perf_counter() - g0)
            eligible.append([len(p.candidates) for p in pools])
            excluded.append(pools[0].excluded)
            t = time.perf_counter()
            draw = actions.do_request_draw(actor=staff, data=data)
            times.append(time.perf_counter() - t)
        replay_t = time.perf_counter()
        assert queries.replay_draw(draw.pk)[0].ok
        replay_s = time.perf_counter() - replay_t
    connection.close()
    print(
        json.dumps(
            {
                "engine": connection.vendor,
                "version": version,
                "experts": n_experts,
                "specialty_rows": built["specialty_rows"],
                "setup_s": setup,
                "draw_s": times,
                "gather_s": gather_times,
                "eligible_first": eligible[0],
                "excluded_first": excluded[0],
                "replay_s": replay_s,
            }
        )
    )


def run_engine(engine: str, n_experts: int, draws: int, seed: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as data_dir:
        if engine == "sqlite":
            env = {k: v for k, v in env.items() if k not in ("YIWANG_PROFILE", "YIWANG_DATABASE_URL")}
            env["YIWANG_DATA_DIR"] = data_dir
        env["PYTHONPATH"] = str(ROOT / "src")
        args = [
            sys.executable,
            __file__,
            "--engine-run",
            "--experts",
            str(n_experts),
            "--draws",
            str(draws),
            "--seed",
            str(seed),
        ]
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=3600)
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
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--engine-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_run:
        engine_run(args.experts, args.draws, args.seed)
        return
    runs = {"sqlite": run_engine("sqlite", args.experts, args.draws, args.seed)}
    if os.environ.get("YIWANG_DATABASE_URL"):
        runs["postgresql"] = run_engine("postgresql", args.experts, args.draws, args.seed)
    print(f"machine: {machine()}")
    print(f"pool: {args.experts:,} experts, 50 avoided firms, {args.draws} draws of 2 lines (5+2, 2+1 reserves)\n")
    header = f"{'engine':>22} | {'draw p50 ms':>11} | {'draw p95 ms':>11} | {'read p50 ms':>11} | {'eligible':>13}"
    print(header)
    print("-" * len(header))
    for name, run in runs.items():
        d = [t * 1000 for t in run["draw_s"]]
        g = [t * 1000 for t in run["gather_s"]]
        print(
            f"{name + ' ' + run['version'].split()[0]:>22} | {statistics.median(d):>11.0f} | {_pct(d, 0.95):>11.0f} | "
            f"{statistics.median(g):>11.0f} | {run['eligible_first']!s:>13}"
        )
    for name, run in runs.items():
        print(
            f"\n{name}: setup {run['setup_s']:.0f} s, {run['specialty_rows']:,} specialty rows; "
            f"replay {run['replay_s'] * 1000:.0f} ms; first line excluded {run['excluded_first']}"
        )


if __name__ == "__main__":
    main()
