"""The search index's due job: the engine's periodic upkeep (PostgreSQL: the period indexes of every quarter
that holds documents and of the next one, so that next quarter's documents land in an indexed period)."""

from __future__ import annotations

import logging
from datetime import datetime

from yiwang.platform.search.backends import get_index

log = logging.getLogger(__name__)


def maintain_index(now: datetime) -> int:
    made = get_index().maintain(now)
    if made:
        log.info("search: made %s", ", ".join(made))
    return len(made)
