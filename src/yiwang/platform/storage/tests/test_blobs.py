"""The blob layer: streaming, content addressing, dedup, atomic writes, integrity checks, the orphan sweep."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tracemalloc
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from yiwang.platform.storage.blobs import (
    BlobNotFound,
    InMemoryBlobStore,
    LocalFilesystemBlobStore,
    S3BlobStore,
    SizeLimitExceeded,
    digests_of,
    get_blob_store,
    verify_blob,
)

from .conftest import CountingStream, FailingStream, MiB

# Known answers: SHA-256 (FIPS 180-2 appendix B) and SM3 (GB/T 32905-2016 appendix A).
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM3_ABCD_16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
SHA256_ABCD_16 = hashlib.sha256(b"abcd" * 16).hexdigest()


@pytest.fixture(params=["local", "memory"])
def any_store(request, tmp_path, clock):
    if request.param == "local":
        return LocalFilesystemBlobStore(tmp_path / "blobs")
    return InMemoryBlobStore()


def test_known_digest_vectors(any_store):
    ref = any_store.put(io.BytesIO(b"abc"))
    assert (ref.sha256, ref.sm3, ref.size) == (SHA256_ABC, SM3_ABC, 3)
    ref = any_store.put(io.BytesIO(b"abcd" * 16))
    assert (ref.sha256, ref.sm3) == (SHA256_ABCD_16, SM3_ABCD_16)


def test_streaming_round_trip_of_a_multi_megabyte_file(any_store):
    data = os.urandom(3 * MiB + 12345)  # crosses several 1 MiB chunks and ends mid-chunk
    ref = any_store.put(io.BytesIO(data))
    assert ref.size == len(data)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert any_store.exists(ref.sha256)
    assert any_store.size(ref.sha256) == len(data)
    with any_store.open(ref.sha256) as stream:
        assert stream.read() == data
    assert list(any_store.iter_digests()) == [ref.sha256]


def test_local_layout_is_sharded_and_read_only(tmp_path, clock):
    store = LocalFilesystemBlobStore(tmp_path / "blobs")
    ref = store.put(io.BytesIO(b"abc"))
    path = tmp_path / "blobs" / "ba" / "78" / SHA256_ABC
    assert path.is_file()
    assert store.path(ref.sha256) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o440
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []
    assert store.touched_at(ref.sha256) == clock.now()


def test_large_put_uses_constant_memory(tmp_path, clock):
    """A 64 MiB upload is streamed through 1 MiB buffers: peak Python allocation stays far below its size."""
    store = LocalFilesystemBlobStore(tmp_path / "blobs")

    class Zeros(io.RawIOBase):
        def __init__(self, total: int):
            self.left = total

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            n = min(self.left, size if size > 0 else MiB)
            self.left -= n
            return bytes(n)

    tracemalloc.start()
    try:
        ref = store.put(Zeros(64 * MiB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ref.size == 64 * MiB
    assert peak < 8 * MiB


def test_identical_content_is_stored_once(any_store, clock):
    first = any_store.put(io.BytesIO(b"same bytes"))
    clock.advance(timedelta(hours=1))
    second = any_store.put(io.BytesIO(b"same bytes"))
    assert first == second
    assert list(any_store.iter_digests()) == [first.sha256]
    # a deduplicated write counts as a fresh write (keeps the orphan sweep away from it)
    assert any_store.touched_at(first.sha256) == clock.now()


def test_an_exception_mid_stream_leaves_no_blob_and_no_temporary_file(tmp_path, clock):
    store = LocalFilesystemBlobStore(tmp_path / "blobs")
    with pytest.raises(ConnectionResetError):
        store.put(FailingStream(good=3 * MiB))
    assert list(store.iter_digests()) == []
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_a_discarded_stage_leaves_nothing(any_store):
    staged = any_store.stage(io.BytesIO(b"checked, then refused"))
    with staged.open() as content:
        assert content.read() == b"checked, then refused"
    staged.discard()
    staged.discard()  # idempotent
    assert list(any_store.iter_digests()) == []


def test_reading_stops_at_the_limit_plus_one_byte(any_store):
    source = CountingStream()
    with pytest.raises(SizeLimitExceeded) as caught:
        any_store.stage(source, max_size=2 * MiB + 5)
    assert caught.value.max_size == 2 * MiB + 5
    assert source.read_bytes == 2 * MiB + 6
    assert list(any_store.iter_digests()) == []


def test_exactly_the_limit_is_accepted(any_store):
    ref = any_store.put(io.BytesIO(b"x" * 1000), max_size=1000)
    assert ref.size == 1000


def test_addresses_are_validated(any_store):
    for bad in ("../../etc/passwd", "ABC", SHA256_ABC.upper(), SHA256_ABC[:-1] + "/"):
        with pytest.raises(ValueError, match="64 lower-case hex"):
            any_store.exists(bad)
    with pytest.raises(BlobNotFound):
        any_store.open("0" * 64)
    with pytest.raises(BlobNotFound):
        any_store.size("0" * 64)


def test_verify_blob_detects_missing_and_corrupted_content(tmp_path, clock):
    store = LocalFilesystemBlobStore(tmp_path / "blobs")
    ref = store.put(io.BytesIO(b"abc"))
    assert verify_blob(ref.sha256, sm3=ref.sm3, size=3, store=store).ok
    path = store.path(ref.sha256)
    path.chmod(0o640)
    path.write_bytes(b"abd")
    check = verify_blob(ref.sha256, sm3=ref.sm3, size=3, store=store)
    assert check.status == "corrupted"
    assert check.actual_sha256 == hashlib.sha256(b"abd").hexdigest()
    path.unlink()
    assert verify_blob(ref.sha256, store=store).status == "missing"
    assert digests_of(io.BytesIO(b"abc")).sm3 == SM3_ABC


def test_the_store_follows_settings(blob_root):
    store = get_blob_store()
    assert isinstance(store, LocalFilesystemBlobStore)
    assert store.root == blob_root
    assert get_blob_store() is store


def test_s3_adapter_is_refused_with_a_clear_configuration_error():
    with pytest.raises(ImproperlyConfigured, match=r"boto3|interface only"):
        S3BlobStore(bucket="yiwang")


def test_delete_respects_a_recent_touch(any_store, clock):
    ref = any_store.put(io.BytesIO(b"orphan"))
    assert not any_store.delete(ref.sha256, unless_touched_after=clock.now() - timedelta(seconds=1))
    assert any_store.delete(ref.sha256, unless_touched_after=clock.now())
    assert not any_store.exists(ref.sha256)
    assert not any_store.delete(ref.sha256)
