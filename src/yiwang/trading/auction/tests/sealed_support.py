"""Helpers of the sealed-bid tests (一次报价, 权重报价): the bid box's world of accounts, entities and bound SM2
certificates, and sealing a price as a bidder's tool does — against the lot's bid box as the public sees it."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from yiwang.kernel.crypto import envelope, load_public_key, signer_for
from yiwang.kernel.crypto.envelope import BidMeta, Recipient
from yiwang.platform.clock import now
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.bidbox.tests.support import Bidder, World
from yiwang.services.bidbox.tool import simulated_machine
from yiwang.trading.auction import actions
from yiwang.trading.auction.queries import box_owner


def sealed_spec(key_id: int, preset: str = "equity_sealed", **over) -> actions.LotSpec:
    start = now() + timedelta(hours=1)
    data = {
        "preset": preset,
        "title": "某国有控股公司 35% 股权",
        "start_price_fen": 50_000_000,
        "step_fen": 100_000,
        "start_at": start,
        "end_at": start + timedelta(hours=2),
        "opening_key": key_id,
    }
    data.update(over)
    return actions.LotSpec(**data)


def box_of(lot) -> bidbox_queries.BoxView:
    view = bidbox_queries.get_box_of_owner(box_owner(lot))
    assert view is not None
    return view


def bid_document(price_fen: int | str) -> bytes:
    doc = {"summary": {"price_fen": price_fen}, "报价说明": "一次报价，含税"}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def seal_price(lot, bidder: Bidder, price_fen: int | str) -> bytes:
    """Seal as the bidder's tool does: the box's public facts, signed with the bidder's certificate key, wrapped
    to its own key and to the lot's opening key."""
    box = box_of(lot)
    plaintext = bid_document(price_fen)
    meta = BidMeta(
        project_code=box.project_code,
        section_code=box.section_code,
        bidder_id=bidder.uscc,
        deadline=box.deadline,
        file_name="报价单.json",
        file_size=len(plaintext),
        extra=simulated_machine(bidder.uscc),  # the bid tool's machine codes: one machine per bidder
    )
    return envelope.seal(
        plaintext,
        meta=meta,
        bidder_signer=signer_for(bidder.issued.key),
        recipients=[
            Recipient("bidder", bidder.issued.key.public_key),
            Recipient("opening", load_public_key(box.opening_key_pem)),
        ],
        bidder_certificate=bidder.issued.cert.der,
    )


def submit(lot, bidder: Bidder, price_fen: int | str) -> actions.SealedReceipt:
    data = seal_price(lot, bidder, price_fen)
    return actions.do_submit_sealed_bid(actor=bidder.actor, lot_id=lot.pk, stream=io.BytesIO(data))


def decrypt(bidder: Bidder, receipt: actions.SealedReceipt) -> None:
    """The bidder's step at the opening: unwrap its content key with its own private key and hand it over."""
    _name, stream = bidbox_queries.envelope_with_receipt_for(bidder.actor, receipt.submission_id)
    data = stream.read()
    stream.close()
    key = envelope.unwrap_content_key(data, private_key=bidder.issued.key)
    bidbox.do_decrypt_with_content_key(actor=bidder.actor, submission_id=receipt.submission_id, content_key=key)


def register_all(lot, world: World) -> dict[str, str]:
    """Register bidders a, b, c; their 竞买号 by name."""
    return {
        name: actions.do_register_bidder(actor=b.actor, lot_id=lot.pk, entity_id=b.entity_id).code
        for name, b in (("a", world.a), ("b", world.b), ("c", world.c))
    }
