"""Data-quality measures of one accepted record version (pure Python; docs/exchange.md §8).

- **completeness**: the share of the dataset's own fields (not the common and transport fields) that the record
  fills, in permille;
- **lag**: how long after the event the hub received the record, in seconds — the event's own time is the
  dataset's event-time field (notice sent, bid opening …) when the record has it, else its ``DATA_TIMESTAMP``;
  both are Beijing local times ``yyyyMMddHHmmss``. Negative lags (an event announced ahead, such as a planned
  opening) are kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from .datasets import Dataset


def completeness_permille(dataset: Dataset, content: Mapping[str, Any]) -> int:
    own = dataset.own_fields
    if not own:
        return 1000
    filled = sum(1 for name in own if content.get(name) not in (None, ""))
    return round(1000 * filled / len(own))


def event_moment(dataset: Dataset, content: Mapping[str, Any]) -> str | None:
    """The record's own event time as ``yyyyMMddHHmmss`` or ``yyyyMMdd`` (None when the field is not filled)."""
    name = dataset.event_time_field
    fdef = dataset.field_map.get(name) if name else None
    value = content.get(name) if name else None
    if fdef is None or not isinstance(value, str) or not value.isdigit():
        return None
    if (fdef.type, len(value)) in (("datetime", 14), ("date", 8)):
        return value
    return None


def event_time_text(dataset: Dataset, content: Mapping[str, Any]) -> str:
    """The event's own local time ``yyyyMMddHHmmss`` (the event-time field if it is a filled date-time)."""
    moment = event_moment(dataset, content)
    return moment if moment is not None and len(moment) == 14 else str(content["DATA_TIMESTAMP"])


def lag_seconds(dataset: Dataset, content: Mapping[str, Any], received_at: datetime, zone: tzinfo) -> int:
    event = datetime.strptime(event_time_text(dataset, content), "%Y%m%d%H%M%S").replace(tzinfo=zone)
    return int((received_at - event).total_seconds())
