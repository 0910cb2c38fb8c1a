"""Canonical JSON: one byte string for one value, so hashes and signatures are reproducible anywhere.

Rules: UTF-8; object keys sorted; no insignificant white space; no NaN or infinities; datetimes must be
converted by the caller (use :func:`iso_utc`) so that the same instant always gives the same text.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` (made of dict, list, str, int, bool, None) as canonical JSON bytes."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_json(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value))


def iso_utc(moment: datetime) -> str:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (fixed width, so it sorts as text)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Yiwang stores instants as aware UTC datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
