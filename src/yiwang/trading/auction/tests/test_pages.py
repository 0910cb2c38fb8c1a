"""Pages under /auction/ through the Django test client: the list, the lot page with its live room (live.js
binding, htmx fallback), registration and the bid form, the panel fragment, and the staff console."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps

from yiwang.trading.auction import actions, jobs
from yiwang.trading.auction.models import Bid, Lot
from yiwang.trading.auction.tests.support import judicial_spec, pay_deposit, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(test_actors, people, clock):
    test_actors["staff"] = staff()
    for i, p in enumerate(people):
        test_actors[f"p{i}"] = p.actor
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec())
    for p in people[:2]:
        pay_deposit(lot, p)
    return lot


def _as(name: str) -> dict[str, str]:
    return {"X-Test-Actor": name}


def test_list_and_lot_page_for_the_public(client, room, clock):
    page = client.get("/auction/?tab=scheduled").content.decode()
    assert room.title in page
    assert room.ref in page
    assert room.title not in client.get("/auction/").content.decode()  # not live yet
    html = client.get(f"/auction/{room.pk}/").content.decode()
    assert "竞价规则" in html
    assert "登录" in html
    assert "live/live.js" in html
    assert "auction/room.js" in html
    assert 'data-live-url="' in html
    assert "auction.lot" in html
    assert f'data-seq="{room.seq}"' in html
    assert 'hx-get="/auction/' in html
    assert "data-live-countdown" in html
    assert "《" in html  # the legal numbers with their sources
    start = room.start_at.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()
    assert "距开始" in html
    assert f'data-live-countdown data-end="{start}"' in html
    assert client.get("/auction/999999/").status_code == 404


def test_register_bid_and_see_own_status(client, room, clock, people):
    a, _b = people[0], people[1]
    r = client.post(f"/auction/{room.pk}/", {"action": "register"}, headers=_as("p0"))
    assert r.status_code == 302
    page = client.get(f"/auction/{room.pk}/", headers=_as("p0")).content.decode()
    assert "报名成功" in page
    assert "我的竞买号" in page
    client.post(f"/auction/{room.pk}/", {"action": "register"}, headers=_as("p1"))
    clock.set(room.start_at)
    jobs.run_due_lots(clock.now())
    page = client.get(f"/auction/{room.pk}/", headers=_as("p0")).content.decode()
    assert "出价金额" in page
    assert 'name="expected_price_fen" value="70000000"' in page
    r = client.post(
        f"/auction/{room.pk}/",
        {"action": "bid", "amount": "700,000.00", "expected_price_fen": "70000000"},
        headers=_as("p0"),
    )
    page = client.get(r["Location"], headers=_as("p0")).content.decode()
    assert "出价成功" in page
    assert "您当前领先" in page
    # the other bidder sees the leader only by 竞买号, never who it is
    other = client.get(f"/auction/{room.pk}/", headers=_as("p1")).content.decode()
    assert a.name not in other
    assert "您当前领先" not in other
    assert "¥700,000.00" in other
    # a refused bid shows its code and changes nothing
    before = Bid.objects.count()
    r = client.post(f"/auction/{room.pk}/", {"action": "bid", "amount": "700,100"}, headers=_as("p1"))
    page = client.get(r["Location"], headers=_as("p1")).content.decode()
    assert "auction.below_increment" in page
    assert Bid.objects.count() == before
    r = client.post(f"/auction/{room.pk}/", {"action": "bid", "amount": "abc"}, headers=_as("p1"))
    assert "auction.amount_invalid" in client.get(r["Location"], headers=_as("p1")).content.decode()
    # the panel fragment (htmx) and the live event published by the bid
    panel = client.get(f"/auction/{room.pk}/panel/", headers=_as("p1")).content.decode()
    assert "竞价记录" in panel
    assert "<html" not in panel
    events = apps.get_model("live", "LiveEvent").objects.filter(channel=f"auction.lot:{room.pk}")
    event = events.order_by("-event_id").first()
    data = json.loads(event.data)
    assert data["price"] == 70_000_000
    assert data["leader"]
    assert a.name not in event.data
    assert all(set(r) == {"code", "amount", "at", "how"} for r in data["recent"])
    # anonymous posting goes to the login page
    assert client.post(f"/auction/{room.pk}/", {"action": "bid", "amount": "1"}).status_code == 302


def test_a_bid_after_the_end_is_refused_on_the_page(client, room, clock, people):
    for name in ("p0", "p1"):
        client.post(f"/auction/{room.pk}/", {"action": "register"}, headers=_as(name))
    clock.set(room.start_at)
    jobs.run_due_lots(clock.now())
    lot = Lot.objects.get(pk=room.pk)
    clock.set(lot.end_at + timedelta(milliseconds=1))
    r = client.post(f"/auction/{room.pk}/", {"action": "bid", "amount": "700000"}, headers=_as("p0"))
    page = client.get(r["Location"], headers=_as("p0")).content.decode()
    assert "auction.closed" in page
    assert "流拍" in page


def test_staff_console(client, room, clock, people):
    assert client.get("/auction/console/", headers=_as("p0")).status_code == 403
    assert client.get("/auction/console/").status_code == 302
    page = client.get("/auction/console/", headers=_as("staff")).content.decode()
    assert room.ref in page
    assert "新建标的" in page
    start = (clock.now() + timedelta(hours=2)).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
    end = (clock.now() + timedelta(hours=27)).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
    form = {
        "preset": "judicial",
        "title": "青浦区某仓库",
        "start_price": "800,000",
        "step": "5,000",
        "appraisal": "1,000,000",
        "deposit": "80,000",
        "start_at": start,
        "end_at": end,
    }
    r = client.post("/auction/console/", form, headers=_as("staff"))
    assert r.status_code == 302, r.content.decode()[:500]
    created = Lot.objects.get(title="青浦区某仓库")
    assert created.deposit_fen == 8_000_000
    assert created.start_price_fen == 80_000_000
    bad = client.post("/auction/console/", {**form, "appraisal": "2,000,000"}, headers=_as("staff"))
    assert "auction.start_price_too_low" in bad.content.decode()
    assert Lot.objects.count() == 2
    # the lot's console: bidders by name (staff only), suspend with a reason, replay check
    client.post(f"/auction/{room.pk}/", {"action": "register"}, headers=_as("p0"))
    clock.set(room.start_at)
    jobs.run_due_lots(clock.now())
    page = client.get(f"/auction/console/{room.pk}/", headers=_as("staff")).content.decode()
    assert people[0].name in page
    assert "一致" in page
    assert client.get(f"/auction/console/{room.pk}/", headers=_as("p0")).status_code == 403
    r = client.post(f"/auction/console/{room.pk}/", {"action": "suspend", "reason": ""}, headers=_as("staff"))
    assert "auction.reason_required" in client.get(r["Location"], headers=_as("staff")).content.decode()
    client.post(f"/auction/console/{room.pk}/", {"action": "suspend", "reason": "法院通知"}, headers=_as("staff"))
    assert Lot.objects.get(pk=room.pk).phase == "suspended"
    client.post(f"/auction/console/{room.pk}/", {"action": "resume", "reason": "继续"}, headers=_as("staff"))
    assert Lot.objects.get(pk=room.pk).phase == "open"


def test_reverse_auction_page_takes_the_sealed_opening_bid_and_shows_turns(client, test_actors, people, clock):
    test_actors["p0"], test_actors["p1"] = people[0].actor, people[1].actor
    start = clock.now() + timedelta(hours=1)
    lot = actions.do_create_lot(
        actor=staff(),
        spec=actions.LotSpec(
            preset="reverse",
            title="复印纸采购",
            start_price_fen=500_000,
            step_fen=1_000,
            start_at=start,
            params={"first_pause": 60, "turn": 30, "pause": 30},
        ),
    )
    page = client.get(f"/auction/{lot.pk}/", headers=_as("p0")).content.decode()
    assert 'name="initial"' in page
    client.post(f"/auction/{lot.pk}/", {"action": "register", "initial": "4,800"}, headers=_as("p0"))
    client.post(f"/auction/{lot.pk}/", {"action": "register", "initial": "4,900"}, headers=_as("p1"))
    assert "¥4,800.00" not in client.get(f"/auction/{lot.pk}/", headers=_as("p1")).content.decode()
    clock.set(start + timedelta(seconds=60))
    jobs.run_due_lots(clock.now())
    mine = client.get(f"/auction/{lot.pk}/", headers=_as("p1")).content.decode()  # p1 is worst: its turn
    assert "第 1 轮" in mine
    assert "（我） 报价" in mine
    assert "出价金额" in mine
    other = client.get(f"/auction/{lot.pk}/", headers=_as("p0")).content.decode()
    assert "¥4,800.00" in other
    assert "出价金额" not in other


def test_the_lot_page_binds_the_viewers_own_private_channel(client, room, clock, people):
    client.post(f"/auction/{room.pk}/", {"action": "register"}, headers=_as("p0"))
    client.post(f"/auction/{room.pk}/", {"action": "register"}, headers=_as("p1"))
    codes = dict(apps.get_model("auction", "Bidder").objects.filter(lot=room).values_list("entity_id", "code"))
    mine = f"auction.bidder:{room.pk}.{codes[people[0].entity_id]}"
    theirs = f"auction.bidder:{room.pk}.{codes[people[1].entity_id]}"
    page = client.get(f"/auction/{room.pk}/", headers=_as("p0")).content.decode()
    assert "data-auction-me" in page
    assert f"/live/{mine}?token=v1." in page  # a token for this viewer's own channel only
    assert theirs not in page
    public = client.get(f"/auction/{room.pk}/").content.decode()
    assert "data-auction-me" not in public
    assert "auction.bidder:" not in public
