"""Reading JSON Lines the way every OCDS reader of Yiwang does (exchange.ocds's importer, supervision.redflags's
screens): the standard's JSON only — ``NaN``, ``Infinity`` and ``-Infinity`` are refused — and lines numbered
from 1, the newline that ends the last line starting no further line. Pure Python."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


decode = json.JSONDecoder(parse_constant=_refuse_constant).decode
"""``decode(text)``: one JSON value; ``ValueError`` (``json.JSONDecodeError``) for anything that is not JSON."""


def numbered_lines(data: bytes, first_line: int = 1) -> Iterator[tuple[int, bytes]]:
    """``(line number, raw line)`` for each line of ``data`` (without its newline), numbered from ``first_line``."""
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    yield from enumerate(pieces, start=first_line)


def parse_line(raw: bytes) -> tuple[Any, str | None]:
    """One line: ``(value, None)``, or ``(None, message)`` when it is not UTF-8 JSON. A blank line is
    ``(None, None)``: callers skip it."""
    if not raw.strip():
        return None, None
    try:
        return decode(raw.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8: {exc.reason}"
    except ValueError as exc:
        return None, str(exc)
