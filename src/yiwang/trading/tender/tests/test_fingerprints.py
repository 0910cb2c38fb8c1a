"""Bids uploaded through the section page keep the bid tool's machine codes and the upload address for
supervision (实施条例第四十条): readable by the red-flag adapter after the opening, by nobody before it."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.bidbox.tool import simulated_machine
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db
READER = Actor.system("redflags")


def upload(client, section, bidder, price: int, address: str) -> bytes:
    support.pay_deposit(section, bidder)
    sealed_bytes = support.seal(section, bidder, price)
    sealed = io.BytesIO(sealed_bytes)
    sealed.name = "投标文件.ywenv"
    client.force_login(bidder.account)
    response = client.post(
        f"/tender/sections/{section.pk}/bid/",
        {"entity_id": str(bidder.entity_id), "file": sealed},
        REMOTE_ADDR=address,
    )
    assert response.status_code == 302
    assert "/bidbox/submissions/" in response["Location"]
    return sealed_bytes


def test_the_section_page_records_the_upload_address_and_the_machine_codes(world, clock, client):
    _, section = support.ready_project(world)
    owner = ("tender.section", str(section.pk))
    sealed = {
        world.a: upload(client, section, world.a, 4_800_000_000, "203.0.113.7"),
        world.b: upload(client, section, world.b, 4_810_000_000, "203.0.113.7"),  # the same address: CN-40-IP
        world.c: upload(client, section, world.c, 4_820_000_000, "198.51.100.20"),
    }
    with pytest.raises(YiwangError) as early:
        bidbox_queries.list_submission_fingerprints(owner, actor=READER)
    assert early.value.code == "bidbox.fingerprints_sealed"

    support.go(clock, section.bid_deadline)
    section.refresh_from_db()
    for bidder, envelope_bytes in sealed.items():
        (receipt,) = bidbox_queries.list_my_submissions_for(bidder.actor, box_id=section.box_id)
        support.decrypt(bidder, SimpleNamespace(pk=receipt.submission_id, _sealed=envelope_bytes))
    support.actions.do_close_opening(actor=world.staff_actor, section_id=section.pk)

    rows = {r.entity_id: r for r in bidbox_queries.list_submission_fingerprints(owner, actor=READER)}
    assert {e: r.upload_ip for e, r in rows.items()} == {
        world.a.entity_id: "203.0.113.7",
        world.b.entity_id: "203.0.113.7",
        world.c.entity_id: "198.51.100.20",
    }
    assert all(r.upload_ip_source == "remote_addr" for r in rows.values())
    for bidder in world.bidders:
        machine = simulated_machine(bidder.uscc)
        kept = rows[bidder.entity_id].extra
        assert {k: kept[k] for k in machine} == {k: [v] for k, v in machine.items()}
    with pytest.raises(YiwangError) as refused:
        bidbox_queries.list_submission_fingerprints(owner, actor=world.staff_actor)
    assert refused.value.code == "bidbox.fingerprints_forbidden"
