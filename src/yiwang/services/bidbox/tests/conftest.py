"""Fixtures of the bid-box tests: a world of people, entities and bound certificates; an opening-key ceremony;
a box; a private blob directory per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps

from yiwang.platform import keys as platform_keys
from yiwang.services.bidbox.tests import support


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """These tests are about envelopes; Argon2 would make every account cost half a second."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _platform_keys(monkeypatch) -> None:
    """The receipt key comes from ``yiwang.platform.keys``; while that app is not installed in this settings
    module, a stand-in with the same functions signs the receipts."""
    if apps.is_installed("yiwang.platform.keys"):
        return
    from yiwang.services.bidbox.tests import platform_keys_standin as standin

    for name in ("platform_signer", "platform_key_id", "platform_public_key", "verify_platform_signature"):
        monkeypatch.setattr(platform_keys, name, getattr(standin, name))


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
def world(db, clock, system) -> support.World:
    return support.make_world(system)


@pytest.fixture
def staff(world):
    return world.staff_actor


@pytest.fixture
def ceremony(world) -> support.actions.Ceremony:
    return support.ceremony(world.staff_actor)


@pytest.fixture
def box(world, ceremony):
    """A tender-section box: deadline in two days, opening at the deadline (catalogue), at least 3 bidders."""
    return support.open_box(world.staff_actor, ceremony.key)


@pytest.fixture
def box1(world, ceremony):
    """A box that opens with a single bidder (the judicial-auction minimum of 1)."""
    return support.open_box(world.staff_actor, ceremony.key, ref="S-ONE", min_rule="judicial.min_bidders")
