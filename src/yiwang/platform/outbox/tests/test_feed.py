"""The feed: contiguous numbers in commit order, paging with a cursor, type filters, redaction by role."""

from __future__ import annotations

import pytest

from yiwang.platform.audit import chain
from yiwang.platform.outbox import feed
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.outbox.models import OutboxEvent, OutboxHead
from yiwang.platform.testing import TOUCHED, do_touch_thing

pytestmark = pytest.mark.django_db

OTHER = "test.thing_noted.v1"


@pytest.fixture
def ten(clock, system, base) -> int:
    """Ten events: things 1..8, every third one also noted (an event of another type). Returns the feed head
    before them (the test database's reference data is on the feed too)."""
    for n in range(1, 8):
        do_touch_thing(
            actor=system,
            n=n,
            inside=(lambda act, n=n: act.emit(OTHER, ("test.thing", n), {"noted": n})) if n % 3 == 0 else None,
        )
    # seqs: 1 t1, 2 t2, 3 t3, 4 n3, 5 t4, 6 t5, 7 t6, 8 n6, 9 t7
    do_touch_thing(actor=system, n=8, visibility=Visibility.RESTRICTED)  # seq 10
    return base.feed


def test_reading_pages_with_a_cursor_sees_every_event_once_in_order(ten):
    seen, after = [], ten
    for _ in range(10):
        page = feed.read(after, 3)
        seen += [e.seq - ten for e in page.events]
        assert page.last_seq == ten + 10
        after = page.next_after
        if not page.has_more:
            break
    assert seen == list(range(1, 11))
    assert after == ten + 10


def _seqs(page, f: int) -> list[int]:
    return [e.seq - f for e in page.events]


def test_page_fields(ten):
    f = ten
    page = feed.read(f, 4)
    assert (_seqs(page, f), page.next_after - f, page.has_more) == ([1, 2, 3, 4], 4, True)
    page = feed.read(f + 8, 2)
    assert (_seqs(page, f), page.next_after - f, page.has_more) == ([9, 10], 10, False)
    page = feed.read(f + 10, 5)
    assert (page.events, page.next_after - f, page.has_more) == ([], 10, False)
    page = feed.read(f + 15, 5)  # a cursor past the head (another database?) stays where it is
    assert (page.events, page.next_after - f, page.has_more, page.last_seq - f) == ([], 15, False, 10)


def test_limits_are_bounded(ten):
    assert len(feed.read(ten, 0).events) == 1
    assert len(feed.read(-5, feed.MAX_PAGE + 50).events) == min(ten + 10, feed.MAX_PAGE)
    assert feed.read(-5, 1).after == 0


def test_a_type_filter_pages_only_matching_events_and_skips_to_the_head(ten):
    f = ten
    page = feed.read(f, 1, [OTHER])
    assert (_seqs(page, f), page.next_after - f, page.has_more) == ([4], 4, True)
    page = feed.read(page.next_after, 1, [OTHER])
    # the last matching event: nothing more matches up to the head, so the cursor jumps to the head
    assert (_seqs(page, f), page.next_after - f, page.has_more) == ([8], 10, False)
    page = feed.read(f, 5, [OTHER])
    assert (_seqs(page, f), page.next_after - f, page.has_more) == ([4, 8], 10, False)
    page = feed.read(f, 2, [OTHER])  # exactly a full page and nothing after it
    assert (_seqs(page, f), page.next_after - f, page.has_more) == ([4, 8], 10, False)
    page = feed.read(f, 100, ["test.nothing_happened.v1"])
    assert (page.events, page.next_after - f, page.has_more) == ([], 10, False)
    page = feed.read(f, 100, [OTHER, TOUCHED])
    assert _seqs(page, f) == list(range(1, 11))


def test_an_empty_feed(db):
    OutboxEvent.objects.all().delete()  # (rolled back after the test)
    OutboxHead.objects.all().delete()
    page = feed.read(0, 10)
    assert (page.events, page.next_after, page.last_seq, page.has_more) == ([], 0, 0, False)
    assert feed.last_seq() == 0
    assert feed.stored_count() == 0


# -- the API ---------------------------------------------------------------------------------------------------
def test_api_pages_through_the_feed(ten, api, token_actors):
    f = ten
    body = api.get("/feed", {"after": f, "limit": 4}).json()
    assert [e["seq"] - f for e in body["events"]] == [1, 2, 3, 4]
    assert (body["after"], body["next_after"], body["last_seq"], body["has_more"]) == (f, f + 4, f + 10, True)
    body = api.get("/feed", {"after": body["next_after"], "limit": 100}).json()
    assert [e["seq"] - f for e in body["events"]] == list(range(5, 11))
    assert (body["next_after"], body["has_more"]) == (f + 10, False)
    first = api.get("/feed", {"after": f, "limit": 1}).json()["events"][0]
    assert first == {
        "seq": f + 1,
        "type": TOUCHED,
        "occurred_at": "2026-03-02T01:00:00Z",
        "object_type": "test.thing",
        "object_id": "1",
        "visibility": "public",
        "redacted": False,
        "data": {"n": 1, "i": 0},
        "actor": None,
        "witness_seq": first["witness_seq"],
    }
    assert first["witness_seq"] == chain.head()[0] - 7  # the first of the eight things


def test_api_type_filter_is_repeatable(ten, client, token_actors):
    f = ten
    body = client.get(f"/api/v1/feed?type={OTHER}&limit=1&after={f}").json()
    assert [e["seq"] - f for e in body["events"]] == [4]
    assert body["has_more"]
    body = client.get(f"/api/v1/feed?type={OTHER}&type={TOUCHED}&after={f + 7}").json()
    assert [e["seq"] - f for e in body["events"]] == [8, 9, 10]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": -1}, "after"),
        ({"limit": 0}, "limit"),
        ({"limit": feed.MAX_PAGE + 1}, "limit"),
        ({"after": "x"}, "after"),
    ],
)
def test_api_refuses_bad_paging(api, token_actors, params, field):
    response = api.get("/feed", params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "request.invalid"
    assert [e["field"] for e in body["details"]["errors"]] == [field]


@pytest.mark.parametrize("token", [None, "public:alice", "entity:bob"])
def test_restricted_events_are_redacted_for_the_public_but_keep_their_place(ten, api, token_actors, token):
    events = api.with_token(token).get("/feed", {"after": ten + 8}).json()["events"]
    assert [e["seq"] - ten for e in events] == [9, 10]
    restricted = events[1]
    assert restricted["visibility"] == "restricted"
    assert restricted["redacted"] is True
    assert restricted["data"] is None
    assert restricted["actor"] is None
    assert (restricted["type"], restricted["object_id"]) == (TOUCHED, "8")
    assert events[0]["redacted"] is False
    assert events[0]["data"] == {"n": 7, "i": 0}


@pytest.mark.parametrize("token", ["staff:s", "regulator:r", "auditor:a", "subplatform:p"])
def test_privileged_readers_see_restricted_data_and_the_actor(ten, api, token_actors, token):
    events = api.with_token(token).get("/feed", {"after": ten + 8}).json()["events"]
    assert events[1]["redacted"] is False
    assert events[1]["data"] == {"n": 8, "i": 0}
    assert events[1]["actor"] == "system:test"
    assert events[0]["actor"] == "system:test"


def test_a_bad_token_is_refused_not_downgraded_to_anonymous(ten, api, token_actors):
    response = api.with_token("nonsense").get("/feed")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_token"
