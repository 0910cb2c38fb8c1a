"""``Idempotency-Key``: a replay returns the first result and creates nothing; failures are not stored."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from yiwang.platform.api.idempotency import RETENTION, purge_expired
from yiwang.platform.api.models import IdempotencyRecord
from yiwang.platform.audit import chain
from yiwang.platform.clock import due_jobs
from yiwang.platform.testing import log_state

pytestmark = [pytest.mark.urls("yiwang.platform.api.tests.urls"), pytest.mark.django_db]

ALICE = "public:alice"
BOB = "public:bob"


@pytest.fixture
def post(client, token_actors, clock):
    def send(body: dict, key: str | None = None, token: str | None = ALICE, c: Client | None = None):
        headers = {}
        if key is not None:
            headers["Idempotency-Key"] = key
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return (c or client).post(
            "/api/v1/things", json.dumps(body, ensure_ascii=False), content_type="application/json", headers=headers
        )

    return send


def test_a_replay_returns_the_first_response_and_creates_nothing(post):
    before = log_state()
    first = post({"n": 1, "name": "甲"}, key="k-1")
    assert first.status_code == 201
    assert not first.has_header("Idempotent-Replayed")
    after_first = log_state()
    assert after_first.groups == before.groups + 1
    assert after_first.witness_head[0] == before.witness_head[0] + 1
    assert after_first.feed_head == before.feed_head + 1

    again = post({"n": 1, "name": "甲"}, key="k-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content  # the stored body, with the first call's serial number
    for header in ("Content-Type", "Location", "ETag"):
        assert again[header] == first[header]
    assert log_state() == after_first
    assert IdempotencyRecord.objects.count() == 1


def test_without_a_key_every_post_creates(post):
    a = post({"n": 1, "name": "甲"})
    b = post({"n": 1, "name": "甲"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["serial"] != b.json()["serial"]
    assert Group.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize(
    "second",
    [
        {"body": {"n": 1, "name": "乙"}},  # another body
        {"body": {"n": 2, "name": "甲"}},
    ],
)
def test_the_same_key_for_another_request_is_refused(post, second):
    post({"n": 1, "name": "甲"}, key="k-1")
    before = log_state()
    response = post(second["body"], key="k-1")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "idempotency.key_reused"
    assert body["details"] == {"key": "k-1"}
    assert log_state() == before


@pytest.mark.parametrize("key", ["", "has space", "中文", "x" * 201, "tab\there"])
def test_an_invalid_key_is_refused_before_anything_happens(post, key):
    before = log_state()
    response = post({"n": 1, "name": "甲"}, key=key)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency.key_invalid"
    assert log_state() == before
    assert IdempotencyRecord.objects.count() == 0


def test_the_longest_key_is_accepted(post):
    assert post({"n": 1, "name": "甲"}, key="~" * 200).status_code == 201


def test_a_failed_request_is_not_stored_and_a_corrected_retry_succeeds(post):
    before = log_state()
    refused = post({"n": 1, "name": "甲", "fail": True}, key="k-1")
    assert refused.status_code == 409
    assert refused.json()["code"] == "test.thing_conflict"
    invalid = post({"n": 1, "name": ""}, key="k-1")
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "request.invalid"
    assert log_state() == before
    assert IdempotencyRecord.objects.count() == 0

    fixed = post({"n": 1, "name": "甲"}, key="k-1")
    assert fixed.status_code == 201
    assert not fixed.has_header("Idempotent-Replayed")
    assert Group.objects.count() == 1


def test_an_unauthenticated_request_with_a_key_is_refused_and_not_stored(post):
    response = post({"n": 1, "name": "甲"}, key="k-1", token=None)
    assert response.status_code == 401
    response = post({"n": 1, "name": "甲"}, key="k-1", token="nonsense")
    assert (response.status_code, response.json()["code"]) == (401, "auth.invalid_token")
    assert IdempotencyRecord.objects.count() == 0
    assert Group.objects.count() == 0


def test_keys_are_private_to_each_caller(post, base):
    alice = post({"n": 1, "name": "甲"}, key="shared", token=ALICE)
    bob = post({"n": 1, "name": "甲"}, key="shared", token=BOB)
    assert (alice.status_code, bob.status_code) == (201, 201)
    assert not bob.has_header("Idempotent-Replayed")  # Bob never sees Alice's response
    assert alice.json()["serial"] != bob.json()["serial"]
    assert Group.objects.count() == 2
    assert sorted(IdempotencyRecord.objects.values_list("principal", flat=True)) == ["account:alice", "account:bob"]
    actors = [e.fields.actor_ref for e in base.entries()]
    assert actors == ["account:alice", "account:bob"]


def test_expired_records_are_purged_by_a_registered_clock_job(post, clock):
    post({"n": 1, "name": "甲"}, key="old")
    clock.advance(RETENTION - timedelta(minutes=1))
    post({"n": 2, "name": "乙"}, key="newer")
    assert purge_expired(clock.now()) == 0
    clock.advance(timedelta(minutes=2))
    assert purge_expired(clock.now()) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["newer"]
    # once purged, the old key is free again (a new request, not a replay)
    again = post({"n": 1, "name": "甲"}, key="old")
    assert again.status_code == 201
    assert not again.has_header("Idempotent-Replayed")
    jobs = {job.name: job for job in due_jobs()}
    assert jobs["platform.purge_idempotency_records"].run is purge_expired


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_have_one_effect(post):
    """Both requests start before either has committed; the first pauses inside its action. The second waits
    (advisory lock on PostgreSQL, write lock on SQLite), then answers with the first's stored response."""
    before = log_state()
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def send(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[i] = post({"n": 1, "name": "甲", "pause": 0.3}, key="race", c=Client())
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(r is not None for r in responses)
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].content == responses[1].content
    assert sorted(r.has_header("Idempotent-Replayed") for r in responses) == [False, True]
    after = log_state()
    assert after.groups == before.groups + 1
    assert after.witness_head[0] == before.witness_head[0] + 1
    assert after.feed_head == before.feed_head + 1
    assert chain.verify().ok
    assert IdempotencyRecord.objects.count() == 1
