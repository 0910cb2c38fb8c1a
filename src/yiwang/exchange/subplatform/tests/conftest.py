"""Fixtures of the exchange tests: a staff administrator, a trusted test PKI, the 工程建设 sub-platform of the
平台目录 registered with its client and certificate, and a signing client for it."""

from __future__ import annotations

import pytest

from yiwang.exchange.subplatform.tests.support import Hub, make_hub


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Argon2 would make every account and client secret cost half a second; these tests are not about it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hub(db, clock, system, api) -> Hub:
    return make_hub(system, api, clock)
