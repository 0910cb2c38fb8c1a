"""Secrecy per role: before the opening nobody (staff included) learns who fetched the documents, who bid or
who paid a deposit — counts only; the witness log and the feed name no bidder; bids are unreadable ciphertext."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import NotFound
from yiwang.platform.audit import queries as audit
from yiwang.platform.outbox import feed
from yiwang.services.finance import queries as finance_queries
from yiwang.trading.tender import actions, queries
from yiwang.trading.tender.models import TenderDocument
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db

BIDDER_ACTS = {
    "tender.download_document",
    "tender.ask_question",
    "tender.raise_objection",
    "tender.withdraw_bid",
    "bidbox.submit_envelope",
    "bidbox.withdraw_submission",
    "storage.store_document",
}


def _bidder_traces(world, text: str) -> list[str]:
    found = []
    for bidder in world.bidders:
        for needle in (bidder.uscc, bidder.name, f'"entity_id": {bidder.entity_id}', f"account:{bidder.account.pk}"):
            if needle in text:
                found.append(needle)
    return found


def test_before_the_opening_only_counts_even_for_staff(world, clock, blob_root):
    project, section = support.ready_project(world)
    doc = TenderDocument.objects.get(project=project, kind="tender_documents")
    base_seq = audit.head_seq()
    base_feed = feed.last_seq()
    for bidder in world.bidders:
        actions.do_download_document(actor=bidder.actor, document_id=doc.pk, entity_id=bidder.entity_id)
    actions.do_ask_question(actor=world.a.actor, project_id=project.pk, entity_id=world.a.entity_id, text="请问工期？")
    actions.do_raise_objection(
        actor=world.b.actor, section_id=section.pk, entity_id=world.b.entity_id, kind="documents", text="评标办法不合理"
    )
    objection = section.objections.get()
    actions.do_answer_objection(actor=world.agency.actor, objection_id=objection.pk, answer="已修改")
    section.refresh_from_db()
    submissions = {b: support.submit(section, b, p) for b, p in ((world.a, 4_812_345_678), (world.b, 2), (world.c, 3))}

    for viewer in (world.staff_actor, world.agency.actor, world.tenderer.actor, world.regulator_actor):
        view = queries.get_project_for(viewer, project.pk)
        assert view.download_count == 3
        assert view.downloaders is None
    assert queries.get_project_for(world.staff_actor, project.pk).sections[0].receipt_count == 3
    assert queries.get_project_for(world.agency.actor, project.pk).sections[0].receipt_count == 3
    for viewer in (Actor.anonymous(), world.a.actor, actor_of(world.outsider)):
        view = queries.get_project_for(viewer, project.pk)
        assert view.download_count is None
        assert view.sections[0].receipt_count is None
    lot = finance_queries.get_lot_deposits_for(world.staff_actor, section.lot_ref)
    assert lot.rows is None
    assert lot.satisfied == 3
    # a bidder sees its own bid, nobody else's
    mine = queries.get_section_for(world.a.actor, section.pk).my_submissions
    assert [s.entity_id for s in mine] == [world.a.entity_id]
    # the log and the feed name no bidder before the opening
    for entry in audit.entries(after=base_seq, limit=5000):
        if entry.action in BIDDER_ACTS:
            assert entry.actor_ref.startswith("system:"), entry.action
            assert _bidder_traces(world, entry.payload_text) == [], entry.action
    for event in feed.read(base_feed, 1000).events:
        if not event.event_type.startswith(("tender.", "bidbox.")):
            continue  # finance's restricted deposit events are finance's to judge (see the report)
        assert _bidder_traces(world, json.dumps(event.data, ensure_ascii=False)) == [], event.event_type
    # the bid's content is nowhere in clear: not in a stored blob, not in a row
    marker = b"4812345678"
    for path in Path(blob_root).rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes()
    from yiwang.services.bidbox.tests.support import every_stored_row

    assert not any(marker.decode() in str(value) for row in every_stored_row() for value in row)

    # after the opening the names are public with the record; the lists open up for the managers and staff
    support.go(clock, section.bid_deadline)
    for bidder, submission in submissions.items():
        support.decrypt(bidder, submission)
    actions.do_close_opening(actor=world.staff_actor, section_id=section.pk)
    view = queries.get_project_for(world.staff_actor, project.pk)
    assert sorted(view.downloaders) == sorted(b.name for b in world.bidders)
    assert queries.get_project_for(Actor.anonymous(), project.pk).downloaders is None
    record = queries.get_section_for(Actor.anonymous(), section.pk).opening_record
    assert {e["bidder"] for e in record["entries"]} == {b.name for b in world.bidders}
    assert finance_queries.get_lot_deposits_for(world.staff_actor, section.lot_ref).rows is not None


def actor_of(account) -> Actor:
    from yiwang.identity.auth import actor_for_account

    return actor_for_account(account)


def test_drafts_are_seen_by_their_managers_and_staff_only(world, clock):
    project = support.create_project(world)
    for viewer in (Actor.anonymous(), world.a.actor):
        with pytest.raises(NotFound):
            queries.get_project_for(viewer, project.pk)
        assert project.pk not in [p.project.pk for p in queries.list_projects_for(viewer)]
    for viewer in (world.agency.actor, world.tenderer.actor, world.staff_actor):
        assert queries.get_project_for(viewer, project.pk).project.pk == project.pk
    assert project.pk in [p.project.pk for p in queries.list_projects_for(world.agency.actor, mine=True)]


def test_candidates_are_public_only_from_the_publicity(world, clock):
    _project, section = support.ready_project(world)
    support.open_and_hand_over(world, clock, section, {world.a: 3, world.b: 2, world.c: 1})
    support.record_result(world, section, [(world.c, 1)])
    assert queries.get_section_for(Actor.anonymous(), section.pk).candidates == []
    assert len(queries.get_section_for(world.agency.actor, section.pk).candidates) == 1
    actions.do_publish_candidates(actor=world.agency.actor, section_id=section.pk)
    assert len(queries.get_section_for(Actor.anonymous(), section.pk).candidates) == 1


def test_flags_are_for_supervision(world, clock):
    _project, section = support.ready_project(world)
    support.open_and_hand_over(world, clock, section, {world.a: 3, world.b: 2, world.c: 1})
    support.record_result(world, section, [(world.c, 1)])
    section.refresh_from_db()
    support.go(clock, section.candidates_due)
    assert [f.kind for f in queries.list_flags_for(world.regulator_actor)] == ["candidates_late"]
    assert queries.list_flags_for(Actor.anonymous()) == []
    assert queries.list_flags_for(world.a.actor) == []


def test_downloads_are_refused_to_strangers_and_after_the_window(world, clock):
    project, section = support.ready_project(world)
    doc = TenderDocument.objects.get(project=project, kind="tender_documents")
    from yiwang.kernel.errors import Conflict, PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_download_document(actor=world.a.actor, document_id=doc.pk, entity_id=world.b.entity_id)
    actions.do_download_document(actor=world.a.actor, document_id=doc.pk, entity_id=world.a.entity_id)
    support.go(clock, section.doc_get_end)
    with pytest.raises(Conflict) as caught:
        actions.do_download_document(actor=world.b.actor, document_id=doc.pk, entity_id=world.b.entity_id)
    assert caught.value.code == "tender.document_window_closed"
    # who fetched it in time may fetch it again
    actions.do_download_document(actor=world.a.actor, document_id=doc.pk, entity_id=world.a.entity_id)
