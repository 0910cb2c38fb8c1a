"""Kill the server during bid submission (issue 6, "bad input and faults"): the site runs as a separate process
(gunicorn, the ``yiwang run`` shape: workers × threads) on the test database; bidders upload sealed envelopes
concurrently through the bid box API; at a random point the whole server is killed with SIGKILL — no shutdown,
no rollback handler, no flush. It is started again on the same database and data directory.

What must hold afterwards:

* every acknowledged bid (a 201 whose signed receipt verifies with the platform key) is stored: its submission
  row exists, its envelope blob is in the store with the recorded SHA-256, size and SM3, and it decrypts at the
  opening to the plaintext the bidder sealed;
* nothing is half-stored: no submission without its document version or blob, no document version in the bid
  box without a submission, no receipt in a row that is not a stored bid, and no blob left without a row once
  the orphan sweep has run (a blob committed by an upload whose transaction died is unreachable by design and
  the sweep reclaims it — docs/adr and ``platform.storage.sweep``);
* the restarted server takes the bids that were cut off (each bidder retries), and the box opens with them all.

Determinism: the kill point is drawn from a seed (``YIWANG_KILL_SEED`` to replay one), the kill waits for a
number of acknowledgements, never for a time alone; every wait is bounded; every failure message names the seed.
Runs on SQLite (the test database file) and, under ``make test-pg``, on PostgreSQL (the test database there).
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from yiwang.identity import actions as identity
from yiwang.kernel.clock import ManualClock
from yiwang.kernel.crypto import envelope, sm3
from yiwang.kernel.ids import make_uscc
from yiwang.platform import keys as platform_keys
from yiwang.platform.clock import use_clock
from yiwang.platform.storage import queries as storage_queries
from yiwang.platform.storage import sweep
from yiwang.platform.storage.blobs import LocalFilesystemBlobStore
from yiwang.platform.storage.models import DocumentVersion
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.bidbox.models import Submission
from yiwang.trading.tender import actions
from yiwang.trading.tender.models import Section
from yiwang.trading.tender.tests import support

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
log = logging.getLogger("yiwang.tests.kill9")

BIDDERS = 10
CLIENTS = 5
PADDING = 384 * 1024  # each plaintext ≈ 0.4 MB: uploads are in flight when the kill comes
ACCELERATION = 864_000
BOOT_SECONDS = 90
REQUEST_SECONDS = 60

SETTINGS = """from yiwang.config.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = {name!r}  # noqa: F405 - the test database the test process set up
YIWANG_STORAGE = {storage!r}
"""


@dataclass
class Bidder:
    party: support.Party
    token: str
    sealed: bytes
    plaintext_sm3: str


@dataclass
class Answer:
    status: int
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the site from ``settings_dir`` on loopback; killed with SIGKILL, never stopped kindly."""

    def __init__(self, settings_dir: Path, log: Path):
        self.settings_dir = settings_dir
        self.log = log
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kill9_settings",
            "PYTHONPATH": os.pathsep.join(p for p in [str(self.settings_dir), os.environ.get("PYTHONPATH", "")] if p),
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "yiwang.config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    "--threads",
                    "3",
                    "--no-control-socket",
                    "--timeout",
                    "120",
                    "--log-level",
                    "warning",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill reaches the master and every worker
            )
        end = time.monotonic() + BOOT_SECONDS
        while True:
            assert self.process.poll() is None, f"the server exited at start:\n{self.tail()}"
            try:
                if self.request("GET", "/api/v1/feed?limit=1", timeout=5).status in (200, 401, 403):
                    return
            except OSError:
                pass
            assert time.monotonic() < end, f"the server did not answer within {BOOT_SECONDS} s:\n{self.tail()}"
            time.sleep(0.2)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, *, timeout: float
    ) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return Answer(response.status, response.read())
        finally:
            conn.close()


def _multipart(entity_id: int, sealed: bytes) -> tuple[bytes, str]:
    boundary = "----yiwang-kill9"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="entity_id"\r\n\r\n{entity_id}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bid.ywenv"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + sealed + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _submit(server: Server, box_id: int, bidder: Bidder) -> Answer | None:
    """One upload; ``None`` when the connection broke (the server died): no acknowledgement."""
    body, content_type = _multipart(bidder.party.entity_id, bidder.sealed)
    try:
        return server.request(
            "POST",
            f"/api/v1/bidbox/boxes/{box_id}/submissions",
            body,
            {"Authorization": f"Bearer {bidder.token}", "Content-Type": content_type},
            timeout=REQUEST_SECONDS,
        )
    except (OSError, http.client.HTTPException):
        return None


