"""Fixtures of the auction tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel.actors import Actor
from yiwang.platform.api import auth
from yiwang.platform.commands import engine as commands
from yiwang.trading.auction.tests import support


@pytest.fixture(autouse=True)
def _fresh_engine_cache() -> Iterator[None]:
    """The command log caches engine states per process: a rolled-back test database must not see them."""
    commands.clear_cache()
    yield
    commands.clear_cache()


@pytest.fixture
def test_actors(settings) -> Iterator[dict[str, Actor]]:
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.trading.auction.tests.support.TestActors"
    auth.resolver.cache_clear()
    support.ACTORS.clear()
    yield support.ACTORS
    support.ACTORS.clear()
    auth.resolver.cache_clear()


@pytest.fixture
def sealed_world(db, clock, system, settings, tmp_path, monkeypatch):
    """一次报价 / 权重报价: the bid box's world (accounts, entities with bound SM2 certificates, staff, custodians),
    fast password hashing, the platform's receipt key and a private blob directory."""
    from django.apps import apps

    from yiwang.platform import keys as platform_keys
    from yiwang.services.bidbox.tests import support as bidbox_support

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not apps.is_installed("yiwang.platform.keys"):  # pragma: no cover - installed in the site's settings
        from yiwang.services.bidbox.tests import platform_keys_standin as standin

        for name in ("platform_signer", "platform_key_id", "platform_public_key", "verify_platform_signature"):
            monkeypatch.setattr(platform_keys, name, getattr(standin, name))
    settings.YIWANG_STORAGE = {
        **getattr(settings, "YIWANG_STORAGE", {}),
        "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
        "OPTIONS": {"root": tmp_path / "blobs"},
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
    }
    world = bidbox_support.make_world(system)
    world.ceremony = bidbox_support.ceremony(world.staff_actor)  # type: ignore[attr-defined]
    return world


@pytest.fixture
def staff() -> Actor:
    return support.staff()


@pytest.fixture
def people(db, clock) -> list[support.Person]:
    return [support.make_bidder(i) for i in range(3)]
