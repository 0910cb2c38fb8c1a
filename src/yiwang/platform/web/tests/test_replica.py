"""Which reads may go to the streaming replica: anonymous GETs of public paths, outside transactions, never writes."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from yiwang.platform.web import replica

Account = get_user_model()  # any model will do: the router decides by request, not by model


class _User:
    is_authenticated = True


def _served_from(request: HttpRequest) -> str | None:
    seen: list[str | None] = []

    def view(req: HttpRequest) -> HttpResponse:
        seen.append(replica.ReplicaRouter().db_for_read(Account))
        return HttpResponse("ok")

    replica.ReplicaReadsMiddleware(view)(request)
    return seen[0]


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(replica, "has_replica", lambda: True)


def _get(path: str, *, user=None, **extra) -> HttpRequest:
    request = RequestFactory().get(path, **extra)
    request.user = user or AnonymousUser()
    return request


def test_anonymous_reads_of_public_paths_go_to_the_replica(with_replica):
    assert _served_from(_get("/search/?q=道路")) == "replica"
    assert _served_from(_get("/api/v1/feed?after=10")) == "replica"
    assert _served_from(_get("/notices/12/")) == "replica"


@pytest.mark.parametrize(
    "request_",
    [
        lambda: _get("/search/", user=_User()),  # a signed-in person reads their own writes
        lambda: _get("/api/v1/search", HTTP_AUTHORIZATION="Bearer x"),  # an API client likewise
        lambda: _get("/tender/sections/3/"),  # not a published, lag-tolerant page
        lambda: _get("/auction/lots/1/"),
    ],
)
def test_everything_else_reads_the_primary(with_replica, request_):
    assert _served_from(request_()) is None


def test_posts_never_go_to_the_replica(with_replica):
    request = RequestFactory().post("/search/", {"q": "x"})
    request.user = AnonymousUser()
    assert _served_from(request) is None


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_and_writes_stay_on_the_primary(with_replica):
    router = replica.ReplicaRouter()
    token = replica._replica_reads.set(True)
    try:
        assert router.db_for_read(Account) == "replica"
        with transaction.atomic():
            assert router.db_for_read(Account) is None  # part of a unit of work on the primary
        assert router.db_for_write(Account) == "default"
        assert Account.objects.select_for_update().db == "default"
    finally:
        replica._replica_reads.reset(token)
    assert router.db_for_read(Account) is None  # the mark ends with the request


def test_without_a_replica_nothing_changes():
    assert not replica.has_replica()  # the embedded and test profiles have none
    assert _served_from(_get("/search/")) is None
    assert replica.ReplicaRouter().allow_migrate("replica", "identity") is False
