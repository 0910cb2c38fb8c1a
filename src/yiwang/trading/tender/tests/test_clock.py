"""Deadlines driven by the clock: ``next_check`` from a pure function, fired exactly once — run twice, run by
concurrent clocks, and after a restart that missed several events."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from yiwang.kernel.clock import ManualClock
from yiwang.platform.audit import queries as audit
from yiwang.platform.clock import use_clock
from yiwang.platform.outbox import feed
from yiwang.services.notices import queries as notice_queries
from yiwang.trading.tender import actions, jobs
from yiwang.trading.tender.models import Section
from yiwang.trading.tender.tests import support
from yiwang.trading.tender.tests.support import T0


def _witnessed(code: str) -> int:
    return sum(1 for e in audit.entries(limit=10_000) if e.action == code)


@pytest.mark.django_db
def test_next_check_follows_the_section(world, clock):
    _project, section = support.ready_project(world)
    assert section.next_check == section.bid_deadline
    assert jobs.advance_due_sections(clock.now()) == 0  # nothing due: nothing happens, nothing witnessed
    assert _witnessed("tender.advance_section") == 0
    prices = {world.a: 3, world.b: 2, world.c: 1}
    submissions = support.to_opening(world, clock, section, prices)
    assert section.status == "opening"
    assert section.next_check == section.decryption_ends_at
    for bidder, submission in submissions.items():
        support.decrypt(bidder, submission)
    support.go(clock, section.decryption_ends_at)
    section.refresh_from_db()
    assert section.status == "evaluating"
    assert section.next_check == section.evaluation_poll_at


@pytest.mark.django_db
def test_the_clock_run_twice_fires_once(world, clock):
    _project, section = support.ready_project(world)
    for bidder, price in ((world.a, 3), (world.b, 2), (world.c, 1)):
        support.submit(section, bidder, price)
    clock.set(section.bid_deadline)
    assert jobs.advance_due_sections(clock.now()) == 1
    assert jobs.advance_due_sections(clock.now()) == 0
    assert actions.do_advance_section(actor=jobs.CLOCK, section_id=section.pk) == []
    assert _witnessed("bidbox.start_opening") == 1
    assert _witnessed("tender.advance_section") == 1


@pytest.mark.django_db
def test_a_restarted_clock_fires_what_fell_due_while_down_exactly_once(world, clock):
    _project, section = support.ready_project(world)
    for bidder, price in ((world.a, 3), (world.b, 2), (world.c, 1)):
        support.submit(section, bidder, price)
    # the clock was down from before the deadline until long after the decryption window
    clock.set(section.bid_deadline + timedelta(days=3))
    fired = [jobs.advance_due_sections(clock.now()) for _ in range(3)]
    assert fired == [1, 0, 0]  # the opening starts now; the decryption window runs from the actual start
    section.refresh_from_db()
    assert section.decryption_ends_at > clock.now()
    clock.set(section.decryption_ends_at + timedelta(days=1))  # down again through the whole window
    fired = [jobs.advance_due_sections(clock.now()) for _ in range(3)]
    assert fired == [1, 0, 0]
    section.refresh_from_db()
    # nobody decrypted (the clock was down): each envelope was attributed at the close, the section failed
    assert section.status == "failed"
    assert section.failure_code == "insufficient_valid_bids"
    assert _witnessed("bidbox.start_opening") == 1
    assert _witnessed("bidbox.close_opening") == 1
    owners = f"tender.section:{section.pk}"
    types = [n.notice_type for n in notice_queries.list_notices_of(owners)]
    assert types.count("opening_record") == 1
    assert types.count("failed") == 1


@pytest.mark.django_db
def test_flags_are_raised_once(world, clock):
    _project, section = support.ready_project(world)
    support.open_and_hand_over(world, clock, section, {world.a: 3, world.b: 2, world.c: 1})
    support.record_result(world, section, [(world.c, 1)])
    section.refresh_from_db()
    support.go(clock, section.candidates_due + timedelta(hours=1), ticks=3)
    assert section.flags.filter(kind="candidates_late").count() == 1
    flag = section.flags.get(kind="candidates_late")
    assert flag.rule_id == "tender.candidate_publicity_delay_max"
    section.refresh_from_db()
    assert section.next_check is None  # nothing more is due until someone acts


def _transactional_world():
    from yiwang.kernel.actors import Actor

    return support.make_world(Actor.system("test"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_concurrent_clocks_start_an_opening_once():
    clock = ManualClock(T0)
    with use_clock(clock):
        world = _transactional_world()
        _project, section = support.ready_project(world)
        for bidder, price in ((world.a, 3), (world.b, 2), (world.c, 1)):
            support.submit(section, bidder, price)
    clock.set(section.bid_deadline)
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def tick() -> None:
        with use_clock(clock):
            try:
                barrier.wait(timeout=30)
                results.append(jobs.advance_due_sections(clock.now()))
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(results) == [0, 0, 1]
    assert Section.objects.get(pk=section.pk).status == "opening"
    started = [e for e in feed.read(0, 5000).events if e.event_type == "bidbox.opening_started.v1"]
    assert len(started) == 1
