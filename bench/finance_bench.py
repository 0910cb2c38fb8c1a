"""Finance: ledger postings per second, and a deadline burst of bank notifications, on SQLite and PostgreSQL.

1. **Postings**: one balanced journal entry (bank custody → a bidder's deposit sub-account) per action, with
   its witness entry, committed — the ledger's unit of work. Measured with 1 and 4 writer threads.
2. **Burst**: N signed deposit notices (default 10,000, spread over 200 bidders' virtual sub-accounts) arrive
   from 4 concurrent senders just before a deadline, every 10th one delivered twice. Measured: the ingest rate
   (verify + store raw in the inbox), then the time the clock job needs to post them all. Checked: every
   notice stored and posted exactly once, the deposits hold exactly what was sent, debits = credits and the
   ledger reconciles with the bank's statement to zero.
3. **E-guarantee verification** with SM2 and with ECDSA P-256 issuer certificates: the identity.ca check of a
   signed guarantee document alone (chain, CRL, subject, signature, expected USCC) per second, and whole issues
   per second (verify + content checks + letter stored + signature recorded + memo posted, one transaction).

    .venv/bin/python bench/finance_bench.py                               # SQLite only
    tools/pg-test-server run -- .venv/bin/python bench/finance_bench.py   # SQLite and PostgreSQL side by side

Each engine runs in a fresh process and a fresh database (SQLite: a temporary data directory; PostgreSQL: the
database named by YIWANG_DATABASE_URL, migrated first). Results go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIDDERS = 200
SENDERS = 4


def _setup(n_bidders: int):
    """Reference data, one lot, ``n_bidders`` registered bidders with their deposit sub-accounts."""
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.kernel.actors import Actor
    from yiwang.kernel.ids import make_uscc
    from yiwang.platform.reference import ensure_all
    from yiwang.registry import actions as registry
    from yiwang.services.finance import actions

    ensure_reference_data()
    ensure_all()
    system = Actor.system("bench")
    lot = actions.do_set_deposit_requirement(
        actor=system,
        lot_ref="bench.lot:1",
        regime="works",
        opening_at=datetime.now(UTC) + timedelta(days=30),
        amount_fen=100_000,
        base_fen=10**10,
    )
    deposits = []
    for i in range(n_bidders):
        entity = registry.do_register_entity(
            actor=system,
            data={
                "kind": "legal_person",
                "uscc": make_uscc("9", "1", "310115", f"MA{i:06d}"),
                "name": f"上海压测投标人{i:04d}有限公司",
                "legal_rep_name": "张三",
                "legal_rep_id_number": "310117198001011230",
                "region_code": "310115",
                "address": "上海市浦东新区压测路 1 号",
                "contact_name": "张三",
                "contact_phone": "13800000000",
                "registered_capital_fen": 100_000_000,
                "established_on": "2020-05-06",
                "enterprise_nature": "5",
                "business_scope": "建设工程施工。",
                "roles": ["bidder"],
            },
        )
        deposits.append(actions.do_open_deposit_account(actor=system, lot_ref=lot.ref, entity_id=entity.pk))
    return lot, deposits


def measure_postings(deposits, seconds: float, writers: int) -> dict:
    from django.db import connection

    from yiwang.kernel.actors import Actor
    from yiwang.platform.actions import action
    from yiwang.services.finance import ledger
    from yiwang.services.finance.domain.ledger import AccountKind, JournalKind

    seq = itertools.count()
    bank_account = ledger.ensure_account("bank:BENCH", AccountKind.BANK_CLEARING, datetime.now(UTC), bank_code="BENCH")
    counts = [0] * writers
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers + 1)
    stop_at = [0.0]

    def write(i: int) -> None:
        actor = Actor.system(f"bench-{i}")
        try:
            barrier.wait()
            while time.monotonic() < stop_at[0]:
                n = next(seq)
                deposit = deposits[n % len(deposits)]
                with action(actor, "finance.bench_posting") as act:
                    entry = ledger.post(
                        kind=JournalKind.DEPOSIT_RECEIVED,
                        key=f"bench:{writers}:{n}",
                        legs=[ledger.dr(bank_account, 100), ledger.cr(deposit.account, 100)],
                        effective_at=act.now,
                        recorded_at=act.now,
                        actor_ref=actor.ref,
                        lot=deposit.lot,
                    )
                    act.witness(entry, {"n": n})
                counts[i] += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    began = time.monotonic()
    stop_at[0] = began + seconds
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    if errors:
        raise errors[0]
    return {"writers": writers, "postings": sum(counts), "seconds": elapsed, "per_second": sum(counts) / elapsed}


def measure_burst(deposits, n_notices: int) -> dict:
    from django.db import connection
    from django.db.models import Sum

    from yiwang.services.finance import actions, bank, jobs, ledger, queries
    from yiwang.services.finance.models import BankNotice, JournalEntry, NoticeStatus

    sim = bank.SimulatedBank()
    notices = []
    expected: dict[int, int] = {}
    for i in range(n_notices):  # the bank's side, booked before the measured window
        deposit = deposits[i % len(deposits)]
        amount = 100_000 + i % 97
        notices.append(
            sim.pay_in(
                virtual_account=deposit.virtual_account,
                amount_fen=amount,
                payer_account=f"6222{i % len(deposits):012d}",
                payer_name="压测",
                ref=f"BURST{i:06d}",
            )
        )
        expected[deposit.pk] = expected.get(deposit.pk, 0) + amount
    deliveries = notices + notices[::10]  # every 10th notice arrives twice
    chunks = [deliveries[k::SENDERS] for k in range(SENDERS)]
    errors: list[BaseException] = []

    def send(chunk) -> None:
        try:
            for n in chunk:
                actions.receive_bank_notice(bank_code=n.bank_code, body=n.body, signature=n.signature, post=False)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in chunks]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ingest = time.monotonic() - began
    if errors:
        raise errors[0]
    began = time.monotonic()
    rounds = 0
    while BankNotice.objects.filter(status=NoticeStatus.RECEIVED).exists() and rounds < 1000:
        jobs.process_bank_inbox(datetime.now(UTC))
        rounds += 1
    posting = time.monotonic() - began
    stored = BankNotice.objects.filter(bank_ref__startswith="BURST").count()
    posted = BankNotice.objects.filter(bank_ref__startswith="BURST", status=NoticeStatus.POSTED).count()
    entries = JournalEntry.objects.filter(key__startswith="notice:SIMBANK:BURST").count()
    by_deposit = {d.pk: ledger.balance_of(d.account) for d in deposits}
    report = queries.build_reconciliation()
    sent_total = sum(expected.values())
    held_total = JournalEntry.objects.filter(key__startswith="notice:SIMBANK:BURST").aggregate(
        s=Sum("lines__debit_fen")
    )["s"]
    return {
        "notices": n_notices,
        "deliveries": len(deliveries),
        "ingest_seconds": ingest,
        "ingest_per_second": len(deliveries) / ingest,
        "posting_seconds": posting,
        "posting_per_second": n_notices / posting,
        "stored": stored,
        "posted": posted,
        "journal_entries": entries,
        "lost": n_notices - posted,
        "duplicated": entries - n_notices,
        "amounts_match": all(by_deposit[k] == v for k, v in expected.items()) and held_total == sent_total,
        "balanced": report.balanced,
        "reconciled": report.reconciled,
    }


def measure_guarantees(deposits, seconds: float, algorithm: str) -> dict:
    """Verification and issue of e-guarantees signed with an ``algorithm`` certificate (sm2 | ecdsa)."""
    from yiwang.identity.ca import queries as ca_queries
    from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
    from yiwang.kernel.ids import make_uscc
    from yiwang.platform.clock import now
    from yiwang.services.finance import actions
    from yiwang.services.finance.tests import guarantee_support as gs

    system = Actor.system("bench")
    staff = Actor(ActorKind.ACCOUNT, "bench-staff", "压测工作人员", (RoleGrant(Role.STAFF, region="310000"),))
    moment = now()
    pki = gs.Pki(algorithm, label=f"压测{algorithm}", start=moment - timedelta(days=30))
    gs.trust(pki, at=moment)
    suffix = "M" if algorithm == "sm2" else "E"
    bank_uscc = make_uscc("9", "1", "310101", f"MA0BNK{suffix}0")
    owner_uscc = make_uscc("9", "1", "310101", f"MA0TND{suffix}0")
    bank_id = gs.register_company(bank_uscc, f"压测银行{algorithm}股份有限公司", ["guarantor"])
    owner_id = gs.register_company(owner_uscc, f"压测招标人{algorithm}有限公司", ["tenderer"])
    cert = pki.issue(entity=bank_uscc, name=f"压测银行{algorithm}股份有限公司", not_before=moment - timedelta(days=1))
    issuer = actions.do_register_guarantee_issuer(actor=staff, entity_id=bank_id, kind="bank", certificates=[cert.pem])
    opening = now() + timedelta(days=20)
    lot = actions.do_set_deposit_requirement(
        actor=system,
        lot_ref=f"bench.guarantee:{algorithm}",
        regime="works",
        opening_at=opening,
        amount_fen=100_000,
        base_fen=10**10,
        owner_entity_id=owner_id,
        bid_validity_until=opening + timedelta(days=90),
    )
    bidders = [gs.support.Bidder(d.entity_id, "", "", gs.support.user_of(d.entity_id)) for d in deposits]
    env = gs.Env(pki, lot, (bidders[0], bidders[1]), owner_id, issuer, issuer, cert, cert, system, system)
    env.bidders = tuple(bidders)
    # pure verification of one signed document, repeated
    sample = actions.do_apply_guarantee(
        actor=system, lot_ref=lot.ref, entity_id=bidders[0].entity_id, issuer_id=issuer.pk
    )
    data = env.document(sample, beneficiary_code=owner_uscc).to_bytes()
    signature = gs.sign_document(cert, data)
    checks, began = 0, time.monotonic()
    while time.monotonic() - began < seconds:
        check = ca_queries.verify_document(signature, cert.pem, data=data, expected_uscc=bank_uscc)
        assert check.ok, check.reason
        checks += 1
    verify_elapsed = time.monotonic() - began
    # whole issues (one application per bidder, prepared outside the measured window)
    prepared = []
    for bidder in bidders[1:]:
        application = actions.do_apply_guarantee(
            actor=system, lot_ref=lot.ref, entity_id=bidder.entity_id, issuer_id=issuer.pk
        )
        doc = env.document(application, beneficiary_code=owner_uscc, applicant=bidder.name or "压测投标人")
        body = doc.to_bytes()
        prepared.append((application.application_no, body, gs.sign_document(cert, body)))
    issued, began = 0, time.monotonic()
    for application_no, body, sig in prepared:
        if time.monotonic() - began >= seconds:
            break
        actions.do_issue_guarantee(
            actor=system,
            application_no=application_no,
            document=body,
            signature=sig,
            certificate=cert.pem,
            letter=gs.LETTER,
        )
        issued += 1
    issue_elapsed = time.monotonic() - began
    return {
        "algorithm": algorithm,
        "verifications": checks,
        "verify_per_second": checks / verify_elapsed,
        "issues": issued,
        "issue_per_second": issued / issue_elapsed,
    }


def engine_run(seconds: float, n_notices: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cur.fetchone()[0]
    _lot, deposits = _setup(BIDDERS)
    burst = measure_burst(deposits, n_notices)  # first, so its checks see only its own money
    postings = [measure_postings(deposits, seconds, w) for w in (1, 4)]
    guarantees = [measure_guarantees(deposits, seconds, alg) for alg in ("sm2", "ecdsa")]
    connection.close()
    print(
        json.dumps(
            {
                "engine": connection.vendor,
                "version": version,
                "postings": postings,
                "burst": burst,
                "guarantees": guarantees,
            }
        )
    )


def run_engine(engine: str, seconds: float, n_notices: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as data_dir:
        if engine == "sqlite":
            env = {k: v for k, v in env.items() if k not in ("YIWANG_PROFILE", "YIWANG_DATABASE_URL")}
            env["YIWANG_DATA_DIR"] = data_dir
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
        args = [sys.executable, __file__, "--engine-run", "--seconds", str(seconds), "--notices", str(n_notices)]
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=3000)
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
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per posting cell")
    parser.add_argument("--notices", type=int, default=10_000, help="notices in the burst")
    parser.add_argument("--engine-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_run:
        engine_run(args.seconds, args.notices)
        return
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("YIWANG_DATABASE_URL") else [])
    runs = {name: run_engine(name, args.seconds, args.notices) for name in engines}
    print(f"machine: {machine()}")
    print("engines: " + ", ".join(f"{name} {run['version']}" for name, run in runs.items()))
    print("\nledger postings per second (1 balanced entry + 1 witness entry per committed action)")
    print(
        f"{'writers':>7} | "
        + " | ".join(f"{name:>12}" for name in engines)
        + (" | PG / SQLite" if len(engines) > 1 else "")
    )
    for i, writers in enumerate((1, 4)):
        rates = [runs[name]["postings"][i]["per_second"] for name in engines]
        ratio = f" | {rates[1] / rates[0]:10.2f}×" if len(rates) > 1 else ""
        print(f"{writers:>7} | " + " | ".join(f"{r:12.0f}" for r in rates) + ratio)
    print(
        f"\nburst: {args.notices} signed notices from {SENDERS} senders (+10 % duplicates) over {BIDDERS} sub-accounts"
    )
    keys = [
        "deliveries",
        "ingest_seconds",
        "ingest_per_second",
        "posting_seconds",
        "posting_per_second",
        "stored",
        "posted",
        "journal_entries",
        "lost",
        "duplicated",
        "amounts_match",
        "balanced",
        "reconciled",
    ]
    print(f"{'':>20} | " + " | ".join(f"{name:>12}" for name in engines))
    for key in keys:
        cells = []
        for name in engines:
            value = runs[name]["burst"][key]
            cells.append(f"{value:12.1f}" if isinstance(value, float) else f"{value!s:>12}")
        print(f"{key:>20} | " + " | ".join(cells))
    print("\ne-guarantees: identity.ca verification alone, and whole issues, per second")
    print(f"{'':>20} | " + " | ".join(f"{name:>12}" for name in engines))
    for i, alg in enumerate(("sm2", "ecdsa")):
        for key in ("verify_per_second", "issue_per_second"):
            cells = [f"{runs[name]['guarantees'][i][key]:12.1f}" for name in engines]
            print(f"{alg + ' ' + key.split('_')[0]:>20} | " + " | ".join(cells))
    failed = [
        n
        for n, r in runs.items()
        if r["burst"]["lost"]
        or r["burst"]["duplicated"]
        or not r["burst"]["reconciled"]
        or not r["burst"]["amounts_match"]
    ]
    if failed:
        raise SystemExit(f"money lost, duplicated or unreconciled on: {', '.join(failed)}")


if __name__ == "__main__":
    main()
