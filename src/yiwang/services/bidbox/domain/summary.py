"""The public fields read out at the opening (唱标), taken from a decrypted bid.

The box is generic: it does not know a tender bid's format. A caller registers a parser for its owner context
(``yiwang.services.bidbox.hooks.register_summary_parser``); without one, the generic format applies — a JSON
object whose ``summary`` member is an object of short scalar values::

    {"summary": {"price_fen": 12345600, "duration_days": 180, "quality": "合格"}, ...}

Pure Python: no Django here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

MAX_JSON_BYTES = 16 << 20  # the generic parser reads bid documents up to this size
MAX_FIELDS = 32
MAX_KEY = 64
MAX_VALUE = 500

SummaryParser = Callable[[BinaryIO, str], Mapping[str, Any]]


class SummaryUnreadable(Exception):
    """The decrypted bid does not carry a summary this parser understands (the bid still counts as opened)."""


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | str):
        return str(value)[:MAX_VALUE]
    raise SummaryUnreadable("summary values must be numbers, strings or booleans")


def clean_summary(raw: Mapping[str, Any]) -> dict[str, str]:
    """At most 32 fields, keys ≤ 64 characters, values turned into text of ≤ 500 characters."""
    if not isinstance(raw, Mapping):
        raise SummaryUnreadable("the summary is not an object")
    out: dict[str, str] = {}
    for key, value in list(raw.items())[:MAX_FIELDS]:
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY:
            raise SummaryUnreadable("summary keys are 1 to 64 characters")
        out[key] = _scalar(value)
    return out


def json_summary(stream: BinaryIO, file_name: str) -> dict[str, Any]:
    """The generic parser: ``{"summary": {…}}`` in a JSON document of at most 16 MiB."""
    data = stream.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise SummaryUnreadable("the bid document is too large for the generic JSON parser")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SummaryUnreadable("the bid document is not UTF-8 JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("summary"), dict):
        raise SummaryUnreadable("the bid document has no 'summary' object")
    return document["summary"]


def readout(summary: Mapping[str, str], fields: Iterable[str]) -> dict[str, str]:
    """The fields read out at the opening: the box's list in its order (missing → ""), or all when none is set."""
    wanted = list(fields)
    if not wanted:
        return dict(summary)
    return {name: summary.get(name, "") for name in wanted}
