"""Row locks of the OCDS context."""

from __future__ import annotations

from yiwang.exchange.ocds.models import Cursor
from yiwang.platform.db import locked_singleton


def cursor_for_update() -> Cursor:
    return locked_singleton(Cursor)
