"""Tender deadline burst: N bidders upload sealed bids of S MB to one section over HTTP, then a late wave at the
deadline; sustained bids/s, p50/p99 latency, zero lost, zero accepted after the deadline, and the same run's
bare-view throughput (the same uploads to a view that only parses them) as the ceiling ratio.

    tools/pg-test-server run -- .venv/bin/python bench/tender_burst_bench.py             # 200 × 1 MB
    tools/pg-test-server run -- .venv/bin/python bench/tender_burst_bench.py --bidders 2000 --mb 5 --window 120
    YIWANG_DATA_DIR=$(mktemp -d) .venv/bin/python bench/tender_burst_bench.py --bidders 50   # SQLite, fresh dir
    <the site's environment> .venv/bin/python bench/tender_burst_bench.py --target http://127.0.0.1:58000
                                          # a running site (make scaleout-demo): data in its database, bids to it

What runs: a fresh database (migrated here), the bidders (accounts, registry entities, SM2 certificates bound
through identity.ca), a works tender (test data, acceleration ×10,000,000 so the legal bid period passes in a
fraction of a second; no deposit, so the bank is not part of the measurement), and gunicorn serving the site
(the ``yiwang run`` defaults: 2 workers × 4 threads) on loopback with a settings module written to a temporary
directory (the site's settings, fast password hashing for the logins, plus the bare view ``/bench/bare/``).
Every bidder signs in through the login page first. The envelopes are sealed before the burst (the bidders'
tools), so the clients only upload: ``--clients`` threads POST the multipart form of the section page
(``/tender/sections/<id>/bid/``: the tender's gates, then the bid box: envelope checks, certificate, storage,
signed receipt, witness, feed). Then, at the deadline, ``--late`` more uploads straddle it (half just before,
half just after). The client threads share the machine's CPUs with the server.

Checks: every acknowledged bid (a redirect to its receipt) is in the database; no row was received at or after
the deadline; no upload sent after the deadline was acknowledged; every bidder's current submission is its
last acknowledged one. Exit status 1 when a check fails.

CPU: the server's CPU time (the gunicorn master and workers, from /proc) over the burst and over the bare-view
run, per upload and per MB — on a shared machine the wall-clock rates move with the other jobs, the CPU per bid
much less. The sealed envelopes are written to files in the run's temporary directory (removed at the end).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

SETTINGS = """from yiwang.config.settings import *  # noqa: F403
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROOT_URLCONF = "tender_burst_urls"
"""
URLS = """from django.http import HttpResponse
from django.urls import path

from yiwang.config.urls import urlpatterns as site


def bare(request):
    upload = request.FILES.get("file")
    size = len(upload.read()) if upload is not None else 0
    return HttpResponse(str(size), content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *site]