def _acknowledged(answer: Answer | None, bidder: Bidder, platform_key_id: str) -> str | None:
    """The receipt id when the answer is a signed receipt for this envelope (verified with the platform key).
    No database here: it runs in the client threads."""
    if answer is None or answer.status != 201:
        return None
    data = answer.json
    info = envelope.inspect(bidder.sealed + base64.b64decode(data["receipt"]))
    assert info.receipt is not None
    assert info.receipt.signer_public_key.key_id == platform_key_id
    assert info.receipt.receipt_id == data["receipt_id"]
    assert info.receipt.envelope_sm3 == info.envelope_sm3
    return data["receipt_id"]


def _world(tmp_path: Path) -> tuple[support.World, Section, list[Bidder]]:
    live = support.live_world("k9", "断电测试")
    moment, staff, staff_actor, pki = live.moment, live.staff, live.staff_actor, live.pki
    tenderer, agency = live.tenderer, live.agency
    parties = [
        live.certified_bidder(
            f"k9-b{i}",
            make_uscc("9", "1", "310112", f"K{i:07d}"),
            extra={"name": f"上海断电测试建设工程有限公司{i}", "region_code": "310112", "legal_rep_name": "王强"},
        )
        for i in range(BIDDERS)
    ]
    key_id = bidbox.do_run_key_ceremony(
        actor=staff_actor, threshold=2, custodians=["甲", "乙", "丙"], label="断电测试开标密钥"
    ).key.pk
    world = support.World(pki, staff, staff, staff, tenderer, agency, parties, key_id)
    project = support.create_project(
        world, sections=support.section_data(deposit_fen=0), is_test_data=True, acceleration=ACCELERATION
    )
    support.upload_documents(world, project)
    project = actions.do_publish_project(
        actor=agency.actor,
        project_id=project.pk,
        bid_deadline=(moment + timedelta(hours=2)).replace(microsecond=0),
        doc_get_end=moment + timedelta(hours=1),
        opening_key=key_id,
    )
    section = project.sections.get()
    bidders = []
    for i, party in enumerate(parties):
        _, token = identity.do_issue_personal_token(
            actor=party.actor, account=party.account, name="投标工具", expires_in_days=1
        )
        sealed = support.seal(section, party, 4_000_000_000 + 1_000 * i, padding=PADDING)
        info = envelope.inspect(sealed)
        bidders.append(Bidder(party, token, sealed, info.plaintext_sm3))
    return world, section, bidders


@pytest.fixture
def data_settings(settings, tmp_path: Path) -> Path:
    """The blob store in this test's directory, shared with the server process through its settings module."""
    storage = {
        **getattr(settings, "YIWANG_STORAGE", {}),
        "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
        "OPTIONS": {"root": str(tmp_path / "blobs")},
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
    }
    settings.YIWANG_STORAGE = storage
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    folder = tmp_path / "settings"
    folder.mkdir()
    (folder / "kill9_settings.py").write_text(
        SETTINGS.format(name=str(connection.settings_dict["NAME"]), storage=storage)
    )
    return folder


