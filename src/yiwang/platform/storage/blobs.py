"""The blob layer: content-addressed, write-once storage of bytes (a port with adapters chosen by settings).

A blob is addressed by the SHA-256 of its content (lower-case hex); its SM3 digest (GB/T 32905) is computed in
the same pass and recorded alongside. Writing is two-phase so that checks can look at the bytes before
anything becomes visible::

    staged = store.stage(stream, max_size=limit)   # streamed to a temporary file, hashed, fsynced
    ... sniff / scan staged.open() ...
    ref = staged.commit()                          # atomic rename to its address (or dropped: already there)
    # or staged.discard()

``put(stream)`` does both at once. A crash or an exception while staging leaves no blob under any address,
only a temporary file that :meth:`sweep_temporaries` removes later. Identical content is stored once.

Blobs are never deleted by users: :meth:`BlobStore.delete` is for the orphan sweep and, later, the retention
job (both in this app); the import-linter contract keeps this module private to ``platform.storage``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import io
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from yiwang.kernel.crypto.hashing import new_hasher
from yiwang.platform.clock import now
from yiwang.platform.storage.conf import storage_settings

CHUNK = 1 << 20  # bytes read and written at a time: memory use is constant, whatever the file size
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class BlobRef:
    sha256: str  # the address
    sm3: str
    size: int


class SizeLimitExceeded(Exception):
    """The stream had more than ``max_size`` bytes (reading stopped at ``max_size + 1``)."""

    def __init__(self, max_size: int):
        super().__init__(f"more than {max_size} bytes")
        self.max_size = max_size


class BlobNotFound(LookupError):
    pass


def check_digest(sha256: str) -> str:
    if not isinstance(sha256, str) or not SHA256_HEX.match(sha256):
        raise ValueError("a blob address is 64 lower-case hex digits (SHA-256)")
    return sha256


class _Hashing:
    """SHA-256 and SM3 of everything fed to it, and the byte count."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.sm3 = new_hasher("sm3")
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        self.sm3.update(chunk)
        self.size += len(chunk)

    def ref(self) -> BlobRef:
        return BlobRef(sha256=self.sha256.hexdigest(), sm3=self.sm3.hexdigest(), size=self.size)


def _copy(stream: BinaryIO, out: BinaryIO | None, hashing: _Hashing, max_size: int | None) -> None:
    """Stream ``stream`` into ``out`` (if any), hashing; stop reading at ``max_size + 1`` bytes."""
    while True:
        want = CHUNK if max_size is None else min(CHUNK, max_size + 1 - hashing.size)
        chunk = stream.read(want)
        if not chunk:
            return
        hashing.update(chunk)
        if out is not None:
            out.write(chunk)
        if max_size is not None and hashing.size > max_size:
            raise SizeLimitExceeded(max_size)


def digests_of(stream: BinaryIO) -> BlobRef:
    """SHA-256, SM3 and size of everything left in ``stream`` (constant memory)."""
    hashing = _Hashing()
    _copy(stream, None, hashing, None)
    return hashing.ref()


# -- the port ------------------------------------------------------------------------------------------------------
class StagedBlob(Protocol):
    ref: BlobRef

    def open(self) -> BinaryIO:
        """The staged bytes, readable and seekable (for sniffing and scanning). Close it after use."""
        ...

    def commit(self) -> BlobRef:
        """Make the blob visible at its address (atomically); if it is already there, drop the copy."""
        ...

    def discard(self) -> None:
        """Forget the staged bytes (safe to call more than once, and after commit)."""
        ...


