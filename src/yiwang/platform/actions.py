"""The one mechanism behind every state change: ``with action(actor, code) as act: ...``.

An action body changes rows, then says what it did::

    def do_register_entity(*, actor, data):
        with action(actor, "registry.register_entity") as act:
            entity = Entity.objects.create(...)
            act.witness(entity, {"uscc": entity.uscc, "name": entity.name})
            act.emit("registry.entity_registered.v1", entity, {"uscc": entity.uscc})
            return entity

Everything happens in one transaction: the rows, the witness entries and the outbox events commit together
or not at all, so a failed action leaves no partial rows, no witness entry and no feed event. Witness entries
and events are written at the *end* of the block, which is where the chain and feed head rows are locked:
the lock that orders the log is held only for the last moments of the transaction.

Tasks enqueued through :meth:`ActionRecorder.enqueue` are stored in the same transaction when the task
backend is the database (the embedded and production profiles), so an acknowledged action never loses its
follow-up work; other backends are enqueued after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction

from yiwang.kernel.actors import Actor
from yiwang.platform.audit import chain
from yiwang.platform.clock import now as clock_now
from yiwang.platform.outbox import feed
from yiwang.platform.outbox.feed import Visibility

ObjectLike = models.Model | tuple[str, Any]


def object_ref(obj: ObjectLike) -> tuple[str, str]:
    """``(type, id)`` of a model instance (``registry.entity``, ``"42"``) or of an explicit pair."""
    if isinstance(obj, models.Model):
        return obj._meta.label_lower, str(obj.pk)
    kind, pk = obj
    return str(kind), str(pk)


@dataclass
class ActionRecorder:
    actor: Actor
    code: str
    now: datetime
    _witness: list[chain.PendingEntry] = field(default_factory=list)
    _events: list[tuple[feed.PendingEvent, int]] = field(default_factory=list)

    def witness(self, obj: ObjectLike, payload: dict | None = None, *, action: str | None = None) -> None:
        """Record in the witness log that this action touched ``obj``; ``payload`` says how (JSON values)."""
        kind, pk = object_ref(obj)
        self._witness.append(
            chain.PendingEntry(
                occurred_at=self.now,
                actor_ref=self.actor.ref,
                actor_label=self.actor.label,
                action=action or self.code,
                object_type=kind,
                object_id=pk,
                payload=payload or {},
            )
        )

    def emit(
        self,
        event_type: str,
        obj: ObjectLike,
        data: dict | None = None,
        *,
        visibility: str = Visibility.PUBLIC,
    ) -> None:
        """Append an event to the feed. ``data`` must be safe for everyone who may read it (see visibility)."""
        feed.check_event_type(event_type)
        kind, pk = object_ref(obj)
        pending = feed.PendingEvent(
            event_type=event_type,
            occurred_at=self.now,
            object_type=kind,
            object_id=pk,
            actor_ref=self.actor.ref,
            data=data or {},
            visibility=visibility,
        )
        # remember which witness entry the event belongs to (the latest one so far)
        self._events.append((pending, len(self._witness) - 1))

    def on_commit(self, fn: Callable[[], Any]) -> None:
        transaction.on_commit(fn)

    def enqueue(self, task: Any, *args: Any, **kwargs: Any) -> None:
        """Enqueue a background task as part of this action (durably, when the backend is the database)."""
        if _task_backend_is_transactional(task):
            task.enqueue(*args, **kwargs)
        else:
            transaction.on_commit(lambda: task.enqueue(*args, **kwargs))

    def _flush(self) -> None:
        if not self._witness:
            raise RuntimeError(f"action {self.code} changed state without a witness entry")
        entries = chain.append(self._witness)
        events = []
        for pending, index in self._events:
            witness_seq = entries[max(index, 0)].seq
            events.append(feed.PendingEvent(**{**pending.__dict__, "witness_seq": witness_seq}))
        feed.append(events)


def _task_backend_is_transactional(task: Any) -> bool:
    backend = getattr(task, "get_backend", None)
    name = type(backend()).__module__ if callable(backend) else ""
    return name.startswith("django_tasks_db")


@contextmanager
def action(actor: Actor, code: str) -> Iterator[ActionRecorder]:
    """Open an action: one transaction that ends with its witness entries and feed events."""
    with transaction.atomic():
        recorder = ActionRecorder(actor=actor, code=code, now=clock_now())
        yield recorder
        recorder._flush()
