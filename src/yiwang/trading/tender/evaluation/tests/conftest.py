"""Fixtures of the evaluation tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.services.experts.notify import LoggingNotifier
from yiwang.trading.tender.evaluation.tests import support


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """These tests are about evaluation; Argon2 would make every account cost half a second."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _quiet_notifier() -> Iterator[None]:
    LoggingNotifier.sent.clear()
    yield
    LoggingNotifier.sent.clear()


@pytest.fixture
def world(db, clock, system) -> support.World:
    return support.make_world(system)


@pytest.fixture
def world_rep(db, clock, system) -> support.World:
    return support.make_world(system, representative=True)


@pytest.fixture(autouse=True)
def blob_root(settings, tmp_path):
    """Every test gets its own blob directory (report PDFs, bid documents)."""
    root = tmp_path / "blobs"
    settings.YIWANG_STORAGE = {
        **getattr(settings, "YIWANG_STORAGE", {}),
        "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
        "OPTIONS": {"root": root},
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
    }
    return root