class BlobStore(Protocol):
    def stage(self, stream: BinaryIO, *, max_size: int | None = None) -> StagedBlob:
        """Copy ``stream`` aside in chunks, hashing it; :class:`SizeLimitExceeded` beyond ``max_size``."""
        ...

    def put(self, stream: BinaryIO, *, max_size: int | None = None) -> BlobRef:
        """``stage`` + ``commit``."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The blob's bytes as a readable stream; :class:`BlobNotFound` if there is none."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int:
        """The stored size in bytes; :class:`BlobNotFound` if there is none."""
        ...

    def touched_at(self, sha256: str) -> datetime | None:
        """When the blob was last written or deduplicated onto (``None`` if it does not exist)."""
        ...

    def delete(self, sha256: str, *, unless_touched_after: datetime | None = None) -> bool:
        """Remove a blob (sweep and retention jobs only). With ``unless_touched_after``, keep it if a writer
        touched it after that moment; the check and the removal are atomic with respect to ``commit``."""
        ...

    def iter_digests(self, shard: str = "") -> Iterator[str]:
        """Addresses of the stored blobs (only those starting with ``shard``, when given)."""
        ...

    def sweep_temporaries(self, older_than: datetime) -> int:
        """Remove temporary files left by interrupted writes before ``older_than``; how many."""
        ...


def put(store: BlobStore, stream: BinaryIO, *, max_size: int | None = None) -> BlobRef:
    staged = store.stage(stream, max_size=max_size)
    try:
        return staged.commit()
    finally:
        staged.discard()


# -- local file system ---------------------------------------------------------------------------------------------
def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _timestamp(moment: datetime) -> float:
    return moment.timestamp()


class _LocalStaged:
    def __init__(self, store: LocalFilesystemBlobStore, path: Path, ref: BlobRef):
        self._store = store
        self._path: Path | None = path
        self.ref = ref

    def open(self) -> BinaryIO:
        if self._path is None:
            return self._store.open(self.ref.sha256)
        return open(self._path, "rb")

    def commit(self) -> BlobRef:
        if self._path is None:
            return self.ref
        self._store._commit(self._path, self.ref)
        self._path = None
        return self.ref

    def discard(self) -> None:
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()
            self._path = None


class LocalFilesystemBlobStore:
    """Blobs as read-only files ``<root>/ab/cd/<sha256>`` (the first two pairs of hex digits shard the tree).

    Writes go to ``<root>/tmp/`` (same file system, so the final ``rename`` is atomic), are fsynced, and
    renamed into place; the directory is fsynced after the rename. A lock file ``<root>/.lock`` orders
    ``commit`` (shared) against ``delete`` (exclusive) so the sweep never removes a blob a writer has just
    deduplicated onto. Modification times are set from the platform clock.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self.root = Path(root) if root is not None else Path(settings.DATA_DIR) / "blobs"
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True, mode=0o750)
        self._lockfile = self.root / ".lock"

    def __repr__(self) -> str:
        return f"LocalFilesystemBlobStore({str(self.root)!r})"

    def path(self, sha256: str) -> Path:
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    @contextlib.contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        fd = os.open(self._lockfile, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def stage(self, stream: BinaryIO, *, max_size: int | None = None) -> _LocalStaged:
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="put-", suffix=".part")
        path = Path(name)
        try:
            hashing = _Hashing()
            with os.fdopen(fd, "wb") as out:
                _copy(stream, out, hashing, max_size)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            raise
        return _LocalStaged(self, path, hashing.ref())

    def put(self, stream: BinaryIO, *, max_size: int | None = None) -> BlobRef:
        return put(self, stream, max_size=max_size)

    def _commit(self, staged: Path, ref: BlobRef) -> None:
        target = self.path(ref.sha256)
        stamp = _timestamp(now())
        with self._locked(exclusive=False):
            if target.exists():
                staged.unlink()
                os.utime(target, (stamp, stamp))  # a fresh writer: keeps the sweep off it
                return
            for directory in (target.parent.parent, target.parent):
                if not directory.exists():
                    directory.mkdir(mode=0o750, exist_ok=True)
                    _fsync_dir(directory.parent)
            staged.chmod(0o440)
            os.utime(staged, (stamp, stamp))
            os.replace(staged, target)
            _fsync_dir(target.parent)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def touched_at(self, sha256: str) -> datetime | None:
        try:
            return datetime.fromtimestamp(self.path(sha256).stat().st_mtime, UTC)
        except FileNotFoundError:
            return None

    def delete(self, sha256: str, *, unless_touched_after: datetime | None = None) -> bool:
        path = self.path(sha256)
        with self._locked(exclusive=True):
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:
                return False
            if unless_touched_after is not None and mtime > _timestamp(unless_touched_after):
                return False
            path.unlink()
            _fsync_dir(path.parent)
            return True

    def iter_digests(self, shard: str = "") -> Iterator[str]:
        for first in sorted(self._hex_dirs(self.root)):
            if not first.name.startswith(shard[:2]):
                continue
            for second in sorted(self._hex_dirs(first)):
                if not (first.name + second.name).startswith(shard[:4]):
                    continue
                for entry in sorted(second.iterdir()):
                    if SHA256_HEX.match(entry.name) and entry.name.startswith(shard):
                        yield entry.name

    @staticmethod
    def _hex_dirs(parent: Path) -> list[Path]:
        try:
            return [p for p in parent.iterdir() if len(p.name) == 2 and p.is_dir() and _is_hex(p.name)]
        except FileNotFoundError:
            return []

    def sweep_temporaries(self, older_than: datetime) -> int:
        removed = 0
        cutoff = _timestamp(older_than)
        for entry in self.tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


