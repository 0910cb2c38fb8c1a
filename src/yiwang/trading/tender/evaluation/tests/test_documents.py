"""Bid documents from the bid box: decrypted at the opening, read by committee members during the meeting
only, through short-lived signed links bound to the member; every read is witnessed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from yiwang.kernel.crypto import envelope
from yiwang.kernel.errors import YiwangError
from yiwang.platform.audit import queries as audit
from yiwang.platform.clock import get_clock
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.bidbox.tests import support as box_support
from yiwang.trading.tender.evaluation import actions, queries
from yiwang.trading.tender.evaluation.tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(db, clock, system):
    """Three bids sealed, submitted, opened and decrypted in a bid box owned by ``tender.section:S-EV``."""
    bw = box_support.make_world(system)
    ceremony = box_support.ceremony(bw.staff_actor)
    box = box_support.open_box(bw.staff_actor, ceremony.key, ref="S-EV")
    subs = []
    for bidder, price in ((bw.a, 400_000_000), (bw.b, 410_000_000), (bw.c, 420_000_000)):
        sealed = box_support.seal_for(box, bidder, box_support.bid_document(price, bidder=bidder.uscc))
        subs.append((bidder, price, box_support.submit(box, bidder, sealed), sealed))
        get_clock().advance(timedelta(minutes=1))
    get_clock().set(box_support.DEADLINE)
    bidbox.do_start_opening(actor=bw.staff_actor, box_id=box.pk)
    for bidder, _, sub, sealed in subs:
        key = envelope.unwrap_content_key(sealed, private_key=bidder.issued.key)
        assert bidbox.do_decrypt_with_content_key(actor=bidder.actor, submission_id=sub.pk, content_key=key).ok
    bidbox.do_close_opening(actor=bw.staff_actor, box_id=box.pk)
    decrypted = bidbox_queries.list_decrypted_bids(("tender.section", "S-EV"))
    bids = [
        {
            "entity_id": d.entity_id,
            "name": bidder.uscc,
            "uscc": bidder.uscc,
            "pseudonym": f"投标人{i + 1}",
            "price_fen": price,
            "documents": [
                {
                    "owner_context": "tender.section",
                    "owner_ref": "S-EV",
                    "submission_id": str(d.submission_id),
                    "file_name": d.file_name,
                }
            ],
        }
        for i, ((bidder, price, _, _), d) in enumerate(zip(subs, decrypted, strict=True))
    ]
    return bw, bids


def test_members_read_bid_documents_through_signed_links_during_the_meeting(opened, clock, system, client: Client):
    _bw, bids = opened
    world = support.make_world(system, bidders=0)
    ev = actions.do_start_evaluation(
        actor=world.staff,
        section_ref="tender.section:S-EV",
        kind="works",
        config=support.comprehensive_config(requirements=[]),
        rules_snapshot=support.snapshot(),
        bids=bids,
        committee_request=support.committee_request(world),
    )
    member, person = None, None
    # before the meeting nobody reads the documents
    with pytest.raises(YiwangError):
        queries.document_link_for(world.staff, ev.section_ref, ev.bids.first().pk, 0)
    ev = support.convene(world, ev, clock)
    member, person = support.member_people(world, ev)[0]
    bid = ev.bids.get(seq=2)
    url = queries.document_link_for(person.actor, ev.section_ref, bid.pk, 0)
    client.force_login(person.account)
    response = client.get(url)
    assert response.status_code == 200
    body = json.loads(b"".join(response.streaming_content))
    assert body["summary"]["price_fen"] == 410_000_000
    assert response["Cache-Control"] == "private, no-store"
    [entry] = audit.entries(action="evaluation.open_bid_document", limit=10)
    assert json.loads(entry.payload_text)["read_by"] == member.label
    # the link belongs to this member: another member is refused
    other = support.member_people(world, ev)[1][1]
    client.force_login(other.account)
    assert client.get(url).status_code == 403
    # a non-member cannot get a link; an expired link is refused
    with pytest.raises(YiwangError) as exc:
        queries.document_link_for(world.staff, ev.section_ref, bid.pk, 0)
    assert exc.value.code == "evaluation.forbidden"
    client.force_login(person.account)
    clock.advance(timedelta(minutes=11))
    assert client.get(url).status_code == 403
    # after the meeting (the end passed) no new link
    clock.set(ev.meeting_end + timedelta(minutes=1))
    with pytest.raises(YiwangError) as exc:
        queries.document_link_for(person.actor, ev.section_ref, bid.pk, 0)
    assert exc.value.code == "evaluation.meeting_closed"
