"""The key ceremony (public key stored, shares shown once and never stored) and opening boxes (rules from the
catalogue, limits, permissions)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command

from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor
from yiwang.kernel.crypto import envelope
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import get_clock
from yiwang.services.bidbox import actions, queries
from yiwang.services.bidbox.models import Box, OpeningKey
from yiwang.services.bidbox.tests import support
from yiwang.services.bidbox.tests.support import DEADLINE, counts, witnessed

pytestmark = pytest.mark.django_db


def _all_stored_text() -> str:
    parts = []
    for row in support.every_stored_row():
        parts += [json.dumps(v, ensure_ascii=False, default=str) for v in row if not isinstance(v, bytes | memoryview)]
        parts += [bytes(v).decode("latin-1") for v in row if isinstance(v, bytes | memoryview)]
    return "\n".join(parts)


def test_the_ceremony_stores_the_public_key_and_names_only(world):
    result = support.ceremony(world.staff_actor, k=3, n=5)
    key = result.key
    assert (key.threshold, key.total, key.algorithm) == (3, 5, "sm2")
    assert [c["name"] for c in key.custodians] == [f"保管人{i}" for i in range(1, 6)]
    assert [s.index for s in result.shares] == [1, 2, 3, 4, 5]
    public = actions.opening_key_of(key)
    assert public.key_id == key.key_id
    # any 3 shares give the private half of exactly this key
    recovered = envelope.recover_opening_key([s.text for s in result.shares[1:4]], public_key=public)
    assert recovered.public_key == public
    # no share is stored anywhere, nor the private key
    stored = _all_stored_text()
    for share in result.shares:
        assert share.text not in stored
        assert share.text.replace("-", "") not in stored
    assert recovered.to_pem().decode() not in stored
    [entry] = witnessed("bidbox.run_key_ceremony")
    assert entry["key_id"] == key.key_id
    assert entry["custodians"] == [f"保管人{i}" for i in range(1, 6)]
    assert "YWSS1" not in json.dumps(entry)
    assert "YWSS1" not in repr(result.shares)


@pytest.mark.parametrize(
    ("k", "names"),
    [(1, ["甲", "乙"]), (4, ["甲", "乙", "丙"]), (2, ["甲", "甲"]), (2, ["甲", ""])],
)
def test_ceremony_parameters(world, k, names):
    before = counts()
    with pytest.raises(YiwangError) as caught:
        actions.do_run_key_ceremony(actor=world.staff_actor, threshold=k, custodians=names)
    assert caught.value.code == "bidbox.invalid"
    assert counts() == before


def test_only_staff_run_a_ceremony(world):
    with pytest.raises(YiwangError) as caught:
        actions.do_run_key_ceremony(actor=world.a.actor, threshold=2, custodians=["甲", "乙"])
    assert caught.value.code == "bidbox.forbidden"


def test_the_ceremony_command_prints_each_share_once(world):
    out = io.StringIO()
    call_command(
        "bidbox", "ceremony", "--k", "2", "--n", "3", "--custodian", "张三", "--custodian", "李四", "--custodian",
        "王五", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    shares = [line.split(": ", 1)[1] for line in text.splitlines() if line.strip().startswith("[")]
    assert len(shares) == 3
    assert all(s.startswith("YWSS1-") for s in shares)
    key = OpeningKey.objects.get()
    assert "张三" in text
    assert key.key_id in text
    assert envelope.recover_opening_key(shares[:2], public_key=actions.opening_key_of(key)).public_key.key_id == (
        key.key_id
    )
    assert shares[0] not in _all_stored_text()


def test_opening_a_box_snapshots_the_rules(world, ceremony):
    box = support.open_box(world.staff_actor, ceremony.key)
    assert box.opening_at == box.deadline == DEADLINE  # 开标时间 = 投标截止时间 (the catalogue's 0 minutes)
    assert box.opening_rule["rule_id"] == "tender.opening_at_deadline"
    assert box.min_bidders == 3
    assert box.min_bidders_rule["rule_id"] == "tender.min_bidders"
    assert (box.project_code, box.section_code) == ("tender.section", "S-001")
    assert box.decryption_window_seconds == 30 * 60
    assert box.status == "accepting"
    [entry] = witnessed("bidbox.open_box")
    assert entry["opening_key_id"] == ceremony.key.key_id
    view = queries.get_box_for(Actor.anonymous(), box.pk)
    assert view.opening_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert queries.get_box_of_owner(("tender.section", "S-001")).id == box.pk


def test_the_decryption_window_defaults_to_the_setting(world, ceremony, settings):
    settings.YIWANG_BIDBOX = {"DECRYPTION_WINDOW_MINUTES": 45}
    box = actions.do_open_box(
        actor=world.staff_actor,
        owner=("auction.lot", "L-9"),
        title="一次报价",
        deadline=DEADLINE,
        opening_key=ceremony.key.key_id,
        min_bidders_rule="judicial.min_bidders",
        project_code="P-9",
        section_code="L-9",
    )
    assert box.decryption_window_seconds == 45 * 60
    assert box.min_bidders == 1


def _open(world, ceremony, **changes):
    values = {
        "actor": world.staff_actor,
        "owner": ("tender.section", "X"),
        "title": "标段",
        "deadline": DEADLINE,
        "opening_key": ceremony.key.pk,
        "min_bidders_rule": "tender.min_bidders",
        **changes,
    }
    return actions.do_open_box(**values)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"deadline": DEADLINE - timedelta(days=10)}, "bidbox.deadline_in_past"),
        ({"min_bidders_rule": "tender.no_such_rule"}, "catalog.rule_not_listed"),
        ({"opening_rule": "tender.min_bidders"}, "bidbox.invalid"),  # a count is not a duration
        ({"opening_key": "sm3:" + "0" * 64}, "bidbox.key_not_found"),
        ({"max_bytes": 10}, "bidbox.invalid"),
        ({"max_bytes": 1 << 40}, "bidbox.invalid"),
        ({"decryption_window": timedelta(seconds=5)}, "bidbox.invalid"),
        ({"title": " "}, "bidbox.invalid"),
        ({"owner": ("Tender", "X")}, "storage.owner_invalid"),
        ({"project_code": "a\nb"}, "bidbox.invalid"),
        ({"fallback_policy": "whenever"}, "bidbox.invalid"),
    ],
)
def test_box_parameters_are_checked(world, ceremony, changes, code):
    before = counts()
    with pytest.raises(YiwangError) as caught:
        _open(world, ceremony, **changes)
    assert caught.value.code == code
    assert counts() == before


def test_who_opens_boxes(world, ceremony):
    with pytest.raises(YiwangError) as caught:
        _open(world, ceremony, actor=actor_for_account(world.outsider))
    assert caught.value.code == "bidbox.forbidden"
    # the owning context, having checked its own rules, may open one for its object
    box = _open(world, ceremony, actor=world.a.actor, owner_checked=True)
    assert box.created_by == world.a.actor.ref
    with pytest.raises(YiwangError) as caught:
        _open(world, ceremony)
    assert caught.value.code == "bidbox.owner_taken"
    assert Box.objects.count() == 1


def test_box_list_shows_counts_to_staff_only(world, box):
    support.submit(box, world.a, support.seal_for(box, world.a, support.bid_document(1)))
    assert [b.submission_count for b in queries.list_boxes_for(world.staff_actor)] == [1]
    assert [b.submission_count for b in queries.list_boxes_for(world.a.actor)] == [None]
    get_clock().set(DEADLINE)
    assert queries.get_box_for(world.a.actor, box.pk).accepting is False
