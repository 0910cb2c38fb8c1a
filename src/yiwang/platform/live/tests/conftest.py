"""Fixtures of the live tests: a live app on the memory broadcaster, a Redis server when one is reachable."""

from __future__ import annotations

import os

import pytest

from yiwang.platform.live import broadcast, config
from yiwang.platform.live.testing import in_thread as in_thread  # re-exported for the tests here


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis: needs a Redis server (YIWANG_TEST_REDIS_URL, default local 6379)")


@pytest.fixture(autouse=True)
def _fresh_live_settings():
    config.reset()
    broadcast.reset()
    yield
    config.reset()
    broadcast.reset()


@pytest.fixture
def memory_broadcaster(settings) -> broadcast.MemoryBroadcaster:
    settings.YIWANG_LIVE = {**getattr(settings, "YIWANG_LIVE", {}), "BROADCASTER": "memory"}
    config.reset()
    broadcast.reset()
    chosen = broadcast.get_broadcaster()
    assert isinstance(chosen, broadcast.MemoryBroadcaster)
    return chosen


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("YIWANG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:
        pytest.skip(f"needs a Redis server at {url} (YIWANG_TEST_REDIS_URL)")
    return url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
