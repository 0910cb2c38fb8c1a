"""Fixtures of the tender tests: a world of people and entities with bound certificates, an opening key, a
private blob directory per test, fast password hashing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


@pytest.fixture(autouse=True)
def _recorded_evaluation(settings) -> None:
    """The tests drive the evaluation's result through the tender side unless a test asks for the app."""
    settings.YIWANG_TENDER = {**getattr(settings, "YIWANG_TENDER", {}), "EVALUATION_GATEWAY": "recorded"}


@pytest.fixture
def world(db, clock, system):
    from yiwang.trading.tender.tests import support

    return support.make_world(system)


@pytest.fixture
def sanctions(settings) -> Iterator[dict]:
    """A fake credit gate (supervision's adapter later): ``sanctions[entity_id] = [Sanction, …]``."""
    from yiwang.trading.tender.tests import support

    settings.YIWANG_TENDER = {
        **settings.YIWANG_TENDER,
        "CREDIT_GATE": "yiwang.trading.tender.tests.support.FakeCreditGate",
    }
    support.FakeCreditGate.sanctions.clear()
    yield support.FakeCreditGate.sanctions
    support.FakeCreditGate.sanctions.clear()
