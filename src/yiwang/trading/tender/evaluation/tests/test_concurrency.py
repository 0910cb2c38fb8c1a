"""Members submit at the same moment and the chair closes twice at once: every sheet counts once, the stage
closes once (the evaluation row is the lock). Runs on SQLite (single writer) and PostgreSQL (row lock)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from yiwang.kernel.errors import YiwangError
from yiwang.platform.audit import queries as audit
from yiwang.platform.clock import use_clock
from yiwang.trading.tender.evaluation import actions
from yiwang.trading.tender.evaluation.models import Sheet
from yiwang.trading.tender.evaluation.tests import support

pytestmark = pytest.mark.django_db(transaction=True)


def _together(clock, calls: list[Callable[[], object]]) -> list[object]:
    """Run ``calls`` in threads released at once; each result or raised error, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            with use_clock(clock):
                barrier.wait(timeout=30)
                results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_simultaneous_submissions_and_closes(clock, system):
    world = support.make_world(system)
    ev = support.start(world, config=support.comprehensive_config(requirements=[]))
    ev = support.convene(world, ev, clock)
    people = support.member_people(world, ev)
    verdicts = support.pass_all(ev, "compliance")

    def submit(person):
        return lambda: actions.do_save_review_sheet(
            actor=person.actor, section_ref=ev.section_ref, stage="compliance", verdicts=verdicts, submit=True
        )

    results = _together(clock, [submit(p) for _, p in people])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Sheet.objects.filter(evaluation=ev, stage="compliance", status="submitted").count() == 5

    chair = support.chair_of(world, ev)

    def close():
        return actions.do_close_stage(actor=chair.actor, section_ref=ev.section_ref, stage="compliance")

    results = _together(clock, [close, close])
    errors = [r for r in results if isinstance(r, YiwangError)]
    assert len(errors) == 1, results
    assert errors[0].code == "evaluation.wrong_stage"
    ev.refresh_from_db()
    assert ev.status == "pricing"
    assert len([e for e in audit.entries(action="evaluation.close_stage", limit=10)]) == 1
