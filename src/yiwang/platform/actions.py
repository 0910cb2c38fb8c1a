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

Actions may call other actions (``do_register_entity`` inside ``do_sign_up_company``). An inner action
whose block sits directly inside the outer one hands its entries and events to the outer action, which
appends them all at its own end, in the order they were recorded: the head rows are still locked only at the
very end of the outermost transaction, so nesting never holds them while more rows are being locked. If the
two are separated by another ``transaction.atomic()`` (a savepoint the caller might roll back on its own), the
inner action appends at the end of its block instead, inside that savepoint, so a rolled-back savepoint takes
its entries with it.

Tasks enqueued through :meth:`ActionRecorder.enqueue` are stored in the same transaction when the task
backend is the database (the embedded and production profiles), so an acknowledged action never loses its
follow-up work; other backends are enqueued after commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction

from yiwang.kernel.actors import Actor
from yiwang.platform.audit import chain
from yiwang.platform.clock import now as clock_now
from yiwang.platform.outbox import feed
from yiwang.platform.outbox.feed import Visibility

ObjectLike = models.Model | tuple[str, Any]

# Column widths of the witness entry (kept in step with platform.audit.models.WitnessEntry).
_LABEL_MAX = 200
_OBJECT_ID_MAX = 100


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
    # each event with the index (in ``_witness``) of the witness entry it belongs to
    _events: list[tuple[feed.PendingEvent, int]] = field(default_factory=list)
    _depth: int = 0  # how deep in atomic blocks this action's own block is

    def witness(self, obj: ObjectLike, payload: dict | None = None, *, action: str | None = None) -> None:
        """Record in the witness log that this action touched ``obj``; ``payload`` says how (JSON values).

        Never put secrets (passwords, token values, keys) in a payload: the log is kept forever."""
        kind, pk = object_ref(obj)
        if len(pk) > _OBJECT_ID_MAX:
            raise ValueError(f"object id {pk[:20]!r}… is longer than {_OBJECT_ID_MAX} characters")
        self._witness.append(
            chain.PendingEntry(
                occurred_at=self.now,
                actor_ref=self.actor.ref,
                # a label is free text (a company name …); clip it before it is hashed, so that what is
                # stored is exactly what was hashed
                actor_label=self.actor.label[:_LABEL_MAX],
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
        """Append an event to the feed. ``data`` must be safe for everyone who may read it (see visibility).

        The event points at the latest witness entry recorded so far (or the first one, if none yet)."""
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
        self._events.append((pending, max(len(self._witness) - 1, 0)))

    def on_commit(self, fn: Callable[[], Any]) -> None:
        transaction.on_commit(fn)

    def enqueue(self, task: Any, *args: Any, **kwargs: Any) -> None:
        """Enqueue a background task as part of this action (durably, when the backend is the database)."""
        if _task_backend_is_transactional(task):
            task.enqueue(*args, **kwargs)
        else:
            transaction.on_commit(lambda: task.enqueue(*args, **kwargs))

    def _check(self) -> None:
        if not self._witness:
            raise RuntimeError(f"action {self.code} changed state without a witness entry")

    def _adopt(self, inner: ActionRecorder) -> None:
        """Take over the entries and events of a finished inner action (appended at this action's end)."""
        base = len(self._witness)
        self._witness.extend(inner._witness)
        self._events.extend((event, base + index) for event, index in inner._events)

    def _flush(self) -> None:
        entries = chain.append(self._witness)
        events = [replace(pending, witness_seq=entries[index].seq) for pending, index in self._events]
        feed.append(events)


def _task_backend_is_transactional(task: Any) -> bool:
    backend = getattr(task, "get_backend", None)
    name = type(backend()).__module__ if callable(backend) else ""
    return name.startswith("django_tasks_db")


_open = threading.local()  # the actions open in this thread (and so on its connection), innermost last


def _open_actions() -> list[ActionRecorder]:
    if not hasattr(_open, "stack"):
        _open.stack = []
    return _open.stack


@contextmanager
def action(actor: Actor, code: str) -> Iterator[ActionRecorder]:
    """Open an action: one transaction that ends with its witness entries and feed events."""
    with transaction.atomic():
        stack = _open_actions()
        recorder = ActionRecorder(actor=actor, code=code, now=clock_now(), _depth=len(connection.atomic_blocks))
        # the enclosing action adopts our entries only if nothing that could roll back alone lies between us
        parent = stack[-1] if stack and stack[-1]._depth == recorder._depth - 1 else None
        stack.append(recorder)
        try:
            yield recorder
            recorder._check()
            if parent is not None:
                parent._adopt(recorder)
            else:
                recorder._flush()
        finally:
            stack.pop()
