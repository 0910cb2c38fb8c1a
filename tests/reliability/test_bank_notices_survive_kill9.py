"""Kill the server and the clock worker while bank notices arrive (issue 11, reliability suite item 3: kill -9 of
the server or worker during bank notices).

The site runs as a separate process (gunicorn, workers × threads: the bid-submission test's ``Server``) on the
test database, and the clock runs as another (``django-admin clock``: its ``finance.bank_inbox`` job posts what the
inbox holds). A simulated bank books transfers into bidders' deposit sub-accounts and delivers the signed credit
notices from several sender threads through the real endpoint ``POST /api/v1/finance/bank/SIMBANK/notices``; every
fifth notice is delivered twice in the burst. The endpoint stores the raw notice (its own transaction: the
acknowledgement) and then posts it; a notice stored but not posted stays in the inbox for the clock.

At seeded points the clock worker is killed with SIGKILL during the burst, then the whole server after a number
of acknowledgements. Both are started again; the bank redelivers every notice it holds no acknowledgement for,
and a sample of acknowledged ones (a bank cannot tell a lost answer from a lost request); at a seeded point of
the redelivery the clock is killed once more (racing the server's own posting) and started again.

What must hold:

* zero acknowledged notices lost: right after the kill, before any redelivery, every notice the server
  acknowledged (200/201) is stored; every one acknowledged as ``posted`` has its journal entry;
* in the end every notice the bank booked is stored once and posted once: one ``BankNotice`` per bank
  reference, one journal entry per notice (no duplicate posting, whatever raced: the server's inline posting,
  the clock, a redelivery, a retry after a kill);
* every deposit holds exactly what was paid into it, debits equal credits and the ledger reconciles with the
  bank's own books to zero.

Determinism: the kill points come from a seed (``YIWANG_KILL_SEED`` to replay one) and wait for
acknowledgements, never for a time alone; every wait is bounded; every failure message names the seed. Runs on
SQLite (the test database file) and on PostgreSQL (``make test-reliability``).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from tests.reliability.test_bid_submission_survives_kill9 import Server

from yiwang.kernel.actors import Actor
from yiwang.kernel.ids import make_uscc
from yiwang.registry import actions as registry
from yiwang.services.finance import actions, bank, ledger, queries
from yiwang.services.finance.models import BankNotice, JournalEntry, NoticeStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
log = logging.getLogger("yiwang.tests.kill9")

BIDDERS = 6
NOTICES = 60
SENDERS = 4
BOOT_SECONDS = 90
DRAIN_SECONDS = 90
SETTINGS = """from yiwang.config.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = {name!r}  # noqa: F405 - the test database the test process set up
"""
SYSTEM = Actor.system("kill9-bank")


class Worker:
    """The clock (``django-admin clock``) on the test database; killed with SIGKILL, never stopped kindly."""

    def __init__(self, settings_dir: Path, log_path: Path):
        self.settings_dir, self.log = settings_dir, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kill9_bank_settings",
            "PYTHONPATH": os.pathsep.join(p for p in [str(self.settings_dir), os.environ.get("PYTHONPATH", "")] if p),
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "django", "clock", "--interval", "0.2"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def _world() -> tuple[list, list[bank.SignedNotice], dict[int, int]]:
    """A lot, ``BIDDERS`` deposit sub-accounts, and the bank's side: ``NOTICES`` transfers booked and signed."""
    lot = actions.do_set_deposit_requirement(
        actor=SYSTEM,
        lot_ref="bench.lot:9",
        regime="works",
        opening_at=datetime.now(UTC) + timedelta(days=30),
        amount_fen=100_000,
        base_fen=10**10,
    )
    deposits = []
    for i in range(BIDDERS):
        entity = registry.do_register_entity(
            actor=SYSTEM,
            data={
                "kind": "legal_person",
                "uscc": make_uscc("9", "1", "310115", f"KB{i:06d}"),
                "name": f"上海断电银行测试有限公司{i}",
                "legal_rep_name": "张三",
                "legal_rep_id_number": "310117198001011230",
                "region_code": "310115",
                "address": "上海市浦东新区测试路 1 号",
                "contact_name": "张三",
                "contact_phone": "13800000000",
                "registered_capital_fen": 100_000_000,
                "established_on": "2020-05-06",
                "enterprise_nature": "5",
                "business_scope": "建设工程施工。",
                "roles": ["bidder"],
            },
        )
        deposits.append(actions.do_open_deposit_account(actor=SYSTEM, lot_ref=lot.ref, entity_id=entity.pk))
    sim = bank.SimulatedBank()
    notices, expected = [], {}
    for i in range(NOTICES):
        deposit = deposits[i % BIDDERS]
        amount = 30_000 + 7 * i
        notices.append(
            sim.pay_in(
                virtual_account=deposit.virtual_account,
                amount_fen=amount,
                payer_account=f"6222{i % BIDDERS:012d}",
                payer_name="断电测试付款人",
                ref=f"K9N{i:05d}",
            )
        )
        expected[deposit.pk] = expected.get(deposit.pk, 0) + amount
    return deposits, notices, expected


