"""Fixtures shared by every test in the repository (contexts' own tests and the cross-cutting ones)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from yiwang.kernel.actors import Actor
from yiwang.kernel.clock import ManualClock
from yiwang.platform.clock import use_clock

# Property tests judge behaviour, not speed: on a shared two-core CI machine a slow example is not a failure
# (speed is measured by bench/). Every other hypothesis default stays.
hypothesis_settings.register_profile("yiwang", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("yiwang")

# 2026-03-02 09:00 Shanghai, a Monday and an ordinary working day.
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _database_group(item: pytest.Item) -> int:
    """pytest-django's order, which must hold: tests in a rolled-back transaction (0) before transactional ones (1),
    which flush every table, then tests without the database (2)."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    if (
        marker
        and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or marker.args[:1] == (True,))
    ) or {
        "transactional_db",
        "live_server",
    } & fixtures:
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Within each of pytest-django's groups (it sorts first), the long tests first (browser journeys and tests
    marked ``slow``): pytest-xdist hands tests out in this order, so a minute-long journey no longer starts last
    and keeps one worker busy while the other has nothing left to do. Tests marked ``postgres`` need the
    production profile: on SQLite they are skipped, visibly (``-ra``)."""
    from django.conf import settings

    items.sort(
        key=lambda item: (
            _database_group(item),
            not (item.get_closest_marker("e2e") or item.get_closest_marker("slow")),
        )
    )

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (production profile): `make test-pg` runs it")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


def _load_reference_data() -> None:
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.platform.reference import ensure_all

    ensure_reference_data()  # the catalogue first: the other loaders refer to its regions and code tables
    ensure_all()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After the test database is created, load the shipped reference data once (regions, holidays, rules…).
    Tests in a transaction roll back to this state; transactional tests reload it (see below)."""
    with django_db_blocker.unblock():
        _load_reference_data()


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """A transactional test starts after the previous one flushed every table: load the reference data again."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("_django_db_helper" if marker else "transactional_db")
        _load_reference_data()


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    """A manual clock used by every action in this test."""
    manual = ManualClock(T0)
    with use_clock(manual):
        yield manual


@pytest.fixture
def system() -> Actor:
    return Actor.system("test")


class ApiClient:
    """A thin JSON client for ``/api/v1`` with optional bearer token and headers."""

    def __init__(self, client: Client, token: str | None = None):
        self.client = client
        self.token = token

    def with_token(self, token: str | None) -> ApiClient:
        return ApiClient(self.client, token)

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if self.token:
            out.setdefault("Authorization", f"Bearer {self.token}")
        return out

    def get(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str] | None):
        send = getattr(self.client, method)
        data = json.dumps(body, ensure_ascii=False) if body is not None else ""
        return send(f"/api/v1{path}", data=data, content_type="application/json", headers=self._headers(headers))

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self._send("post", path, body, headers)

    def patch(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self._send("patch", path, body, headers)

    def put(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self._send("put", path, body, headers)

    def delete(self, path: str, headers: dict[str, str] | None = None):
        return self.client.delete(f"/api/v1{path}", headers=self._headers(headers))


@pytest.fixture
def api(client: Client) -> ApiClient:
    return ApiClient(client)
