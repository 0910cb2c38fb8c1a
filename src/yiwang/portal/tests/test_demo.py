"""``yiwang seed-demo`` loads the demonstration data through actions, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from yiwang.identity import queries as identity
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Role
from yiwang.platform.audit import queries as witness
from yiwang.platform.audit.chain import verify
from yiwang.registry import queries as registry

pytestmark = pytest.mark.django_db


def test_seed_demo_is_witnessed_and_idempotent(clock):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Yiwang-Demo-2026" in out.getvalue()
    admin = identity.find_account("admin")
    assert admin is not None
    assert admin.is_staff
    assert actor_for_account(admin).covers_region("310112", Role.STAFF)
    bidder = actor_for_account(identity.find_account("pujiang"))
    (entity,) = registry.list_entities_of(bidder)
    assert entity.name == "上海浦江数智建设工程有限公司"
    assert bidder.acts_for(entity.id, admin=True)
    head = witness.head_seq()
    assert verify().ok

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "already loaded" in again.getvalue()
    assert witness.head_seq() == head  # nothing new happened
