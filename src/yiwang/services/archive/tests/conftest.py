"""Fixtures of the archive tests: a private blob directory, test actors, a project to archive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.services.archive.tests import support


@pytest.fixture(autouse=True)
def blob_root(settings, tmp_path: Path) -> Path:
    """Every test gets its own blob directory (the document store follows ``YIWANG_STORAGE``)."""
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
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.services.archive.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture
def staff() -> Actor:
    return support.staff()


@pytest.fixture
def project(db, clock, staff) -> support.Project:
    return support.make_project(staff)
