"""Actions: rows, witness entries, feed events and tasks commit together or not at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from yiwang.kernel.actors import Actor, ActorKind
from yiwang.kernel.errors import Conflict
from yiwang.platform.audit import chain
from yiwang.platform.audit.chain import PendingEntry
from yiwang.platform.outbox import feed
from yiwang.platform.outbox.feed import PendingEvent
from yiwang.platform.testing import TOUCHED, Boom, do_touch_thing, log_state

pytestmark = pytest.mark.django_db


@task()
def remember(n: int) -> int:
    return n


def test_an_action_commits_rows_entry_and_events_together(clock, system, base):
    do_touch_thing(actor=system, n=7, events=2, row="g7")
    assert Group.objects.filter(name="g7").exists()
    (entry,) = base.entries()
    events = base.events()
    assert [(e.seq, e.event_type, e.data) for e in events] == [
        (base.feed + 1, TOUCHED, {"n": 7, "i": 0}),
        (base.feed + 2, TOUCHED, {"n": 7, "i": 1}),
    ]
    for event in events:
        assert event.witness_seq == entry.fields.seq == base.witness + 1
        assert (event.object_type, event.object_id, event.actor_ref) == ("test.thing", "7", "system:test")
        assert event.occurred_at == clock.now() == entry.fields.occurred_at
    assert chain.verify().ok


@pytest.mark.parametrize(
    "error",
    [Boom("plain exception"), Conflict("test.conflict", "冲突", "Conflict")],
    ids=["exception", "yiwang-error"],
)
def test_a_failed_action_leaves_nothing_behind(clock, system, error, base):
    do_touch_thing(actor=system, n=1, row="kept")
    before = log_state()

    def fail(act):
        act.witness(("test.thing", 99), {"more": True})
        act.emit(TOUCHED, ("test.thing", 99))
        raise error

    with pytest.raises(type(error)):
        do_touch_thing(actor=system, n=2, events=3, row="rolled-back", inside=fail)
    assert log_state() == before
    assert not Group.objects.filter(name="rolled-back").exists()
    # the numbers were given back: the next action continues without a hole
    do_touch_thing(actor=system, n=3)
    assert [e.seq for e in base.events()] == [base.feed + 1, base.feed + 2]
    assert [e.fields.seq for e in base.entries()] == [base.witness + 1, base.witness + 2]
    assert chain.verify().ok


def test_an_action_that_fails_after_everything_was_written_rolls_back(clock, system):
    before = log_state()
    with pytest.raises(Boom):
        do_touch_thing(actor=system, n=1, events=2, row="r", fail=True)
    assert log_state() == before


def test_an_action_without_a_witness_entry_is_refused(clock, system):
    before = log_state()
    with pytest.raises(RuntimeError, match="without a witness entry"):
        do_touch_thing(actor=system, n=1, witness=False, row="unwitnessed")
    assert log_state() == before


def test_an_event_type_must_be_versioned_past_tense(clock, system):
    def bad(act):
        act.emit("test.Touched", ("test.thing", 1))

    before = log_state()
    with pytest.raises(ValueError, match="is not <context>"):
        do_touch_thing(actor=system, n=1, inside=bad)
    assert log_state() == before


@pytest.mark.django_db(transaction=True)
def test_the_log_is_written_only_inside_an_action(clock):
    """Appending outside a transaction (autocommit) is refused: entries must commit with what they witness."""
    entry = PendingEntry(clock.now(), "system:test", "t", "test.x", "test.thing", "1", {})
    event = PendingEvent("test.thing_touched.v1", clock.now(), "test.thing", "1", "system:test", {})
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        chain.append([entry])
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        feed.append([event])
    assert chain.append([]) == []
    assert feed.append([]) == []


def test_a_long_actor_label_is_clipped_before_it_is_hashed(clock, base):
    actor = Actor(ActorKind.SYSTEM, "long", "很长的名字" * 80)
    do_touch_thing(actor=actor, n=1)
    (entry,) = base.entries()
    assert len(entry.fields.actor_label) == 200
    assert chain.verify().ok


def test_each_action_takes_the_time_of_the_clock(clock, system, base):
    do_touch_thing(actor=system, n=1)
    clock.advance(timedelta(minutes=5))
    do_touch_thing(actor=system, n=2)
    times = [e.fields.occurred_at for e in base.entries()]
    assert times[1] - times[0] == timedelta(minutes=5)


# -- nesting -------------------------------------------------------------------------------------------------------
def test_nested_actions_chain_in_recorded_order_and_number_the_feed_contiguously(clock, system, base):
    seen_inside = {}

    def inner(act):
        do_touch_thing(actor=Actor.system("inner"), n=2, events=2, row="inner")
        # the inner action is done, but nothing is appended before the outer action ends
        seen_inside["heads"] = (chain.head()[0], feed.last_seq())
        act.emit(TOUCHED, ("test.thing", 1), {"after": "inner"})

    do_touch_thing(actor=system, n=1, events=1, row="outer", inside=inner)
    assert seen_inside["heads"] == (base.witness, base.feed)
    w, f = base.witness, base.feed
    assert [(e.fields.seq, e.fields.object_id, e.fields.actor_ref) for e in base.entries()] == [
        (w + 1, "1", "system:test"),
        (w + 2, "2", "system:inner"),
    ]
    assert [(e.seq, e.object_id, e.witness_seq) for e in base.events()] == [
        (f + 1, "1", w + 1),
        (f + 2, "2", w + 2),
        (f + 3, "2", w + 2),
        (f + 4, "1", w + 2),
    ]
    assert chain.verify().ok
    assert set(Group.objects.values_list("name", flat=True)) == {"inner", "outer"}


def test_nested_actions_roll_back_together(clock, system):
    before = log_state()

    def inner(act):
        do_touch_thing(actor=system, n=2, row="inner")

    with pytest.raises(Boom):
        do_touch_thing(actor=system, n=1, row="outer", inside=inner, fail=True)
    assert log_state() == before


def test_a_failed_inner_action_caught_by_the_outer_leaves_only_the_outer(clock, system, base):
    def inner(act):
        with pytest.raises(Boom):
            do_touch_thing(actor=system, n=2, row="inner", fail=True)

    do_touch_thing(actor=system, n=1, row="outer", inside=inner)
    assert [e.fields.object_id for e in base.entries()] == ["1"]
    assert [e.object_id for e in base.events()] == ["1"]
    assert list(Group.objects.values_list("name", flat=True)) == ["outer"]
    assert chain.verify().ok


def test_an_inner_action_in_a_savepoint_the_caller_rolls_back_leaves_nothing(clock, system, base):
    """Between the two actions lies a savepoint that is rolled back on its own: the inner action's entries
    must go with its rows (it appends inside that savepoint rather than handing them to the outer action)."""

    def inner(act):
        with transaction.atomic():
            do_touch_thing(actor=system, n=2, row="inner")
            transaction.set_rollback(True)

    do_touch_thing(actor=system, n=1, row="outer", inside=inner)
    assert [e.fields.object_id for e in base.entries()] == ["1"]
    assert [(e.seq, e.object_id) for e in base.events()] == [(base.feed + 1, "1")]
    assert list(Group.objects.values_list("name", flat=True)) == ["outer"]
    assert chain.verify().ok


def test_an_inner_action_in_a_kept_savepoint_is_kept(clock, system, base):
    def inner(act):
        with transaction.atomic():
            do_touch_thing(actor=system, n=2)

    do_touch_thing(actor=system, n=1, inside=inner)
    # the inner action appended at the end of its own block, before the outer one
    assert [e.fields.object_id for e in base.entries()] == ["2", "1"]
    assert [e.object_id for e in base.events()] == ["2", "1"]
    assert chain.verify().ok


# -- tasks ---------------------------------------------------------------------------------------------------------
def test_a_task_is_stored_inside_the_action_and_rolls_back_with_it(clock, system):
    def enqueue(act):
        act.enqueue(remember, 1)
        assert DBTaskResult.objects.filter(task_path__endswith=".remember").count() == 1  # inside, not after

    with pytest.raises(Boom):
        do_touch_thing(actor=system, n=1, inside=enqueue, fail=True)
    assert not DBTaskResult.objects.filter(task_path__endswith=".remember").exists()

    do_touch_thing(actor=system, n=2, inside=enqueue)
    (stored,) = DBTaskResult.objects.filter(task_path__endswith=".remember")
    assert stored.task_path.endswith("test_actions.remember")
    assert stored.args_kwargs == {"args": [1], "kwargs": {}}


class _FakeTask:
    """A task whose backend is not the database: it must be enqueued only after commit."""

    def __init__(self):
        self.calls = []

    def get_backend(self):
        return object()

    def enqueue(self, *args, **kwargs):
        self.calls.append((args, kwargs))


def test_a_task_with_another_backend_is_enqueued_on_commit(clock, system, django_capture_on_commit_callbacks):
    fake = _FakeTask()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        do_touch_thing(actor=system, n=1, inside=lambda act: act.enqueue(fake, 5, x=1))
        assert fake.calls == []
    assert len(callbacks) == 1
    assert fake.calls == [((5,), {"x": 1})]

    failing = _FakeTask()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        do_touch_thing(actor=system, n=2, inside=lambda act: act.enqueue(failing, 6), fail=True)
    assert callbacks == []
    assert failing.calls == []
