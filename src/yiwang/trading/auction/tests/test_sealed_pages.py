"""一次报价 on the lot page (Django client): a registered bidder uploads its sealed envelope through the form (the
same action as the API, the bid box checks it), lands on the bid box's signed receipt, and the page then says
the bid was received instead of offering the form again. Refusals come back as messages and leave nothing."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.trading.auction import actions, jobs
from yiwang.trading.auction.tests import sealed_support as ss
from yiwang.trading.auction.tests.support import footprint


def _client(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def _upload(client: Client, lot_id: int, data: bytes, name: str = "报价.ywenv"):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(f"/auction/{lot_id}/", {"action": "seal", "file": upload})


def _sealing_lot(world, clock):
    lot = actions.do_create_lot(actor=world.staff_actor, spec=ss.sealed_spec(world.ceremony.key.pk))
    codes = ss.register_all(lot, world)
    clock.set(lot.start_at)
    jobs.run_due_lots(lot.start_at)
    lot.refresh_from_db()
    assert lot.phase == "sealing"
    return lot, codes


def test_a_bidder_uploads_its_sealed_bid_on_the_lot_page(sealed_world, clock):
    w = sealed_world
    lot, codes = _sealing_lot(w, clock)
    a = _client(w.a.account)
    page = a.get(f"/auction/{lot.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "加密报价文件（.ywenv）" in page
    assert "递交密封报价" in page
    assert "一次报价（密封）" in page

    r = _upload(a, lot.pk, ss.seal_price(lot, w.a, 60_000_000))
    assert r.status_code == 302
    assert "/bidbox/submissions/" in r["Location"]
    receipt = a.get(r["Location"])
    assert receipt.status_code == 200
    assert "密封报价已递交，回执编号 YWR-" in receipt.content.decode()

    page = a.get(f"/auction/{lot.pk}/").content.decode()
    assert "您的密封报价已收到" in page
    assert "递交密封报价" not in page  # once per bidder: no form again
    assert "60,000,000" not in page
    assert "600,000.00" not in page  # the amount is nowhere on the page
    state = actions.commands.load_state(lot.stream, actions.ENGINE)[0]
    assert codes["a"] in state.sealed

    # another bidder still has the form; the public sees neither the form nor who sealed
    assert "递交密封报价" in _client(w.b.account).get(f"/auction/{lot.pk}/").content.decode()
    public = Client().get(f"/auction/{lot.pk}/").content.decode()
    assert "递交密封报价" not in public
    assert "您的密封报价已收到" not in public


def test_refusals_on_the_page_leave_nothing(sealed_world, clock):
    w = sealed_world
    lot, _codes = _sealing_lot(w, clock)
    a = _client(w.a.account)
    before = footprint()

    # no file
    r = a.post(f"/auction/{lot.pk}/", {"action": "seal"})
    assert r.status_code == 302
    page = a.get(r["Location"]).content.decode()
    assert "请选择加密报价文件（auction.file_required）" in page

    # not an envelope at all
    page = a.get(_upload(a, lot.pk, b"not an envelope")["Location"]).content.decode()
    assert "（crypto." in page or "（bidbox." in page
    # b's envelope uploaded by a (signed by another entity's certificate)
    page = a.get(_upload(a, lot.pk, ss.seal_price(lot, w.b, 61_000_000))["Location"]).content.decode()
    assert "（crypto." in page or "（bidbox." in page or "（ca." in page
    assert footprint() == before

    # after the deadline: refused, and the page no longer offers the form
    data = ss.seal_price(lot, w.a, 60_000_000)
    clock.set(lot.end_at)
    r = _upload(a, lot.pk, data)
    page = a.get(r["Location"]).content.decode()
    assert "bidbox.deadline_passed" in page or "auction.wrong_phase" in page
    assert footprint()[:3] == before[:3]


def test_a_second_envelope_is_refused_before_it_is_stored(sealed_world, clock):
    w = sealed_world
    lot, _codes = _sealing_lot(w, clock)
    a = _client(w.a.account)
    assert _upload(a, lot.pk, ss.seal_price(lot, w.a, 60_000_000)).status_code == 302
    before = footprint()
    r = _upload(a, lot.pk, ss.seal_price(lot, w.a, 70_000_000))
    page = a.get(r["Location"]).content.decode()
    assert "auction.already_sealed" in page
    assert footprint() == before


def test_an_anonymous_upload_goes_to_the_login_page(sealed_world, clock):
    lot, _codes = _sealing_lot(sealed_world, clock)
    r = _upload(Client(), lot.pk, b"x")
    assert r.status_code == 302
    assert "login" in r["Location"]