"""
ACCELERATION = 10_000_000
PASSWORD = "Hengshan-Road-7-2026"  # noqa: S105 - throwaway accounts of a throwaway database
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
BOUNDARY = "----yiwang-burst-bench"


@dataclass
class Session:
    username: str
    entity_id: int
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


@dataclass
class Result:
    username: str
    sent: float  # wall clock (time.time()) when the request was sent
    latency: float
    accepted: bool
    submission_id: str = ""
    status: int = 0
    location: str = ""
    cookies: dict[str, str] = field(default_factory=dict)  # set by the answer (e.g. the messages cookie)


class Client:
    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()

    def conn(self) -> http.client.HTTPConnection:
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.local.conn = c
        return c

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        for attempt in (1, 2):
            c = self.conn()
            try:
                c.request(method, path, body=body, headers=headers or {})
                response = c.getresponse()
                data = response.read()
                return response, data
            except (TimeoutError, http.client.HTTPException, ConnectionError):
                c.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _cookies(response, into: dict[str, str]) -> None:
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            into[key.strip()] = val.strip()


def login(client: Client, session: Session) -> None:
    response, body = client.request("GET", "/accounts/login/")
    _cookies(response, session.cookies)
    token = CSRF.search(body.decode()).group(1)
    form = f"csrfmiddlewaretoken={token}&username={session.username}&password={PASSWORD}".encode()
    response, _ = client.request(
        "POST",
        "/accounts/login/",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": session.cookie_header(),
            "Referer": f"http://127.0.0.1:{client.port}/accounts/login/",
        },
    )
    _cookies(response, session.cookies)
    if response.status != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"login of {session.username} failed: {response.status}")
    session.csrf = session.cookies["csrftoken"]


def multipart(fields: dict[str, str], file_bytes: bytes, file_name: str) -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def post_file(client: Client, session: Session, path: str, fields: dict[str, str], payload: bytes) -> Result:
    body = multipart({"csrfmiddlewaretoken": session.csrf, **fields}, payload, "投标文件.ywenv")
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Cookie": session.cookie_header(),
        "Referer": f"http://127.0.0.1:{client.port}/",
        "X-CSRFToken": session.csrf,
    }
    sent = time.time()
    started = time.perf_counter()
    response, _ = client.request("POST", path, body, headers)
    latency = time.perf_counter() - started
    location = response.getheader("Location") or ""
    match = re.search(r"/bidbox/submissions/([0-9a-f-]{36})/", location)
    ok = response.status == 200 if path.startswith("/bench/") else bool(match)
    cookies: dict[str, str] = {}
    _cookies(response, cookies)
    return Result(
        session.username, sent, latency, ok, match.group(1) if match else "", response.status, location, cookies
    )


REASON = re.compile(r"（([a-z_]+\.[a-z_.]+)）")


def refusal(client: Client, session: Session, result: Result) -> str:
    """The refusal's code, read from the message the section page shows after the redirect."""
    if result.accepted or not result.location:
        return ""
    path = re.sub(r"^https?://[^/]+", "", result.location)
    cookies = {**session.cookies, **result.cookies}
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    _, body = client.request("GET", path, headers={"Cookie": header})
    found = REASON.search(body.decode())
    return found.group(1) if found else f"HTTP {result.status}"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_pool(clients: int, jobs: list[Callable[[], Result]]) -> tuple[list[Result], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    return results, time.perf_counter() - started


def server_cpu(group: int) -> float:
    """CPU seconds (user + system) used so far by every live process of the server's process group (the
    gunicorn master and its workers), from /proc; 0 where /proc is not there."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bidders", type=int, default=200)
    parser.add_argument("--mb", type=float, default=1.0, help="size of each sealed bid (MB)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent uploading clients")
    parser.add_argument("--window", type=float, default=0.0, help="seconds from the burst's start to the deadline")
    parser.add_argument("--late", type=int, default=20, help="uploads straddling the deadline")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--target",
        default="",
        help="a running site (http://127.0.0.1:PORT, e.g. nginx of make scaleout-demo) instead of starting gunicorn: "
        "the data is prepared in the database the environment names, the bids go to the target; no bare view",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tender-burst-"))
    if args.target:  # the site's own settings, as the target runs them (its password hashers, no bench view)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    else:
        (tmp / "tender_burst_settings.py").write_text(SETTINGS)
        (tmp / "tender_burst_urls.py").write_text(URLS)
        sys.path.insert(0, str(tmp))
        os.environ["DJANGO_SETTINGS_MODULE"] = "tender_burst_settings"
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.kernel.crypto import envelope, signer_for
    from yiwang.kernel.crypto.envelope import BidMeta, Recipient
    from yiwang.kernel.crypto.keys import load_public_key
    from yiwang.kernel.ids import make_uscc
    from yiwang.platform.reference import ensure_all
    from yiwang.services.bidbox import actions as bidbox
    from yiwang.services.bidbox import queries as bidbox_queries
    from yiwang.services.bidbox.tool import simulated_machine
    from yiwang.trading.tender import actions
    from yiwang.trading.tender.bidformat import make_bid_document
    from yiwang.trading.tender.models import Section
    from yiwang.trading.tender.tests import support

    support.PASSWORD = PASSWORD
    ensure_reference_data()
    ensure_all()
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    size = int(args.mb * (1 << 20))
    print(f"database {engine}; {args.bidders} bidders × {args.mb:g} MB, {args.clients} clients", flush=True)

    # -- the people ----------------------------------------------------------------------------------------------
    t0 = time.perf_counter()
    live = support.live_world("burst", "压测")
    staff, staff_actor, pki = live.staff, live.staff_actor, live.pki
    tenderer, agency = live.tenderer, live.agency
    bidders = [
        live.certified_bidder(
            f"burst-b{i}",
            make_uscc("9", "1", "310112", f"B{i:07d}"),
            extra={"name": f"上海压测建设工程有限公司{i}", "region_code": "310112", "legal_rep_name": "王强"},
        )
        for i in range(args.bidders)
    ]
    key_id = bidbox.do_run_key_ceremony(
        actor=staff_actor, threshold=2, custodians=["甲", "乙", "丙"], label="压测开标密钥"
    ).key.pk
    project = actions.do_create_project(
        actor=agency.actor,
        procedure="tender.open",
        name="压测道路工程",
        region_code="310112",
        tenderer_entity_id=tenderer.entity_id,
        agency_entity_id=agency.entity_id,
        subject="works",
        sections=support.section_data(deposit_fen=0),
        is_test_data=True,
        acceleration=ACCELERATION,
    )
    world = support.World(pki, staff, staff, staff, tenderer, agency, bidders, key_id)
    support.upload_documents(world, project)
    calibration = actions.do_create_project(
        actor=agency.actor,
        procedure="tender.open",
        name="压测标定工程",
        region_code="310112",
        tenderer_entity_id=tenderer.entity_id,
        agency_entity_id=agency.entity_id,
        subject="works",
        sections=support.section_data(deposit_fen=0),
        is_test_data=True,
        acceleration=ACCELERATION,
    )
    support.upload_documents(world, calibration)
    print(f"setup: {args.bidders} bidders with bound certificates in {time.perf_counter() - t0:.1f} s", flush=True)

    # -- the server ------------------------------------------------------------------------------------------------
    port = urlsplit(args.target).port if args.target else free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp), os.environ.get("PYTHONPATH", "")])}
    server = (
        None
        if args.target
        else subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "yiwang.config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--no-control-socket",
                "--log-level",
                "warning",
                "--timeout",
                "300",
            ],
            env=env,
            start_new_session=True,
        )
    )

    def cpu() -> float:
        return server_cpu(server.pid) if server is not None else 0.0

    failures: list[str] = []
    try:
        client = Client(port)
        deadline_boot = time.monotonic() + 60
        while True:
            try:
                response, _ = client.request("GET", "/tender/")
                if response.status == 200:
                    break
            except OSError:
                client.local.conn = None
            if time.monotonic() > deadline_boot:
                raise SystemExit("gunicorn did not answer within 60 s")
            time.sleep(0.3)
        sessions = [Session(p.account.username, p.entity_id) for p in bidders]
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(lambda s: login(client, s), sessions))

        # -- the ceiling: the same uploads to a view that only parses them ---------------------------------------
        bare_rate, bare_cpu = float("nan"), 0.0
        if server is not None:
            filler = os.urandom(size)
            cpu0 = cpu()
            bare, bare_s = run_pool(
                args.clients,
                [
                    lambda s=s: post_file(client, s, "/bench/bare/", {"entity_id": str(s.entity_id)}, filler)
                    for s in sessions
                ],
            )
            bare_ok = [r for r in bare if r.accepted]
            bare_rate = len(bare_ok) / bare_s
            bare_cpu = (cpu() - cpu0) / max(len(bare_ok), 1)
            print(
                f"bare view: {len(bare_ok)}/{len(bare)} in {bare_s:.2f} s = {bare_rate:.1f} req/s, "
                f"p50 {pct([r.latency for r in bare_ok], 0.5) * 1000:.0f} ms, "
                f"p99 {pct([r.latency for r in bare_ok], 0.99) * 1000:.0f} ms",
                flush=True,
            )
        else:
            print(f"target {args.target}: no bare view, no server CPU (the server is not ours)", flush=True)

        def seal_all(section, parties) -> dict[str, Path]:
            """Each bidder's envelope, sealed to a file (2,000 × 5 MB do not belong in memory)."""
            view = bidbox_queries.get_box_of_owner(("tender.section", str(section.pk)))
            opening = load_public_key(view.opening_key_pem.encode())
            folder = tmp / f"sealed-{section.pk}"
            folder.mkdir(exist_ok=True)
            out = {}
            for party in parties:
                plaintext = make_bid_document(
                    price_fen=4_000_000_000 + party.entity_id,
                    section_code=section.code,
                    bidder_uscc=party.uscc,
                    bidder_name=party.name,
                    padding=max(size - 600, 0),
                )
                sealed_file = folder / f"{party.account.username}.ywenv"
                sealed_file.write_bytes(
                    envelope.seal(
                        plaintext,
                        meta=BidMeta(
                            view.project_code,
                            view.section_code,
                            party.uscc,
                            view.deadline,
                            "投标文件.json",
                            len(plaintext),
                            extra=simulated_machine(party.uscc),
                        ),
                        bidder_signer=signer_for(party.issued.key),
                        recipients=[Recipient("bidder", party.issued.key.public_key), Recipient("opening", opening)],
                        bidder_certificate=party.issued.cert.der,
                    )
                )
                out[party.account.username] = sealed_file
            return out

        # -- calibration: a short burst on another project decides how far away the deadline is set ------------
        now = datetime.now(UTC)
        calibration = actions.do_publish_project(
            actor=agency.actor,
            project_id=calibration.pk,
            bid_deadline=now + timedelta(hours=1),
            doc_get_end=now + timedelta(seconds=1),
            opening_key=key_id,
        )
        cal_section = calibration.sections.get()
        cal_parties = bidders[: min(len(bidders), 2 * args.clients)]
        t0 = time.perf_counter()
        cal_sealed = seal_all(cal_section, cal_parties)
        seal_each = (time.perf_counter() - t0) / len(cal_parties)
        cal_path = f"/tender/sections/{cal_section.pk}/bid/"
        cal, cal_s = run_pool(
            args.clients,
            [
                lambda s=s: post_file(
                    client, s, cal_path, {"entity_id": str(s.entity_id)}, cal_sealed[s.username].read_bytes()
                )
                for s in sessions[: len(cal_parties)]
            ],
        )
        cal_rate = max(sum(r.accepted for r in cal) / cal_s, 0.1)
        window = args.window or (args.bidders / cal_rate * 1.5 + 3)
        print(f"calibration: {cal_rate:.1f} bids/s; sealing {seal_each * 1000:.0f} ms each; window {window:.0f} s")

        # -- publish with the deadline, seal every bid ------------------------------------------------------------
        now = datetime.now(UTC)
        deadline = (now + timedelta(seconds=seal_each * args.bidders * 1.3 + 2 + window)).replace(microsecond=0)
        project = actions.do_publish_project(
            actor=agency.actor,
            project_id=project.pk,
            bid_deadline=deadline,
            doc_get_end=now + timedelta(seconds=1),
            opening_key=key_id,
        )
        section = project.sections.get()
        t0 = time.perf_counter()
        sealed = seal_all(section, bidders)
        print(f"sealed {len(sealed)} envelopes in {time.perf_counter() - t0:.1f} s", flush=True)
        if datetime.now(UTC) >= deadline - timedelta(seconds=1):
            failures.append("sealing took longer than planned: the deadline came before the burst")

        # -- the burst -----------------------------------------------------------------------------------------------
        bid_path = f"/tender/sections/{section.pk}/bid/"
        print(
            f"deadline {deadline.isoformat()} (in {(deadline - datetime.now(UTC)).total_seconds():.1f} s)", flush=True
        )
        cpu0 = cpu()
        burst, burst_s = run_pool(
            args.clients,
            [
                lambda s=s: post_file(
                    client, s, bid_path, {"entity_id": str(s.entity_id)}, sealed[s.username].read_bytes()
                )
                for s in sessions
            ],
        )
        accepted = [r for r in burst if r.accepted]
        burst_cpu = (cpu() - cpu0) / max(len(accepted), 1)
        in_time = [r for r in burst if r.sent < deadline.timestamp()]
        rate = len(accepted) / burst_s
        lat = [r.latency for r in accepted]
        print(
            f"burst: {len(accepted)}/{len(burst)} accepted in {burst_s:.2f} s = {rate:.1f} bids/s "
            f"({rate * args.mb:.1f} MB/s), p50 {pct(lat, 0.5) * 1000:.0f} ms, p99 {pct(lat, 0.99) * 1000:.0f} ms, "
            f"max {max(lat, default=0) * 1000:.0f} ms; ceiling ratio {rate / bare_rate:.2f} of the bare view",
            flush=True,
        )
        print(
            f"server CPU: {burst_cpu * 1000:.0f} ms per bid ({burst_cpu * 1000 / args.mb:.0f} ms per MB), "
            f"bare view {bare_cpu * 1000:.0f} ms per upload; the bids' own share "
            f"{(burst_cpu - bare_cpu) * 1000 / args.mb:.0f} ms per MB",
            flush=True,
        )
        if len(accepted) != len(in_time):
            refused = [r for r in in_time if not r.accepted]
            failures.append(f"{len(refused)} uploads sent before the deadline were refused (statuses {refused[:3]})")

        # -- the late wave: half just before, half just after the deadline --------------------------------------------
        late_sessions = sessions[: max(args.late, 0)]
        start_at = deadline.timestamp() - 0.25
        step = 0.5 / max(len(late_sessions), 1)

        def late_job(i: int, s: Session) -> Result:
            time.sleep(max(start_at + i * step - time.time(), 0))
            return post_file(client, s, bid_path, {"entity_id": str(s.entity_id)}, sealed[s.username].read_bytes())

        late, _ = run_pool(
            max(len(late_sessions), 1), [lambda i=i, s=s: late_job(i, s) for i, s in enumerate(late_sessions)]
        )
        by_name = {s.username: s for s in sessions}
        reasons: dict[str, int] = {}
        for r in late:
            if not r.accepted:
                code = refusal(client, by_name[r.username], r)
                reasons[code] = reasons.get(code, 0) + 1
        late_after = [r for r in late if r.sent >= deadline.timestamp()]
        late_before = [r for r in late if r.sent < deadline.timestamp()]
        print(
            f"late wave: {sum(r.accepted for r in late_before)}/{len(late_before)} sent before the deadline accepted "
            f"(may be refused if they arrive after it), {sum(r.accepted for r in late_after)}/{len(late_after)} "
            f"sent after it accepted; refusals {reasons}",
            flush=True,
        )
        if set(reasons) - {"bidbox.deadline_passed", "tender.not_accepting_bids"}:
            failures.append(f"late uploads refused for another reason than the deadline: {reasons}")
        if any(r.accepted for r in late_after):
            failures.append("an upload sent after the deadline was acknowledged")

        # -- the checks ----------------------------------------------------------------------------------------------
        submission = apps.get_model("bidbox", "Submission")
        rows = {str(r.pk): r for r in submission.objects.filter(box_id=section.box_id)}
        acks = [r for r in (*burst, *late) if r.accepted]
        lost = [r for r in acks if r.submission_id not in rows]
        phantom = set(rows) - {r.submission_id for r in acks}
        after = [r for r in rows.values() if r.received_at >= deadline]
        if lost:
            failures.append(f"{len(lost)} acknowledged bids are not in the database")
        if phantom:
            failures.append(f"{len(phantom)} stored bids were never acknowledged")
        if after:
            failures.append(f"{len(after)} bids were received at or after the deadline")
        current = {r.entity_id: str(r.pk) for r in rows.values() if r.status == "submitted"}
        last_ack: dict[int, str] = {}
        by_user = {s.username: s.entity_id for s in sessions}
        for r in sorted(acks, key=lambda r: r.sent):
            last_ack[by_user[r.username]] = r.submission_id
        if current != last_ack:
            failures.append("a bidder's current submission is not its last acknowledged one")
        support.run_clock()  # the clock process's tick after the deadline: the box opens
        section_row = Section.objects.get(pk=section.pk)
        print(
            f"checks: {len(acks)} acknowledged, {len(rows)} stored, {len(lost)} lost, {len(after)} after the deadline, "
            f"{len(current)} bidders with a current bid; section {section_row.status}",
            flush=True,
        )
        print(
            f"RESULT engine={engine} bidders={args.bidders} mb={args.mb:g} clients={args.clients} "
            f"bids_per_s={rate:.1f} p50_ms={pct(lat, 0.5) * 1000:.0f} p99_ms={pct(lat, 0.99) * 1000:.0f} "
            f"bare_per_s={bare_rate:.1f} ratio={rate / bare_rate:.2f} lost={len(lost)} after_deadline={len(after)} "
            f"server_cpu_ms_per_bid={burst_cpu * 1000:.0f} bare_cpu_ms={bare_cpu * 1000:.0f}",
            flush=True,
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=15)
        shutil.rmtree(tmp, ignore_errors=True)  # the sealed files (GBs at the size) and the settings
    for failure in failures:
        print(f"FAILED: {failure}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
