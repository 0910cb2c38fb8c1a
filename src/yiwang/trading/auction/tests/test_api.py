"""The auction API under /api/v1/auction: create, register, bid with Idempotency-Key, suspend/resume, close,
confirm; refusals as JSON with their codes; the bidder list for staff only; every operation declares 422."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.trading.auction import jobs
from yiwang.trading.auction.tests.support import footprint, pay_deposit, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(test_actors, people):
    test_actors["staff"] = staff()
    for i, p in enumerate(people):
        test_actors[f"p{i}"] = p.actor
    return test_actors


def _lot_body(clock, **over):
    start = clock.now() + timedelta(hours=1)
    body = {
        "preset": "judicial",
        "title": "奉贤区某厂房及设备",
        "start_price_fen": 8_000_000,
        "step_fen": 100_000,
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=24)).isoformat(),
        "appraisal_fen": 10_000_000,
        "deposit_fen": 800_000,
    }
    body.update(over)
    return body


def _create(api, clock, **over):
    r = api.with_token("staff").post("/auction/lots", _lot_body(clock, **over))
    assert r.status_code == 201, r.json()
    return r.json()


def test_openapi_declares_422_on_every_auction_operation(api):
    spec = api.get("/openapi.json").json()
    ops = [(p, m, op) for p, item in spec["paths"].items() if p.startswith("/api/v1/auction") for m, op in item.items()]
    assert len(ops) >= 17
    for path, method, op in ops:
        assert "422" in op["responses"], (method, path)


def test_create_register_bid_close_confirm_over_http(api, clock, tokens, people):
    a, b = people[0], people[1]
    lot = _create(api, clock)
    assert lot["ref"].startswith("JA-")
    assert lot["phase"] == "scheduled"
    assert lot["preset_label"] == "网络司法拍卖"
    lot_id = lot["id"]
    from yiwang.trading.auction.models import Lot

    row = Lot.objects.get(pk=lot_id)
    for i, p in enumerate((a, b)):
        pay_deposit(row, p)
        r = api.with_token(f"p{i}").post(f"/auction/lots/{lot_id}/registrations", {"entity_id": p.entity_id})
        assert r.status_code == 201, r.json()
    me = api.with_token("p0").get(f"/auction/lots/{lot_id}/me").json()
    assert me["registered"]
    assert me["code"]
    assert not me["leading"]
    clock.set(row.start_at)
    jobs.run_due_lots(clock.now())
    # a bid with an idempotency key; the retry gets the first answer
    headers = {"Idempotency-Key": "bid-0001"}
    r = api.with_token("p0").post(f"/auction/lots/{lot_id}/bids", {"amount_fen": 8_000_000}, headers)
    assert r.status_code == 201, r.json()
    first = r.json()
    clock.advance(timedelta(seconds=2))
    again = api.with_token("p0").post(f"/auction/lots/{lot_id}/bids", {"amount_fen": 8_000_000}, headers)
    assert again.status_code == 201
    assert again.json()["seq"] == first["seq"]
    # refusals
    r = api.with_token("p1").post(f"/auction/lots/{lot_id}/bids", {"amount_fen": 8_050_000})
    assert r.status_code == 422
    assert r.json()["code"] == "auction.below_increment"
    assert r.json()["message_zh"]
    r = api.with_token("p1").post(
        f"/auction/lots/{lot_id}/bids", {"amount_fen": 8_100_000, "expected_price_fen": 7_900_000}
    )
    assert r.status_code == 409
    assert r.json()["code"] == "auction.stale_price"
    r = api.with_token("p2").post(f"/auction/lots/{lot_id}/bids", {"amount_fen": 8_100_000})
    assert r.status_code == 403
    assert r.json()["code"] == "auction.not_registered"
    r = api.with_token("p1").post(
        f"/auction/lots/{lot_id}/bids", {"amount_fen": 8_100_000, "expected_price_fen": 8_000_000}
    )
    assert r.status_code == 201
    # the public state: pseudonyms only, the server's time
    state = api.get(f"/auction/lots/{lot_id}/state").json()
    assert state["state"]["price"] == 8_100_000
    assert state["state"]["leader"] == r.json()["code"]
    assert a.name not in str(state)
    assert b.name not in str(state)
    assert "entity" not in str(state["state"])
    assert state["rules"]["has_reserve"] is False
    bids = api.get(f"/auction/lots/{lot_id}/bids").json()
    assert [x["amount_fen"] for x in bids] == [8_100_000, 8_000_000]
    # suspend / resume (staff, with a reason)
    r = api.with_token("p0").post(f"/auction/lots/{lot_id}/suspend", {"reason": "x"})
    assert r.status_code == 403
    assert r.json()["code"] == "auction.staff_only"
    r = api.with_token("staff").post(f"/auction/lots/{lot_id}/suspend", {"reason": "网络故障"})
    assert r.status_code == 200
    assert r.json()["phase"] == "suspended"
    r = api.with_token("p0").post(f"/auction/lots/{lot_id}/bids", {"amount_fen": 8_200_000})
    assert r.status_code == 409
    assert r.json()["code"] == "auction.suspended"
    r = api.with_token("staff").post(f"/auction/lots/{lot_id}/resume", {"reason": "故障排除"})
    assert r.json()["phase"] == "open"
    # the close: by the clock, or a staff member asking for the due transition
    end = r.json()["end_at"]
    r = api.with_token("staff").post(f"/auction/lots/{lot_id}/advance")
    assert r.status_code == 200
    assert r.json()["advanced"] is False
    from datetime import datetime

    clock.set(datetime.fromisoformat(end))
    r = api.with_token("staff").post(f"/auction/lots/{lot_id}/advance")
    assert r.json()["advanced"] is True
    assert r.json()["lot"]["outcome"] == "sold"
    assert r.json()["lot"]["winner_code"] == bids[0]["code"]
    # identities: staff only
    assert api.with_token("p0").get(f"/auction/lots/{lot_id}/bidders").status_code == 403
    who = api.with_token("staff").get(f"/auction/lots/{lot_id}/bidders").json()
    assert {x["entity_id"] for x in who} == {a.entity_id, b.entity_id}
    check = api.with_token("staff").get(f"/auction/lots/{lot_id}/check").json()
    assert check["ok"], check["problems"]
    r = api.with_token("staff").post(f"/auction/lots/{lot_id}/confirm")
    assert r.status_code == 200
    assert r.json()["settled"] == "confirmed"
    assert api.with_token("p1").get(f"/auction/lots/{lot_id}/me").json()["won"] is True


@pytest.mark.parametrize(
    ("over", "status", "code"),
    [
        ({"start_price_fen": 5_000_000, "deposit_fen": 500_000}, 422, "auction.start_price_too_low"),
        ({"preset": "sealed"}, 422, "auction.preset_unknown"),
        ({"start_at": "2026-03-03T09:00:00"}, 422, "auction.naive_time"),
        ({"step_fen": "many"}, 422, None),
    ],
)
def test_bad_lots_are_refused_as_json_and_leave_nothing(api, clock, tokens, over, status, code):
    before = footprint()
    r = api.with_token("staff").post("/auction/lots", _lot_body(clock, **over))
    assert r.status_code == status
    if code:
        assert r.json()["code"] == code
    assert footprint() == before


def test_bidders_cannot_create_lots_and_unknown_lots_are_404(api, clock, tokens):
    r = api.with_token("p0").post("/auction/lots", _lot_body(clock))
    assert r.status_code == 403
    assert r.json()["code"] == "auction.staff_only"
    assert api.get("/auction/lots/999999").json()["code"] == "auction.lot_not_found"
    assert apps.get_model("auction", "Lot").objects.count() == 0


def test_list_lots_is_public(api, clock, tokens):
    _create(api, clock)
    _create(api, clock, preset="english", deposit_fen=0, reserve_fen=9_000_000)
    lots = api.get("/auction/lots").json()
    assert len(lots) == 2
    english = next(x for x in lots if x["preset"] == "english")
    assert "reserve" not in str(english)
    state = api.get(f"/auction/lots/{english['id']}/state").json()
    assert state["rules"]["reserve"] is None
    assert state["rules"]["has_reserve"] is True
    assert api.get("/auction/lots", {"phase": "live"}).json() == []