def _ref(notice: bank.SignedNotice) -> str:
    return json.loads(notice.body)["ref"]


def _deliver(server: Server, notice: bank.SignedNotice) -> dict | None:
    """One delivery; the answer's JSON when it is an acknowledgement (200 duplicate / 201 stored), else None."""
    try:
        answer = server.request(
            "POST",
            f"/api/v1/finance/bank/{notice.bank_code}/notices",
            notice.body,
            {"Content-Type": "application/json", bank.SIGNATURE_HEADER: notice.signature},
            timeout=30,
        )
    except (OSError, http.client.HTTPException):
        return None
    if answer.status not in (200, 201):
        return None
    return answer.json


def _wait(condition, seconds: float, message: str) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, message
        time.sleep(0.1)


@pytest.fixture
def bank_settings(settings, tmp_path: Path) -> Path:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    folder = tmp_path / "settings"
    folder.mkdir()
    name = str(connection.settings_dict["NAME"])
    for module in ("kill9_settings", "kill9_bank_settings"):  # the server's and the clock's
        (folder / f"{module}.py").write_text(SETTINGS.format(name=name))
    return folder


def test_no_acknowledged_bank_notice_is_lost_or_posted_twice_across_kill_9(bank_settings, tmp_path):
    seed = int(os.environ.get("YIWANG_KILL_SEED") or random.SystemRandom().randrange(1 << 30))
    rng = random.Random(seed)
    kill_server_after = rng.randint(5, NOTICES // 2)  # acknowledgements before the server's kill
    kill_worker_after = rng.randint(1, kill_server_after)  # acknowledgements before the first worker kill
    kill_delay = rng.uniform(0.0, 0.3)
    why = (
        f"(seed {seed}: worker killed after {kill_worker_after} acknowledgements, server after "
        f"{kill_server_after} + {kill_delay:.3f} s; replay with YIWANG_KILL_SEED={seed})"
    )
    deposits, notices, expected = _world()
    by_ref = {_ref(n): n for n in notices}
    deliveries = list(notices) + notices[::5]  # every fifth notice twice
    rng.shuffle(deliveries)

    server = Server(bank_settings, tmp_path / "server.log")
    worker = Worker(bank_settings, tmp_path / "clock.log")
    acked: dict[str, str] = {}  # ref → status answered (the last acknowledgement)
    lock = threading.Lock()
    worker_due, server_due = threading.Event(), threading.Event()
    started = time.monotonic()
    try:
        worker.start()  # boots while the server does
        server.start()

        def send(chunk: list[bank.SignedNotice]) -> None:
            for notice in chunk:
                answer = _deliver(server, notice)
                if answer is None:
                    continue
                assert answer["bank_ref"] == _ref(notice), why
                with lock:
                    acked[_ref(notice)] = answer["status"]
                    if len(acked) >= kill_worker_after:
                        worker_due.set()
                    if len(acked) >= kill_server_after:
                        server_due.set()

        with ThreadPoolExecutor(SENDERS) as pool:
            futures = [pool.submit(send, deliveries[k::SENDERS]) for k in range(SENDERS)]
            assert worker_due.wait(timeout=120), f"no acknowledgements for the worker's kill {why}\n{server.tail()}"
            worker.kill()
            assert server_due.wait(timeout=120), f"no acknowledgements for the server's kill {why}\n{server.tail()}"
            time.sleep(kill_delay)
            server.kill()
            for f in futures:
                f.result(timeout=120)
        first_wave = dict(acked)

        # -- zero acknowledged notices lost: checked before anything is delivered again --------------------------
        stored = {n.bank_ref: n for n in BankNotice.objects.filter(bank_ref__in=list(by_ref))}
        lost = sorted(ref for ref in first_wave if ref not in stored)
        assert not lost, f"acknowledged notices not stored after the kill: {lost[:5]} {why}"
        for ref, status in first_wave.items():
            if status == NoticeStatus.POSTED:
                assert stored[ref].status == NoticeStatus.POSTED, f"{ref} acknowledged as posted, not posted {why}"
                assert stored[ref].entry_id, f"{ref} was acknowledged as posted but has no posting {why}"
        left_in_inbox = sum(1 for n in stored.values() if n.status == NoticeStatus.RECEIVED)

        # -- the clock and the server come back; the bank redelivers; the clock is killed once more meanwhile ---------
        worker.start()
        server.start()
        again = [n for ref, n in by_ref.items() if ref not in acked]
        again += [by_ref[ref] for ref in sorted(first_wave)[:: max(1, len(first_wave) // 5)]]
        kill_worker_at = rng.randrange(len(again))
        for i, notice in enumerate(again):
            if i == kill_worker_at:  # racing the server's inline posting of the redelivered notices
                worker.kill()
                worker.start()
            answer = None
            for _attempt in range(3):
                answer = _deliver(server, notice)
                if answer is not None:
                    break
                time.sleep(0.5)
            assert answer is not None, f"{_ref(notice)} refused after the restart {why}\n{server.tail()}"
            acked[_ref(notice)] = answer["status"]
        _wait(
            lambda: not BankNotice.objects.filter(status=NoticeStatus.RECEIVED).exists(),
            DRAIN_SECONDS,
            f"the inbox did not empty after the redelivery {why}\n{worker.tail()}",
        )
    finally:
        server.kill()
        worker.kill()
    elapsed = time.monotonic() - started

    # -- every notice stored once and posted once; money where it belongs; the ledger balanced and reconciled ---------
    assert set(acked) == set(by_ref), why
    rows = list(BankNotice.objects.filter(bank_ref__in=list(by_ref)))
    assert len(rows) == NOTICES, f"{len(rows)} notice rows for {NOTICES} notices {why}"
    assert all(r.status == NoticeStatus.POSTED for r in rows), why
    keys = list(JournalEntry.objects.filter(key__startswith="notice:SIMBANK:K9N").values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == NOTICES, f"{len(keys)} postings for {NOTICES} notices {why}"
    assert {r.entry_id for r in rows} == set(JournalEntry.objects.filter(key__in=keys).values_list("pk", flat=True)), (
        why
    )
    for deposit in deposits:
        assert ledger.balance_of(deposit.account) == expected[deposit.pk], f"deposit {deposit.pk} {why}"
    report = queries.build_reconciliation()
    assert report.balanced, f"debits ≠ credits {why}"
    assert report.reconciled, f"the ledger does not reconcile with the bank {why}"
    log.info(
        f"kill -9 bank notices {why}: {len(first_wave)} acknowledged before the server's kill, {left_in_inbox} "
        f"stored but not posted then, {len(again)} redelivered, {elapsed:.1f} s"
    )
