"""Reads of the witness log for other contexts (pages, workbenches, tests): entries about an object or an actor.

The table itself is private to ``platform.audit``; these functions return the pure :class:`StoredEntry` values
plus the few columns readers show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model

from yiwang.platform.audit.format import StoredEntry
from yiwang.platform.audit.models import WitnessEntry, WitnessHead


@dataclass(frozen=True)
class WitnessView:
    seq: int
    occurred_at: datetime
    actor_ref: str
    actor_label: str
    action: str
    object_type: str
    object_id: str
    payload_text: str
    entry_hash: str

    def stored(self) -> StoredEntry:
        return WitnessEntry(**self.__dict__).stored()


_FIELDS = (
    "seq",
    "occurred_at",
    "actor_ref",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "payload_text",
    "entry_hash",
)


def _ref(obj: Model | tuple[str, Any]) -> tuple[str, str]:
    if isinstance(obj, Model):
        return obj._meta.label_lower, str(obj.pk)
    return str(obj[0]), str(obj[1])


def entries_about(obj: Model | tuple[str, Any], *, limit: int = 200) -> list[WitnessView]:
    """The witness entries of one object, oldest first."""
    kind, pk = _ref(obj)
    rows = WitnessEntry.objects.filter(object_type=kind, object_id=pk).order_by("seq").values(*_FIELDS)[:limit]
    return [WitnessView(**row) for row in rows]


def entries(
    *, action: str | None = None, actor_ref: str | None = None, after: int = 0, limit: int = 200
) -> list[WitnessView]:
    """Witness entries filtered by action code and/or actor, oldest first, after sequence ``after``."""
    qs = WitnessEntry.objects.filter(seq__gt=after)
    if action:
        qs = qs.filter(action=action)
    if actor_ref:
        qs = qs.filter(actor_ref=actor_ref)
    return [WitnessView(**row) for row in qs.order_by("seq").values(*_FIELDS)[:limit]]


def entries_by(actor_ref: str, *, before: int | None = None, limit: int = 50) -> list[WitnessView]:
    """What one actor did (``account:12``), newest first; ``before``: only entries older than that sequence."""
    qs = WitnessEntry.objects.filter(actor_ref=actor_ref)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    limit = max(1, min(int(limit), 200))
    return [WitnessView(**row) for row in qs.order_by("-seq").values(*_FIELDS)[:limit]]


def head_seq() -> int:
    """The number of entries in the log (the sequence number of the newest)."""
    return WitnessHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
