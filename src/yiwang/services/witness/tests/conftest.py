"""Fixtures of the on-site record tests: a private blob directory per test, actors, a page/API resolver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.services.witness.tests import support


@pytest.fixture(autouse=True)
def blob_root(settings, tmp_path: Path) -> Path:
    root = tmp_path / "blobs"
    settings.YIWANG_STORAGE = {
        **getattr(settings, "YIWANG_STORAGE", {}),
        "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
        "OPTIONS": {"root": root},
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
    }
    return root


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.services.witness.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture
def staff() -> Actor:
    return support.staff()