def test_every_acknowledged_bid_survives_a_kill_9_and_nothing_is_half_stored(data_settings, tmp_path):
    seed = int(os.environ.get("YIWANG_KILL_SEED") or random.SystemRandom().randrange(1 << 30))
    rng = random.Random(seed)
    kill_after = rng.randint(1, BIDDERS // 2)  # acknowledgements before the kill
    kill_delay = rng.uniform(0.0, 0.4)  # then this much more, so the kill lands anywhere in an upload
    why = f"(seed {seed}: kill after {kill_after} receipts + {kill_delay:.3f} s; replay with YIWANG_KILL_SEED={seed})"

    _, section, bidders = _world(tmp_path)
    box_id = section.box_id
    platform_key_id = platform_keys.platform_key_id()  # read here: the client threads never touch the database
    server = Server(data_settings, tmp_path / "server.log")
    receipts: dict[str, str] = {}  # username → receipt id (acknowledged)
    lock = threading.Lock()
    enough = threading.Event()
    try:
        server.start()

        def upload(bidder: Bidder) -> None:
            receipt = _acknowledged(_submit(server, box_id, bidder), bidder, platform_key_id)
            if receipt is not None:
                with lock:
                    receipts[bidder.party.account.username] = receipt
                    if len(receipts) >= kill_after:
                        enough.set()

        order = list(bidders)
        rng.shuffle(order)
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(upload, b) for b in order]
            fired = enough.wait(timeout=REQUEST_SECONDS * 2)
            time.sleep(kill_delay)
            killed_at = time.monotonic()
            server.kill()
            for f in futures:
                f.result(timeout=REQUEST_SECONDS * 2)
        assert fired, f"no {kill_after} acknowledgements before the kill {why}\n{server.tail()}"
        cut_off = [b for b in bidders if b.party.account.username not in receipts]
        first_wave = dict(receipts)

        # the server comes back on the same database and data directory; the cut-off bidders retry
        server.start()
        for bidder in cut_off:
            answer = _submit(server, box_id, bidder)
            receipt = _acknowledged(answer, bidder, platform_key_id)
            assert receipt is not None, (
                f"{bidder.party.account.username} was refused after the restart: "
                f"{answer and answer.status} {answer and answer.body[:300]!r} {why}"
            )
            receipts[bidder.party.account.username] = receipt
    finally:
        server.kill()
    assert time.monotonic() - killed_at < 300

    # -- nothing lost, nothing half-stored ---------------------------------------------------------------------
    by_user = {b.party.account.username: b for b in bidders}
    rows = list(Submission.objects.filter(box_id=box_id))
    by_receipt = {r.receipt_id: r for r in rows}
    for username, receipt in receipts.items():
        row = by_receipt.get(receipt)
        assert row is not None, f"acknowledged receipt {receipt} of {username} has no stored bid {why}"
        assert row.entity_id == by_user[username].party.entity_id, why
    current = [r for r in rows if r.status == "submitted"]
    assert sorted(r.receipt_id for r in current) == sorted(receipts.values()), (
        f"the current bids are not exactly the acknowledged ones {why}"
    )
    # a bid stored but never acknowledged (the answer died with the server) is possible and legitimate: the
    # bidder's retry superseded it. Every row, acknowledged or not, is whole:
    store = LocalFilesystemBlobStore(tmp_path / "blobs")
    versions = {}
    for row in rows:
        assert row.receipt, f"{row.receipt_id} has no signed receipt {why}"
        document = storage_queries.get_owned_document(bidbox.owner_of_box(row.box), row.document_id)
        version = storage_queries.get_version(document, row.document_version)
        versions[version.sha256] = row
        assert store.exists(version.sha256), f"{row.receipt_id}: row without blob {why}"
        assert store.size(version.sha256) == row.size, why
        with store.open(version.sha256) as blob:
            stored = blob.read()
        assert sm3(stored).hex() == row.envelope_sm3, f"{row.receipt_id}: blob differs from its row {why}"
    owned = storage_queries.list_documents_of(bidbox.owner_of_box(rows[0].box))
    assert len(owned) == len(rows), f"document rows without a submission in the bid box {why}"

    # the orphan sweep (as the clock runs it, past the grace period) leaves no blob without a row, and keeps
    # every blob a row needs
    later = datetime.now(UTC) + timedelta(days=2)
    swept = sweep.sweep_everything(later, store=store)
    left = set(store.iter_digests())
    referenced = set(DocumentVersion.objects.values_list("sha256", flat=True))
    assert set(versions) <= left, f"the sweep removed a stored bid's blob {why}"
    assert left <= referenced, f"blobs without a row after the sweep: {sorted(left - referenced)[:3]} {why}"

    # the opening: at the deadline the box opens; every acknowledged bid decrypts to what its bidder sealed
    section.refresh_from_db()
    with use_clock(ManualClock(section.bid_deadline + timedelta(seconds=1))):
        support.run_clock()
        section.refresh_from_db()
        assert section.status == "opening", f"the section did not open: {section.status} {why}"
        for username, receipt in receipts.items():
            bidder = by_user[username]
            row = by_receipt[receipt]
            key = envelope.unwrap_content_key(bidder.sealed, private_key=bidder.party.issued.key)
            result = bidbox.do_decrypt_with_content_key(actor=bidder.party.actor, submission_id=row.pk, content_key=key)
            assert result.ok, f"{receipt} did not decrypt: {result} {why}"
            row.refresh_from_db()
            assert row.plaintext_sm3 == bidder.plaintext_sm3, why
    assert len(first_wave) >= kill_after, why
    unacknowledged = len(rows) - len(set(receipts.values()) | set(first_wave.values()))
    log.info(
        f"kill -9 {why}: {len(first_wave)} acknowledged before the kill, {len(cut_off)} cut off and resubmitted "
        f"after the restart, {unacknowledged} stored but never acknowledged (superseded by the retry), "
        f"{swept} orphan blobs swept"
    )
