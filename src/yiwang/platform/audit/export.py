"""Exporting the witness log as an archive (:mod:`.archive`), streaming from the database."""

from __future__ import annotations

from typing import TextIO

from yiwang.platform.audit.archive import write_archive
from yiwang.platform.audit.chain import stored_entries
from yiwang.platform.audit.heads import sign_head
from yiwang.platform.audit.merkle import TreeHead


def write_archive_from_db(out: TextIO, *, upto: int | None = None, batch: int = 2000) -> TreeHead:
    """Sign a head of the tree at ``upto`` (default: the whole tree) and write entries 1..``upto`` and that
    head to ``out``, reading ``batch`` entries at a time (memory stays flat whatever the log's length)."""
    head = sign_head(upto).head
    write_archive(out, stored_entries(batch, upto=head.tree_size), head)
    return head
