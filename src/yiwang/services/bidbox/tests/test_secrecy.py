"""Before the opening nobody — staff included — can list who submitted or download envelopes: staff get counts,
others nothing, a bidder only its own receipts. What becomes visible when."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import get_clock
from yiwang.services.bidbox import actions, queries
from yiwang.services.bidbox.tests.support import DEADLINE, bid_document, seal_for, submit

pytestmark = pytest.mark.django_db


def _code(fn, *args, **kwargs) -> str:
    with pytest.raises(YiwangError) as caught:
        fn(*args, **kwargs)
    return caught.value.code


@pytest.fixture
def submitted(world, box1):
    a = submit(box1, world.a, seal_for(box1, world.a, bid_document(1)))
    get_clock().advance(timedelta(seconds=1))
    b = submit(box1, world.b, seal_for(box1, world.b, bid_document(2)))
    return a, b


def test_before_the_opening(world, box1, submitted):
    a, b = submitted
    staff = world.staff_actor
    outsider = actor_for_account(world.outsider)
    anonymous = Actor.anonymous()
    # staff: the count, nothing more
    assert queries.get_box_for(staff, box1.pk).submission_count == 2
    assert queries.count_submissions_for(staff, box1.pk) == 2
    assert _code(queries.list_hall_for, staff, box1.pk) == "bidbox.sealed"
    assert _code(queries.get_receipt_for, staff, a.pk) == "bidbox.submission_not_found"
    assert _code(queries.envelope_with_receipt_for, staff, a.pk) == "bidbox.submission_not_found"
    assert queries.list_my_submissions_for(staff) == []
    assert _code(queries.get_opening_record, box1.pk) == "bidbox.record_not_published"
    # everybody else: not even the count
    for who in (outsider, anonymous, world.a.actor):
        assert queries.get_box_for(who, box1.pk).submission_count is None
        assert _code(queries.count_submissions_for, who, box1.pk) == "bidbox.sealed"
        assert _code(queries.list_hall_for, who, box1.pk) == "bidbox.sealed"
    # a bidder: its own receipt, never another's
    assert queries.get_receipt_for(world.a.actor, a.pk).receipt_id == a.receipt_id
    assert _code(queries.get_receipt_for, world.a.actor, b.pk) == "bidbox.submission_not_found"
    assert _code(queries.envelope_with_receipt_for, world.a.actor, b.pk) == "bidbox.submission_not_found"
    assert [r.receipt_id for r in queries.list_my_submissions_for(world.a.actor)] == [a.receipt_id]
    # the owning context gets nothing either
    assert _code(queries.list_decrypted_bids, ("tender.section", box1.owner_ref)) == "bidbox.record_not_published"


def test_during_the_opening_status_without_names(world, box1, submitted):
    a, b = submitted
    get_clock().set(DEADLINE)
    actions.do_start_opening(actor=world.staff_actor, box_id=box1.pk)
    outsider = actor_for_account(world.outsider)
    assert queries.count_submissions_for(outsider, box1.pk) == 2
    hall = queries.list_hall_for(outsider, box1.pk)
    assert [(e.number, e.opening_status, e.submission_id) for e in hall.entries] == [
        (1, "pending", None),
        (2, "pending", None),
    ]
    mine = queries.list_hall_for(world.a.actor, box1.pk)
    assert [(e.mine, e.submission_id) for e in mine.entries] == [(True, a.pk), (False, None)]
    staff = queries.list_hall_for(world.staff_actor, box1.pk)
    assert {e.submission_id for e in staff.entries} == {a.pk, b.pk}
    assert not hasattr(staff.entries[0], "entity_id")
    assert _code(queries.get_opening_record, box1.pk) == "bidbox.record_not_published"
    assert _code(queries.get_receipt_for, world.staff_actor, a.pk) == "bidbox.submission_not_found"


def test_after_the_opening_the_record_names_everybody(world, box1, submitted):
    _a, _b = submitted
    get_clock().set(DEADLINE)
    actions.do_start_opening(actor=world.staff_actor, box_id=box1.pk)
    get_clock().advance(timedelta(minutes=30))
    actions.do_close_opening(actor=world.staff_actor, box_id=box1.pk)
    record = queries.get_opening_record(box1.pk)
    assert {e["bidder"] for e in record["entries"]} == {"上海浦江数智建设工程有限公司", "上海闵行绿源环保科技有限公司"}
    assert {e["opening_status"] for e in record["entries"]} == {"revoked"}  # nobody decrypted
    assert record["outcome"] == "insufficient_bids"
    assert queries.get_box_for(Actor.anonymous(), box1.pk).submission_count == 2
