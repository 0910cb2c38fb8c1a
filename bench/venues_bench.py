"""How venue bookings and availability behave with a year of bookings: 40 sites, 240 rooms, ~60 k bookings.

The past and future bookings are generated straight into the table (the booking action and the reads are what
is measured): each room is used on most working days, 1–3 meetings a day, with the buffers of its kind. Then:

- ``book``: the whole booking action as staff call it (room lock, maintenance and conflict checks, witness
  entry, feed event) into free gaps of busy rooms;
- ``clash``: a booking refused with ``venues.room_conflict`` (checks, then rollback);
- ``availability``: free slots of every evaluation room in Shanghai over one week;
- ``calendar``: the day grid of one site and the week grid of all sites;
- ``race``: 8 threads booking overlapping times in one room, 20 rounds: exactly one wins each round.

    .venv/bin/python bench/venues_bench.py                               # SQLite
    tools/pg-test-server run -- .venv/bin/python bench/venues_bench.py   # SQLite and PostgreSQL

The venues app must be installed in the settings module used (``DJANGO_SETTINGS_MODULE``). Results go to
docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISTRICTS = ["310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113", "310114", "310115"]
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 Shanghai


def build(rnd: random.Random, sites_n: int, days: int) -> dict:
    """Organisations, sites and rooms through the actions; a year of bookings by bulk insert."""
    from yiwang.identity import actions as identity_actions
    from yiwang.kernel.actors import Actor
    from yiwang.kernel.periods import SHANGHAI
    from yiwang.services.venues import actions
    from yiwang.services.venues.conf import venues_settings
    from yiwang.services.venues.domain.rules import Interval, blocked
    from yiwang.services.venues.models import Booking, Room

    system = Actor.system("bench")
    rooms = []
    for i in range(sites_n):
        district = DISTRICTS[i % len(DISTRICTS)]
        org = identity_actions.do_create_organisation(
            actor=system, kind="trading_centre", name=f"基准交易中心{i}", region_code=district
        )
        site = actions.do_create_site(
            actor=system, organisation_id=org.pk, name=f"基准场所{i}", region_code=district, address=f"测试路{i}号"
        )
        for code, kind, cap in (
            ("K1", "opening_hall", 60),
            ("K2", "opening_hall", 40),
            ("P1", "evaluation_room", 9),
            ("P2", "evaluation_room", 9),
            ("R1", "remote_seats", 20),
            ("T1", "negotiation_room", 12),
        ):
            room = actions.do_create_room(
                actor=system, site_id=site.pk, data={"code": code, "name": code, "kind": kind, "capacity": cap}
            )
            if kind in ("evaluation_room", "remote_seats"):
                actions.do_add_seats(
                    actor=system, room_id=room.pk, seats=[{"number": f"{code}{n:02d}"} for n in range(1, 10)]
                )
            rooms.append(room)
    conf = venues_settings()
    first = date(2025, 9, 1)
    rows = []
    for room in rooms:
        buffers = conf.buffers_for(room.kind)
        purpose = {"opening_hall": "opening", "negotiation_room": "negotiation"}.get(room.kind, "evaluation")
        for d in range(days):
            day = first + timedelta(days=d)
            if day.weekday() >= 5 or rnd.random() < 0.2:
                continue
            hour = 8
            for _ in range(rnd.randint(1, 3)):
                start = datetime(day.year, day.month, day.day, hour, 30 * rnd.randint(0, 1), tzinfo=SHANGHAI)
                end = start + timedelta(minutes=30 * rnd.randint(2, 6))
                block: Interval = blocked(start, end, buffers)
                rows.append(
                    Booking(
                        room=room,
                        owner_ref=f"bench.section:{len(rows)}",
                        purpose=purpose,
                        start=start,
                        end=end,
                        buffer_before=buffers.before,
                        buffer_after=buffers.after,
                        blocked_from=block.start,
                        blocked_until=block.end,
                        seats=3,
                        status="done" if day < T0.date() else "approved",
                        apply_type="venue",
                        requested_by_ref="system:bench",
                        requested_by_label="基准",
                        check_in_code="000000",
                        created_at=T0,
                        updated_at=T0,
                    )
                )
                hour = end.hour + 2
                if hour > 16:
                    break
    Booking.objects.bulk_create(rows, batch_size=2000)
    return {"rooms": [r.pk for r in Room.objects.order_by("pk")], "bookings": len(rows)}


def engine_run(sites_n: int, days: int, seed: int) -> None:
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection

    if not apps.is_installed("yiwang.services.venues"):
        raise SystemExit("the venues app is not installed in this settings module")
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
    from yiwang.kernel.clock import ManualClock
    from yiwang.kernel.errors import Conflict
    from yiwang.kernel.periods import SHANGHAI
    from yiwang.platform.clock import use_clock
    from yiwang.platform.reference import ensure_all
    from yiwang.services.venues import actions, queries
    from yiwang.services.venues.models import Booking, Room

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cur.fetchone()[0]
    rnd = random.Random(seed)
    staff = Actor(ActorKind.ACCOUNT, "1", "基准测试", (RoleGrant(Role.STAFF, region="310000"),))
    out: dict = {"engine": connection.vendor, "version": version}
    with use_clock(ManualClock(T0)):
        ensure_reference_data()
        ensure_all()
        t = time.perf_counter()
        built = build(rnd, sites_n, days)
        out.update(setup_s=time.perf_counter() - t, bookings=built["bookings"], rooms=len(built["rooms"]))
        evaluation = list(Room.objects.filter(kind="evaluation_room").values_list("pk", flat=True))
        book, clash = [], []
        for i in range(40):
            room = rnd.choice(evaluation)
            day = T0.date() + timedelta(days=1 + i % 60)
            start = datetime(day.year, day.month, day.day, 19, 0, tzinfo=SHANGHAI)  # evenings are free
            t = time.perf_counter()
            actions.do_book_room(
                actor=staff, room_id=room, owner_ref=f"bench.new:{i}", purpose="evaluation",
                start=start, end=start + timedelta(hours=2), seats=3,
            )  # fmt: skip
            book.append(time.perf_counter() - t)
            t = time.perf_counter()
            try:
                actions.do_book_room(
                    actor=staff, room_id=room, owner_ref=f"bench.clash:{i}", purpose="evaluation",
                    start=start + timedelta(minutes=30), end=start + timedelta(hours=3), seats=3,
                )  # fmt: skip
            except Conflict:
                clash.append(time.perf_counter() - t)
        avail = []
        for i in range(20):
            day0 = datetime.combine(T0.date() + timedelta(days=7 * i), datetime.min.time(), tzinfo=SHANGHAI)
            t = time.perf_counter()
            found = queries.availability(
                kind="evaluation_room", start=day0, end=day0 + timedelta(days=7), min_minutes=120, region="310000"
            )
            avail.append(time.perf_counter() - t)
        out["availability_rooms"] = len(found)
        day_grid, week_grid = [], []
        site_id = Room.objects.values_list("site_id", flat=True).first()
        for i in range(10):
            t = time.perf_counter()
            queries.calendar_for(staff, first_day=T0.date() + timedelta(days=i), days=1, site_id=site_id)
            day_grid.append(time.perf_counter() - t)
            t = time.perf_counter()
            queries.calendar_for(staff, first_day=T0.date() + timedelta(days=i), days=7)
            week_grid.append(time.perf_counter() - t)
        out.update(book_s=book, clash_s=clash, availability_s=avail, day_s=day_grid, week_s=week_grid)
        race_room = evaluation[0]
    wins = []
    for r in range(20):
        day = T0.date() + timedelta(days=100 + r)
        starts = [datetime(day.year, day.month, day.day, 21, 5 * k, tzinfo=SHANGHAI) for k in range(8)]
        wins.append(_race_round(actions.do_book_room, staff, race_room, starts))
    out["race"] = wins  # (winners, seconds) per round: the race is in a free evening, so one winner each
    out["race_winners_ok"] = all(w == 1 for w, _ in wins)
    out["holding_overlaps"] = _overlaps(Booking, race_room)
    connection.close()
    print(json.dumps(out))


def _race_round(book, staff, room_id: int, starts: list[datetime]) -> tuple[int, float]:
    """One round: every start booked at once from its own thread; returns (winners, seconds)."""
    from django.db import connection

    from yiwang.kernel.clock import ManualClock
    from yiwang.kernel.errors import Conflict
    from yiwang.platform.clock import use_clock

    barrier, results, lock = threading.Barrier(len(starts)), [], threading.Lock()

    def worker(start: datetime) -> None:
        try:
            with use_clock(ManualClock(T0)):
                barrier.wait(timeout=60)
                try:
                    book(
                        actor=staff, room_id=room_id, owner_ref="bench.race", purpose="evaluation",
                        start=start, end=start + timedelta(hours=2),
                    )  # fmt: skip
                    ok = True
                except Conflict:
                    ok = False
                with lock:
                    results.append(ok)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(s,)) for s in starts]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    return sum(results), time.perf_counter() - t


def _overlaps(model, room_id: int) -> int:
    rows = list(
        model.objects.filter(room_id=room_id, status__in=("pending", "approved", "done"))
        .order_by("blocked_from")
        .values_list("blocked_from", "blocked_until")
    )
    return sum(1 for a, b in itertools.pairwise(rows) if b[0] < a[1])


def run_engine(engine: str, sites_n: int, days: int, seed: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as data_dir:
        if engine == "sqlite":
            env = {k: v for k, v in env.items() if k not in ("YIWANG_PROFILE", "YIWANG_DATABASE_URL")}
            env["YIWANG_DATA_DIR"] = data_dir
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH", "")]))
        env.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
        args = [sys.executable, __file__, "--engine-run", "--sites", str(sites_n), "--days", str(days)]
        args += ["--seed", str(seed)]
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
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


def _ms(values: list[float], p: float = 0.5) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=40)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--engine-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_run:
        engine_run(args.sites, args.days, args.seed)
        return
    runs = {"sqlite": run_engine("sqlite", args.sites, args.days, args.seed)}
    if os.environ.get("YIWANG_DATABASE_URL"):
        runs["postgresql"] = run_engine("postgresql", args.sites, args.days, args.seed)
    print(f"machine: {machine()}")
    first = next(iter(runs.values()))
    print(f"{first['rooms']} rooms, {first['bookings']:,} bookings generated over {args.days} days\n")
    header = (
        f"{'engine':>18} | {'book p50/p95 ms':>15} | {'clash p50 ms':>12} | {'avail p50 ms':>12} | "
        f"{'day p50 ms':>10} | {'week p50 ms':>11} | {'race p50 ms':>11} | one winner"
    )
    print(header)
    print("-" * len(header))
    for name, run in runs.items():
        race = [t for _, t in run["race"]]
        print(
            f"{name + ' ' + run['version'].split()[0]:>18} | "
            f"{_ms(run['book_s']):>6.1f}/{_ms(run['book_s'], 0.95):<8.1f} | {_ms(run['clash_s']):>12.1f} | "
            f"{_ms(run['availability_s']):>12.1f} | {_ms(run['day_s']):>10.1f} | {_ms(run['week_s']):>11.1f} | "
            f"{statistics.median(race) * 1000:>11.0f} | {run['race_winners_ok'] and run['holding_overlaps'] == 0}"
        )
    for name, run in runs.items():
        print(f"\n{name}: setup {run['setup_s']:.0f} s; availability found {run['availability_rooms']} rooms")


if __name__ == "__main__":
    main()