# -- in memory (tests, demos) -----------------------------------------------------------------------------------------
class _MemoryStaged:
    def __init__(self, store: InMemoryBlobStore, data: bytes, ref: BlobRef):
        self._store = store
        self._data: bytes | None = data
        self.ref = ref

    def open(self) -> BinaryIO:
        return io.BytesIO(self._data if self._data is not None else self._store._blobs[self.ref.sha256][0])

    def commit(self) -> BlobRef:
        if self._data is not None:
            self._store._commit(self._data, self.ref)
            self._data = None
        return self.ref

    def discard(self) -> None:
        self._data = None


class InMemoryBlobStore:
    """The same contract in a dict (for tests and throw-away demos; holds everything in memory)."""

    def __init__(self) -> None:
        self._blobs: dict[str, tuple[bytes, datetime]] = {}
        self._lock = threading.Lock()

    def stage(self, stream: BinaryIO, *, max_size: int | None = None) -> _MemoryStaged:
        buffer = io.BytesIO()
        hashing = _Hashing()
        _copy(stream, buffer, hashing, max_size)
        return _MemoryStaged(self, buffer.getvalue(), hashing.ref())

    def put(self, stream: BinaryIO, *, max_size: int | None = None) -> BlobRef:
        return put(self, stream, max_size=max_size)

    def _commit(self, data: bytes, ref: BlobRef) -> None:
        with self._lock:
            existing = self._blobs.get(ref.sha256)
            self._blobs[ref.sha256] = (existing[0] if existing else data, now())

    def open(self, sha256: str) -> BinaryIO:
        with self._lock:
            found = self._blobs.get(check_digest(sha256))
        if found is None:
            raise BlobNotFound(sha256)
        return io.BytesIO(found[0])

    def exists(self, sha256: str) -> bool:
        return check_digest(sha256) in self._blobs

    def size(self, sha256: str) -> int:
        found = self._blobs.get(check_digest(sha256))
        if found is None:
            raise BlobNotFound(sha256)
        return len(found[0])

    def touched_at(self, sha256: str) -> datetime | None:
        found = self._blobs.get(check_digest(sha256))
        return found[1] if found else None

    def delete(self, sha256: str, *, unless_touched_after: datetime | None = None) -> bool:
        with self._lock:
            found = self._blobs.get(check_digest(sha256))
            if found is None or (unless_touched_after is not None and found[1] > unless_touched_after):
                return False
            del self._blobs[sha256]
            return True

    def iter_digests(self, shard: str = "") -> Iterator[str]:
        with self._lock:
            names = sorted(self._blobs)
        return iter([n for n in names if n.startswith(shard)])

    def sweep_temporaries(self, older_than: datetime) -> int:
        return 0  # staging lives in the staged object only

    def corrupt(self, sha256: str, data: bytes) -> None:
        """Test helper: replace a blob's bytes (simulates bit rot)."""
        with self._lock:
            self._blobs[sha256] = (data, self._blobs[sha256][1])


