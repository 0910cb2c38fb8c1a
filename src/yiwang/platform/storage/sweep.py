"""The orphan sweep: blobs that no document version references, older than the grace period, are removed.

Why orphans exist at all: a blob is committed *before* the action that records it (so a 500 MB upload is
never streamed inside a database transaction). If that action then fails (a rule refuses, the idempotency
record collides, the process dies), the blob is left without a row. Nothing can reach it (rows are the only
way to a blob), so it is harmless until swept.

Why the sweep cannot remove a blob that is about to be referenced: every commit of a blob, new or
deduplicated, sets its modification time to *now* under a shared lock, and the sweep deletes under an
exclusive lock only blobs whose time is older than the grace period (default a day). An upload whose action
commits within the grace period is therefore safe; no action runs for a day.

The job runs from the clock (``storage.sweep_orphans``) and handles a few of the 256 first-level shards per
run, so a run stays short however large the store is; a full pass takes 256 / ``SHARDS_PER_RUN`` runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from yiwang.platform.storage.blobs import BlobStore, get_blob_store
from yiwang.platform.storage.conf import storage_settings
from yiwang.platform.storage.models import DocumentVersion

log = logging.getLogger("yiwang.storage")

SHARDS = tuple(f"{i:02x}" for i in range(256))
SHARDS_PER_RUN = 8
EVERY_SECONDS = 300
BATCH = 500

_cursor_lock = threading.Lock()
_cursor = {"next": 0}


def _next_shards(count: int) -> list[str]:
    with _cursor_lock:
        start = _cursor["next"]
        _cursor["next"] = (start + count) % len(SHARDS)
    return [SHARDS[(start + i) % len(SHARDS)] for i in range(count)]


def sweep_orphans(moment: datetime, *, shards: Iterable[str] | None = None, store: BlobStore | None = None) -> int:
    """Remove orphan blobs (in ``shards``, default: the next few) and stale temporary files; how many."""
    store = store or get_blob_store()
    cutoff = moment - timedelta(seconds=storage_settings().orphan_grace_seconds)
    removed = store.sweep_temporaries(cutoff)
    for shard in _next_shards(SHARDS_PER_RUN) if shards is None else shards:
        removed += _sweep_shard(store, shard, cutoff)
    return removed


def sweep_everything(moment: datetime, *, store: BlobStore | None = None) -> int:
    return sweep_orphans(moment, shards=SHARDS, store=store)


def _sweep_shard(store: BlobStore, shard: str, cutoff: datetime) -> int:
    removed = 0
    batch: list[str] = []
    for digest in store.iter_digests(shard):
        batch.append(digest)
        if len(batch) >= BATCH:
            removed += _sweep_batch(store, batch, cutoff)
            batch = []
    if batch:
        removed += _sweep_batch(store, batch, cutoff)
    return removed


def _sweep_batch(store: BlobStore, digests: list[str], cutoff: datetime) -> int:
    referenced = set(DocumentVersion.objects.filter(sha256__in=digests).values_list("sha256", flat=True))
    removed = 0
    for digest in digests:
        if digest in referenced:
            continue
        touched = store.touched_at(digest)
        if touched is None or touched > cutoff:
            continue
        if store.delete(digest, unless_touched_after=cutoff):
            log.info("swept orphan blob %s (last written %s)", digest, touched.isoformat())
            removed += 1
    return removed
