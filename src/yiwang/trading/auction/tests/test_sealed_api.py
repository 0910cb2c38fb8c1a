"""一次报价 over HTTP: create with the opening key, a multipart sealed bid (once), the opening and the decision."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.trading.auction import jobs
from yiwang.trading.auction.tests import sealed_support as ss
from yiwang.trading.auction.tests.support import footprint

BASE = "/api/v1/auction"


def _client(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def _upload(client: Client, lot_id: int, data: bytes):
    upload = SimpleUploadedFile("bid.ywenv", data, content_type="application/octet-stream")
    return client.post(f"{BASE}/lots/{lot_id}/sealed-bids", {"file": upload})


def test_sealed_bids_over_the_api(sealed_world, clock):
    w = sealed_world
    staff = _client(w.staff)
    spec = ss.sealed_spec(w.ceremony.key.pk)
    body = {
        "preset": "equity_sealed",
        "title": spec.title,
        "start_price_fen": spec.start_price_fen,
        "step_fen": spec.step_fen,
        "start_at": spec.start_at.isoformat(),
        "end_at": spec.end_at.isoformat(),
        "opening_key": w.ceremony.key.pk,
    }
    made = staff.post(f"{BASE}/lots", body, content_type="application/json")
    assert made.status_code == 201, made.content
    lot_id = made.json()["id"]
    no_key = staff.post(f"{BASE}/lots", {**body, "opening_key": None}, content_type="application/json")
    assert (no_key.status_code, no_key.json()["code"]) == (422, "auction.opening_key_required")

    a, b = _client(w.a.account), _client(w.b.account)
    reg = a.post(f"{BASE}/lots/{lot_id}/registrations", {"entity_id": w.a.entity_id}, content_type="application/json")
    assert reg.status_code == 201, reg.content
    # equity.min_bidders: a state-equity 一次报价 needs two sealed bids, c bids lower
    c = _client(w.c.account)
    reg_c = c.post(f"{BASE}/lots/{lot_id}/registrations", {"entity_id": w.c.entity_id}, content_type="application/json")
    assert reg_c.status_code == 201, reg_c.content
    from yiwang.trading.auction import queries

    lot = queries.get_lot_for(w.staff_actor, lot_id)
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())

    # not registered: refused, nothing stored
    before = footprint()
    refused = _upload(b, lot_id, ss.seal_price(lot, w.b, 60_000_000))
    assert (refused.status_code, refused.json()["code"]) == (403, "auction.not_registered")
    assert footprint() == before
    done = _upload(a, lot_id, ss.seal_price(lot, w.a, 60_000_000))
    assert done.status_code == 201, done.content
    receipt = done.json()
    assert receipt["receipt_id"].startswith("YWR-")
    assert "60000000" not in done.content.decode()
    lower = _upload(c, lot_id, ss.seal_price(lot, w.c, 59_000_000))
    assert lower.status_code == 201, lower.content
    again = _upload(a, lot_id, ss.seal_price(lot, w.a, 61_000_000))
    assert (again.status_code, again.json()["code"]) == (409, "auction.already_sealed")

    # the state the public reads shows no amount and no count of sealed bids
    state = b.get(f"{BASE}/lots/{lot_id}/state").json()["state"]
    assert state["phase"] == "sealing"
    assert "60000000" not in str(state)

    clock.set(lot.end_at + timedelta(seconds=1))
    jobs.run_due_lots(clock.now())
    scores = staff.post(f"{BASE}/lots/{lot_id}/scores", {"scores": {"X": 1}}, content_type="application/json")
    assert (scores.status_code, scores.json()["code"]) == (409, "auction.not_weighted")
    opening = staff.post(f"{BASE}/lots/{lot_id}/opening")
    assert opening.status_code == 200, opening.content
    assert opening.json()["status"] == "opening"

    class _Receipt:
        submission_id = receipt["submission_id"]

    class _ReceiptC:
        submission_id = lower.json()["submission_id"]

    ss.decrypt(w.a, _Receipt)  # type: ignore[arg-type]
    ss.decrypt(w.c, _ReceiptC)  # type: ignore[arg-type]
    decided = staff.post(f"{BASE}/lots/{lot_id}/decide")
    assert decided.status_code == 200, decided.content
    assert decided.json()["outcome"] == "sold"
    assert decided.json()["deal_price_fen"] == 60_000_000
    assert decided.json()["winner_code"] == reg.json()["code"]
    assert a.post(f"{BASE}/lots/{lot_id}/decide").json()["code"] == "auction.staff_only"
