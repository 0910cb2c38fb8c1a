"""Two people register the same organisation at the same moment: exactly one registration exists afterwards.

On PostgreSQL both pass the duplicate check, both insert, and the unique constraint refuses the second, which
is turned into the same ``registry.duplicate`` as the check gives. On SQLite ``BEGIN IMMEDIATE`` serialises the
two, so the second sees the first in its check.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection

from yiwang.kernel.clock import ManualClock
from yiwang.kernel.errors import Conflict
from yiwang.platform.clock import use_clock
from yiwang.registry import actions
from yiwang.registry.models import Entity
from yiwang.registry.tests.support import PUJIANG, counts, org_data, person

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_registrations_of_one_uscc(monkeypatch):
    barrier = threading.Barrier(2, timeout=3)
    original = actions._find_existing
    waited: set[int] = set()
    met: list[bool] = []

    def racing_find(key: Any):
        # Let both transactions pass the check before either inserts (where the database lets them run at once).
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            try:
                barrier.wait()
                met.append(True)
            except threading.BrokenBarrierError:
                pass  # SQLite: the other writer is waiting for our lock, not at the barrier
        return original(key)

    monkeypatch.setattr(actions, "_find_existing", racing_find)
    results: list[Any] = []

    def register(n: int) -> None:
        try:
            with use_clock(ManualClock(T0)):
                results.append(actions.do_register_entity(actor=person(n), data=org_data(contact_name=f"联系人{n}")))
        except Exception as exc:
            results.append(exc)
        finally:
            connection.close()

    before = counts()
    threads = [threading.Thread(target=register, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    winners = [r for r in results if isinstance(r, Entity)]
    losers = [r for r in results if not isinstance(r, Entity)]
    assert len(winners) == 1, results
    assert len(losers) == 1
    assert isinstance(losers[0], Conflict), repr(losers[0])
    assert losers[0].code == "registry.duplicate"
    assert losers[0].details["existing_id"] == winners[0].pk
    assert Entity.objects.filter(uscc=PUJIANG).count() == 1
    if connection.vendor == "postgresql":
        assert met == [True, True], "both transactions passed the check: the unique constraint decided"
    after = counts()
    assert after["witness"] == before["witness"] + 1
    assert after["events"] == before["events"] + 1
    assert after["changes"] == before["changes"] + 1
