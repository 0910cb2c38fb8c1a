"""Two sub-platform requests pushing the same new record at the same moment store it once: the second finds
the first's row (after waiting for it on PostgreSQL) and answers ``unchanged``."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from yiwang.exchange.subplatform import actions
from yiwang.exchange.subplatform.models import Record, RecordVersion
from yiwang.exchange.subplatform.tests.support import make_hub, project
from yiwang.identity.auth import ActorResolver
from yiwang.platform.clock import use_clock


@pytest.mark.django_db(transaction=True)
def test_the_same_record_pushed_twice_at_once_is_stored_once(clock, system, api):
    hub = make_hub(system, api, clock)
    actor = ActorResolver().from_bearer(None, hub.works.token)
    outcomes: list[str] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def push(nonce: str) -> None:
        try:
            with use_clock(clock):
                pusher = actions.Pusher(platform=hub.platform, fingerprint="0" * 64, nonce=nonce)
                barrier.wait(timeout=10)
                result = actions.do_push_records(actor=actor, pusher=pusher, items=[("PROJECT", project())])
                outcomes.extend(r.outcome for r in result.results)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=push, args=(f"nonce-concurrent-{i:06d}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    assert sorted(outcomes) == ["created", "unchanged"]
    assert Record.objects.count() == 1
    assert RecordVersion.objects.count() == 1
