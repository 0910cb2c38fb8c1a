"""Concurrent submissions of one bidder serialise on the box's row lock: exactly one stays current, every upload
gets its receipt, and the log has every envelope's digest (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import threading

import pytest
from django.db import connection

from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import get_clock, use_clock
from yiwang.services.bidbox import actions
from yiwang.services.bidbox.models import Submission
from yiwang.services.bidbox.tests import support
from yiwang.services.bidbox.tests.support import bid_document, seal_for, witnessed


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_bidder_leave_one_current(clock, system):
    world = support.make_world(system)
    key = support.ceremony(world.staff_actor).key
    box = support.open_box(world.staff_actor, key, ref="RACE")
    envelopes = [seal_for(box, world.a, bid_document(i)) for i in range(4)]
    outcomes: list[object] = []
    manual = get_clock()

    def run(data: bytes) -> None:
        try:
            with use_clock(manual):
                outcomes.append(
                    actions.do_submit_envelope(
                        actor=world.a.actor, box_id=box.pk, entity_id=world.a.entity_id, stream=io.BytesIO(data)
                    ).receipt_id
                )
        except YiwangError as exc:  # pragma: no cover - shown in the assertion below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(data,)) for data in envelopes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(isinstance(o, str) for o in outcomes), outcomes
    rows = list(Submission.objects.filter(box=box))
    assert len(rows) == 4
    assert sorted(r.status for r in rows) == ["submitted", "superseded", "superseded", "superseded"]
    current = next(r for r in rows if r.status == "submitted")
    assert all(r.superseded_by_id is not None for r in rows if r is not current)
    logged = {e["receipt_id"]: e["envelope_sm3"] for e in witnessed("bidbox.submit_envelope") if "envelope_sm3" in e}
    assert logged == {r.receipt_id: r.envelope_sm3 for r in rows}
