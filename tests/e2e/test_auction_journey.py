"""A judicial online auction (网络司法拍卖) watched live and bid on in the browser.

Two companies paid the deposit through the (simulated) bank and registered for a judicial lot. The first signs
in and opens the lot page in its last minutes. The second company bids (through the action, as its own page
would); the first page shows the new price, the history row and the soft-close extension (the end moves to the
bid time + 5 minutes) pushed over SSE by the live server, without a reload. The first bidder then bids through
the page and sees itself leading, its own channel says it leads; when the other bids again its channel tells it
that it was outbid; a bid that is too low is refused with the engine's message.

The live server is the project's own, run as ``yiwang run`` runs it: ``python -m yiwang.platform.live.serve
--engine direct`` in a process of its own on a free loopback port, reading the test database (the ``database``
broadcaster polls ``live_event``, where every action of this process stores what it publishes) and checking the
pages' tokens with this process's secret key.

Time: the lot needs 24 h of bidding (the legal minimum). It is created and opened while the platform clock of
this process is set back by a day (the wall clock plus a negative offset), so that its end falls a few minutes
after the real now; then the offset goes back to zero and the journey runs in real time — the live server in
its own process stamps its events with the wall clock, the same time the page's countdown counts in. The
screenshot of the final page is kept in docs/screenshots/auction-live-lot.png when YIWANG_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor
from yiwang.platform import clock as platform_clock
from yiwang.platform.live import broadcast
from yiwang.platform.live import config as live_config
from yiwang.registry import actions as registry
from yiwang.trading.auction import actions, jobs
from yiwang.trading.auction.models import Lot
from yiwang.trading.auction.tests.support import USCCS, Person, judicial_spec, pay_deposit, staff

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Yiwang-e2e-2026!"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "auction-live-lot.png"
TIMEOUT_MS = 30_000  # per browser step: the machine is shared
LEFT_AT_START = timedelta(minutes=4)  # how long the lot still runs when the journey starts (real time)


class ShiftedClock:
    """The wall clock plus an offset the test moves (process-wide: the live server's threads read it too)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def ms(self) -> int:
        return int(self.now().timestamp() * 1000)


@pytest.fixture
def shifted(monkeypatch) -> ShiftedClock:
    clock = ShiftedClock()
    monkeypatch.setattr(platform_clock, "_configured", clock)
    return clock


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/live/_health", timeout=5) as answer:  # noqa: S310 (loopback)
        return json.load(answer)


@pytest.fixture
def live_direct(settings, shifted, tmp_path) -> Iterator[LiveServer]:
    """``python -m yiwang.platform.live.serve --engine direct`` in its own process on a free loopback port, on the
    test database with the ``database`` broadcaster; stopped (SIGTERM, then killed) whatever the test's outcome."""
    from django.db import connection

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "YIWANG_LIVE_BROADCASTER": "database",
        "YIWANG_SECRET_KEY": settings.SECRET_KEY,  # the pages' live tokens are signed with this process's key
        "YIWANG_LOG_LEVEL": "warning",
    }
    db = connection.settings_dict
    if connection.vendor == "sqlite":  # the embedded profile reads <data dir>/yiwang.sqlite3: the test database
        data_dir = tmp_path / "live-data"
        data_dir.mkdir()
        (data_dir / "yiwang.sqlite3").symlink_to(Path(db["NAME"]).resolve())
        env["YIWANG_DATA_DIR"] = str(data_dir)
    else:
        env["YIWANG_DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    settings.YIWANG_LIVE = {**getattr(settings, "YIWANG_LIVE", {}), "BROADCASTER": "database", "URL": url}
    live_config.reset()
    broadcast.reset()
    command = [sys.executable, "-m", "yiwang.platform.live.serve", "--bind", f"127.0.0.1:{port}", "--engine", "direct"]
    with open(tmp_path / "live.log", "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "live.log").read_text(errors="replace")[-2000:]
            try:
                if "pid" in _health(url):  # the direct engine answers with its process id
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the live server did not start within 30 s"
            time.sleep(0.2)
        yield LiveServer(url, process)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        live_config.reset()
        broadcast.reset()


def _watchers(live: LiveServer) -> int:
    return _health(live.url)["watchers"]


def _wait(done, what: str, limit: float = 20.0) -> None:
    end = time.monotonic() + limit
    while not done():
        assert time.monotonic() < end, f"waited {limit:g} s for {what}"
        time.sleep(0.1)


def _company(i: int, username: str) -> tuple[Person, object]:
    account = identity.do_create_account(
        actor=Actor.anonymous(), username=username, display_name=f"{username}经办人", password=PASSWORD
    )
    actor = actor_for_account(account)
    entity = registry.do_register_entity(
        actor=actor,
        data={
            "kind": "legal_person",
            "uscc": USCCS[i],
            "contact_name": "刘敏",
            "contact_phone": "13812345678",
            "roles": ["bidder"],
        },
    )
    number = f"62220210000{i:05d}"
    registry.do_set_basic_account(
        actor=Actor.system("test"),
        entity_id=entity.pk,
        expected_version=None,
        data={
            "bank_name": "中国工商银行",
            "branch_name": "上海分行",
            "account_name": entity.name,
            "account_number": number,
        },
    )
    account.refresh_from_db()
    return Person(entity.pk, entity.name, number, actor_for_account(account)), account


def _text(page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def _seconds_left(page) -> int | None:
    """What the countdown shows, in seconds (None before live.js took it over from the rendered text)."""
    found = re.fullmatch(r"(\d\d):(\d\d):(\d\d)", _text(page, "[data-live-countdown]").strip())
    if found is None:
        return None
    h, m, sec = (int(x) for x in found.groups())
    return h * 3600 + m * 60 + sec


def _counts_to(page, moment: datetime, clock: ShiftedClock, limit: float = 20.0) -> None:
    """The page's countdown shows the time left until ``moment`` in the platform's time (within 3 s)."""
    end = time.monotonic() + limit
    while True:
        shown, left = _seconds_left(page), (moment - clock.now()).total_seconds()
        if shown is not None and abs(shown - left) <= 3:
            return
        assert time.monotonic() < end, f"the countdown shows {shown} s, {left:.0f} s are left"
        page.wait_for_timeout(200)


def _until(page, selector: str, pattern: str, limit: float = 20.0) -> str:
    """Wait (bounded) until the text of ``selector`` matches ``pattern``; the last text seen on failure."""
    end = time.monotonic() + limit
    text = ""
    while time.monotonic() < end:
        text = _text(page, selector)
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector}: {text!r} does not match {pattern!r} after {limit:g} s")


def test_a_bidder_watches_a_judicial_lot_live_and_bids(browser, live_server, live_direct, shifted, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    live_sse = live_direct
    # -- a judicial lot, two companies that paid the deposit and registered -----------------------------------------
    # created a day back (1 h before its start + 24 h of bidding), so that it ends a few minutes from the real now
    shifted.offset = LEFT_AT_START - timedelta(hours=25)
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec(title="浦东新区某路 88 号 1201 室房产（司法拍卖）"))
    a, _ = _company(0, "au-a")
    b, _ = _company(1, "au-b")
    for who in (a, b):
        pay_deposit(lot, who)
    code_a = actions.do_register_bidder(actor=a.actor, lot_id=lot.pk, entity_id=a.entity_id).code
    code_b = actions.do_register_bidder(actor=b.actor, lot_id=lot.pk, entity_id=b.entity_id).code
    # bidding starts; then real time: the last minutes of the 24 hours
    shifted.offset = lot.start_at - datetime.now(UTC) + timedelta(seconds=1)
    jobs.run_due_lots(platform_clock.now())
    lot.refresh_from_db()
    assert lot.phase == "open"
    end = lot.end_at
    shifted.offset = timedelta(0)
    assert timedelta(minutes=1) < end - datetime.now(UTC) < LEFT_AT_START

    # -- bidder A signs in and opens the lot ----------------------------------------------------------------------
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto("/accounts/login/")
        page.fill("#id_username", "au-a")
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/workbench/")
        page.goto(f"/auction/{lot.pk}/")
        room = page.locator("[data-auction-room]")
        assert "暂无出价" in _text(page, '[data-field="leader"]')
        assert "¥700,000.00" in _text(page, '[data-field="price"]')
        assert f"竞买号 {code_a}" in _text(page, "[data-auction-me]")
        countdown = page.locator("[data-live-countdown]").first
        _counts_to(page, end, shifted)
        # both streams (the room and A's own channel) are open before anyone bids
        _wait(lambda: _watchers(live_sse) >= 2, "the page's two live streams")
        page.evaluate("() => { window.__sameDocument = true; }")

        # -- B bids in the soft-close window: the page shows it without a reload ------------------------------------
        receipt = actions.do_place_bid(
            actor=b.actor, lot_id=lot.pk, amount_fen=70_000_000, expected_price_fen=70_000_000
        )
        assert receipt.end_at > end  # extended: bid time + 5 minutes
        _until(page, '[data-field="leader"]', code_b)
        assert "¥700,000.00" in _text(page, '[data-field="price"]')
        history = page.locator('[data-field="recent"] tr').first.inner_text()
        assert code_b in history
        assert "领先" in history
        assert _text(page, '[data-field="bid_count"]') == "1"
        # the countdown now counts to the moved end (about five minutes), in server time
        _counts_to(page, receipt.end_at, shifted)
        assert (_seconds_left(page) or 0) > 240  # about five minutes from the bid, not the two left before it
        moved = datetime.fromisoformat(countdown.get_attribute("data-end"))
        assert moved == receipt.end_at.astimezone(moved.tzinfo)
        assert page.evaluate("() => window.__sameDocument === true")  # no reload happened

        # -- A bids through the page and leads ------------------------------------------------------------------------
        assert room.locator('input[name="expected_price_fen"]').input_value() == "70000000"
        page.fill("#amount", "710000")
        page.get_by_role("button", name="出价", exact=True).click()
        page.wait_for_load_state()
        page.locator("text=出价成功").first.wait_for()
        assert "您当前领先" in _text(page, "#panel")
        assert f"{code_a}（我）" in _text(page, '[data-field="leader"]')
        assert "¥710,000.00" in _text(page, '[data-field="price"]')
        _wait(lambda: _watchers(live_sse) >= 2, "the streams of the new page")

        # -- B bids again: A's own channel says it was outbid -------------------------------------------------------
        actions.do_place_bid(actor=b.actor, lot_id=lot.pk, amount_fen=72_000_000)
        _until(page, '[data-field="my_status"]', "您的出价已被超过")
        assert "¥720,000.00" in _text(page, '[data-field="price"]')
        assert "¥720,000.00" in _text(page, '[data-field="my_detail"]')
        assert _text(page, '[data-field="bid_count"]') == "3"
        rows = page.locator('[data-field="recent"] tr')
        assert rows.count() == 3
        assert f"{code_a}（我）" in rows.nth(1).inner_text()
        assert "出局" in rows.nth(1).inner_text()

        # -- a bid that is too low is refused with the engine's message ------------------------------------------------
        page.fill("#amount", "720000")
        page.get_by_role("button", name="出价", exact=True).click()
        page.wait_for_load_state()
        alert = page.locator(".alert-danger, [role=alert]").filter(has_text="auction.below_increment").first
        alert.wait_for()
        assert "出价未达到当前价加一个加价幅度" in alert.inner_text()
        assert Lot.objects.get(pk=lot.pk).price_fen == 72_000_000

        # -- A bids once more and is the leader when the page is kept ------------------------------------------------
        page.fill("#amount", "730000")
        page.get_by_role("button", name="出价", exact=True).click()
        page.wait_for_load_state()
        page.locator("text=出价成功").first.wait_for()
        assert "您当前领先" in _text(page, "#panel")
        _counts_to(page, Lot.objects.get(pk=lot.pk).end_at, shifted)  # live.js counts again on the new page
        if os.environ.get("YIWANG_SCREENSHOTS") == "1":  # kept in docs/ only when asked (docs/portal.md)
            assert page.locator("html").get_attribute("lang") == "zh-hans"
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True, type="png")
            assert SCREENSHOT.stat().st_size <= 300_000
    finally:
        context.close()