# -- S3-compatible object storage (interface only) ---------------------------------------------------------------
class S3BlobStore:
    """An S3-compatible adapter: the contract it will keep, not yet an implementation.

    Intended mapping (for whoever implements it against a real endpoint and tests it there):

    - address ``<prefix>ab/cd/<sha256>`` in ``bucket``; SM3 and size as object metadata
      (``x-amz-meta-sm3``); server-side versioning off, object lock (WORM, compliance mode) on for archives;
    - ``stage``: hash while uploading to ``<prefix>tmp/<uuid>`` (multipart, 8 MiB parts, constant memory),
      abort the multipart upload on error or beyond ``max_size``;
    - ``commit``: ``HEAD`` the address; if absent, server-side ``CopyObject`` tmp → address (with
      ``x-amz-checksum-sha256``), then delete tmp; if present, delete tmp and refresh a ``touched`` tag;
    - ``delete``: compare the ``touched`` tag with ``unless_touched_after`` (conditional request) before
      ``DeleteObject``; ``sweep_temporaries``: a lifecycle rule expiring ``<prefix>tmp/`` after a day.

    Selecting it without the optional client (``boto3``) is a configuration error; selecting it with the client
    is refused as well until the methods are written, so no deployment believes its files are stored.
    """

    def __init__(self, bucket: str = "", prefix: str = "blobs/", endpoint_url: str | None = None, **_: Any):
        if importlib.util.find_spec("boto3") is None:
            raise ImproperlyConfigured(
                "YIWANG_STORAGE selects S3BlobStore, but the optional S3 client (boto3) is not installed"
            )
        raise ImproperlyConfigured(
            "S3BlobStore is an interface only in this release; use LocalFilesystemBlobStore (see docs/storage.md)"
        )

    def _unwritten(self) -> NotImplementedError:
        return NotImplementedError("S3BlobStore is an interface only; see its docstring for the intended mapping")

    def stage(self, stream: BinaryIO, *, max_size: int | None = None) -> StagedBlob:
        raise self._unwritten()

    def put(self, stream: BinaryIO, *, max_size: int | None = None) -> BlobRef:
        raise self._unwritten()

    def open(self, sha256: str) -> BinaryIO:
        raise self._unwritten()

    def exists(self, sha256: str) -> bool:
        raise self._unwritten()

    def size(self, sha256: str) -> int:
        raise self._unwritten()

    def touched_at(self, sha256: str) -> datetime | None:
        raise self._unwritten()

    def delete(self, sha256: str, *, unless_touched_after: datetime | None = None) -> bool:
        raise self._unwritten()

    def iter_digests(self, shard: str = "") -> Iterator[str]:
        raise self._unwritten()

    def sweep_temporaries(self, older_than: datetime) -> int:
        raise self._unwritten()


# -- which store ------------------------------------------------------------------------------------------------
_instances: dict[tuple[str, str], BlobStore] = {}
_instances_lock = threading.Lock()
_override = threading.local()


def get_blob_store() -> BlobStore:
    """The store chosen by ``settings.YIWANG_STORAGE`` (one instance per configuration)."""
    override = getattr(_override, "store", None)
    if override is not None:
        return override
    conf = storage_settings()
    key = (conf.backend, repr(sorted(conf.options.items())))
    with _instances_lock:
        store = _instances.get(key)
        if store is None:
            store = import_string(conf.backend)(**conf.options)
            _instances[key] = store
    return store


@contextlib.contextmanager
def use_blob_store(store: BlobStore) -> Iterator[BlobStore]:
    """Use ``store`` in this thread (tests)."""
    previous = getattr(_override, "store", None)
    _override.store = store
    try:
        yield store
    finally:
        _override.store = previous


# -- integrity ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BlobCheck:
    sha256: str
    status: str  # "ok" | "missing" | "corrupted"
    actual_sha256: str = ""
    actual_sm3: str = ""
    actual_size: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def verify_blob(
    sha256: str, *, sm3: str | None = None, size: int | None = None, store: BlobStore | None = None
) -> BlobCheck:
    """Re-read a blob and recompute its digests; compare them with its address (and the recorded SM3/size)."""
    store = store or get_blob_store()
    try:
        stream = store.open(sha256)
    except BlobNotFound:
        return BlobCheck(sha256, "missing")
    with stream:
        actual = digests_of(stream)
    good = actual.sha256 == sha256 and (sm3 is None or actual.sm3 == sm3) and (size is None or actual.size == size)
    return BlobCheck(sha256, "ok" if good else "corrupted", actual.sha256, actual.sm3, actual.size)
