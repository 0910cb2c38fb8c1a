"""Fixtures of the OCDS tests: the tender context's world (people, entities, certificates, an opening key), a
private blob directory, fast password hashing, and the OCDS 1.1 schema validators."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path: Path) -> None:
    settings.YIWANG_STORAGE = {
        **getattr(settings, "YIWANG_STORAGE", {}),
        "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
        "OPTIONS": {"root": tmp_path / "blobs"},
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
    }


@pytest.fixture(autouse=True)
def _recorded_evaluation(settings) -> None:
    settings.YIWANG_TENDER = {**getattr(settings, "YIWANG_TENDER", {}), "EVALUATION_GATEWAY": "recorded"}


@pytest.fixture
def world(db, clock, system):
    from yiwang.trading.tender.tests import support

    return support.make_world(system)


@pytest.fixture(scope="session")
def ocds_schema():
    from yiwang.exchange.ocds.tests.validation import Validators

    return Validators()
