"""Helpers for tests of the platform plumbing (and for anyone who needs a throwaway action).

``do_touch_thing`` is an action on an imaginary ``test.thing``: it needs no model of its own, so the
mechanism (witness chain, feed, rollback, nesting) can be tested and measured without any business context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group
from django.http import HttpRequest

from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import NotAuthenticated
from yiwang.platform.actions import action
from yiwang.platform.audit import chain
from yiwang.platform.outbox import feed
from yiwang.platform.outbox.feed import Visibility

THING = "test.thing"
TOUCHED = "test.thing_touched.v1"


class Boom(Exception):  # a failure on purpose, not an error condition
    """Raised by a test action that fails on purpose."""


def do_touch_thing(
    *,
    actor: Actor,
    n: int,
    events: int = 1,
    fail: bool = False,
    witness: bool = True,
    row: str | None = None,
    visibility: str = Visibility.PUBLIC,
    payload: dict[str, Any] | None = None,
    inside: Any = None,
) -> None:
    """Witness ``("test.thing", n)`` once and emit ``events`` events about it.

    ``row``: also create an auth ``Group`` of that name (a real row that must roll back with the action).
    ``inside(act)``: called in the middle of the block (to nest another action, enqueue a task …).
    ``fail``: raise :class:`Boom` after everything was written, so the whole action must roll back.
    """
    with action(actor, "test.touch_thing") as act:
        if row is not None:
            Group.objects.create(name=row)
        if witness:
            act.witness((THING, n), payload if payload is not None else {"n": n})
        for i in range(events):
            act.emit(TOUCHED, (THING, n), {"n": n, "i": i}, visibility=visibility)
        if inside is not None:
            inside(act)
        if fail:
            raise Boom(f"thing {n} failed on purpose")


@dataclass(frozen=True)
class Base:
    """Where the logs stood when a test began (the reference data, loaded for every test database, is an
    action too): tests look at what came after."""

    witness: int
    feed: int

    def entries(self) -> list[chain.StoredEntry]:
        return chain.entries(self.witness, 100_000)

    def events(self) -> list[Any]:
        return feed.read(self.feed, feed.MAX_PAGE).events


def base() -> Base:
    return Base(witness=chain.head()[0], feed=feed.last_seq())


@dataclass(frozen=True)
class LogState:
    """Everything a failed action must leave untouched."""

    witness_head: tuple[int, str]
    witness_entries: int
    feed_head: int
    feed_events: int
    groups: int


def log_state() -> LogState:
    return LogState(
        witness_head=chain.head(),
        witness_entries=len(chain.entries(0, 100_000)),
        feed_head=feed.last_seq(),
        feed_events=feed.stored_count(),
        groups=Group.objects.count(),
    )


# -- actors for API tests without the identity context (which the platform tier may not import) ----------------
ROLE_TOKENS: dict[str, tuple[Role, ...]] = {
    "public": (),
    "staff": (Role.STAFF,),
    "regulator": (Role.REGULATOR,),
    "auditor": (Role.AUDITOR,),
    "subplatform": (Role.SUBPLATFORM_CLIENT,),
    "entity": (Role.MARKET_ENTITY_USER,),
}


class TokenActors:
    """An actor resolver for tests: bearer token ``<role>:<name>`` is the account ``<name>`` holding
    ``<role>`` (see :data:`ROLE_TOKENS`) over all of Shanghai; anything else is refused; no sessions."""

    def from_bearer(self, request: HttpRequest, token: str) -> Actor:
        role, _, name = token.partition(":")
        if role not in ROLE_TOKENS or not name:
            raise NotAuthenticated("auth.invalid_token", "访问令牌无效", "The access token is invalid")
        grants = tuple(RoleGrant(role=r, region="310000") for r in ROLE_TOKENS[role])
        return Actor(ActorKind.ACCOUNT, name, f"测试账户 {name}", grants)

    def from_session(self, request: HttpRequest) -> Actor:
        return Actor.anonymous()


# -- which database the tests run on --------------------------------------------------------------------------------
def on_postgres() -> bool:
    from django.conf import settings

    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def postgres_only(test: Any = None) -> Any:
    """Marks for a test that needs PostgreSQL: ``@postgres_only`` on a test, or ``pytestmark = postgres_only()``.
    On SQLite it is skipped with a visible reason (``-ra``); ``make test-pg`` runs it."""
    import pytest

    marks = [
        pytest.mark.postgres,
        pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL (production profile): `make test-pg` runs it"),
    ]
    if test is None:
        return marks
    for mark in marks:
        test = mark(test)
    return test
