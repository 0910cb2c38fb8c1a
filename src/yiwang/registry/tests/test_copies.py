"""Registrations of other hubs held here (一地注册、区域通用): the federation stores a peer hub's registration of
an organisation as a read-only copy; newer versions replace it; nothing here edits it; a second registration of
the same code is refused; personal data never leaves the home hub."""

from __future__ import annotations

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.registry import actions, queries
from yiwang.registry.tests import support

pytestmark = pytest.mark.django_db

HOME = "12320000MB0000000A"  # 江苏 hub's platform code
SUZHOU = "91320505MA1ABC1232"
PLATFORM = Actor.system("federation")


def copy_data(**overrides) -> dict:
    data = {
        "kind": "legal_person",
        "uscc": SUZHOU,
        "status": "active",
        "name": "苏州示范路桥建设有限公司",
        "legal_rep_name": "周强",
        "region_code": "320505",
        "address": "苏州市虎丘区示范路 8 号",
        "registered_capital_fen": 500_000_000,
        "established_on": "2015-04-01",
        "enterprise_nature": "",
        "business_scope": "市政公用工程施工。",
        "roles": ["bidder"],
    }
    data.update(overrides)
    return data


def _code(call) -> str:
    with pytest.raises(YiwangError) as info:
        call()
    return info.value.code


def test_a_peer_registration_is_stored_as_a_read_only_copy(clock):
    entity = actions.do_store_entity_copy(actor=PLATFORM, home_hub=HOME, data=copy_data())
    assert entity.verified_source == "hub:" + HOME
    assert queries.home_hub_of(entity.pk) == HOME
    ref = queries.find_entity_by_uscc(SUZHOU)
    assert ref is not None
    assert ref.id == entity.pk
    assert ref.roles == ("bidder",)
    assert ref.is_active
    [entry] = support.witness_entries("registry.store_entity_copy")
    assert HOME in entry.payload_text
    [event] = support.events("registry.entity_copy_stored.v1")
    assert event.data["uscc"] == SUZHOU
    # a copy is not passed on to further hubs
    assert queries.entity_registration_snapshot(entity.pk) is None


def test_newer_versions_replace_the_copy_and_the_same_data_changes_nothing(clock):
    entity = actions.do_store_entity_copy(actor=PLATFORM, home_hub=HOME, data=copy_data())
    before = support.counts()
    same = actions.do_store_entity_copy(actor=PLATFORM, home_hub=HOME, data=copy_data())
    assert same.version == entity.version == 1
    assert support.counts() == before
    changed = actions.do_store_entity_copy(
        actor=PLATFORM, home_hub=HOME, data=copy_data(name="苏州示范路桥集团有限公司", roles=["bidder", "supplier"])
    )
    assert changed.pk == entity.pk
    assert changed.version == 2
    assert queries.get_entity_ref(entity.pk).roles == ("bidder", "supplier")
    fields = {c.field for c in queries.list_entity_changes_for(PLATFORM, entity.pk)}
    assert {"registration", "name", "roles"} <= fields
    cancelled = actions.do_store_entity_copy(actor=PLATFORM, home_hub=HOME, data=copy_data(status="cancelled"))
    assert cancelled.status == "cancelled"
    assert cancelled.version == 3


def test_a_copy_is_never_edited_here(clock):
    entity = actions.do_store_entity_copy(actor=PLATFORM, home_hub=HOME, data=copy_data())
    before = support.counts()
    assert (
        _code(
            lambda: actions.do_update_entity(
                actor=support.admin_of(entity.pk), entity_id=entity.pk, changes={"name": "改名"}, expected_version=None
            )
        )
        == "registry.entity_is_copy"
    )
    assert (
        _code(
            lambda: actions.do_change_entity_status(
                actor=Actor.system("test"),
                entity_id=entity.pk,
                status="suspended",
                reason="测试",
                expected_version=None,
            )
        )
        == "registry.entity_is_copy"
    )
    assert (
        _code(
            lambda: actions.do_close_basic_account(
                actor=Actor.system("test"), entity_id=entity.pk, expected_version=None
            )
        )
        == "registry.entity_is_copy"
    )
    # registering the same organisation again here is refused: it is registered already (on its home hub)
    assert (
        _code(lambda: actions.do_register_entity(actor=support.person(5), data=support.full_org_data(uscc=SUZHOU)))
        == "registry.duplicate"
    )
    assert support.counts() == before


def test_a_local_registration_stands_against_a_peer_copy(clock, register):
    local = register()
    before = support.counts()
    kept = actions.do_store_entity_copy(
        actor=PLATFORM, home_hub=HOME, data=copy_data(uscc=local.uscc, name="别的名称", region_code="310115")
    )
    assert kept.pk == local.pk
    assert kept.name == local.name
    assert queries.home_hub_of(local.pk) is None
    assert support.counts() == before
    snapshot = queries.entity_registration_snapshot(local.pk)
    assert snapshot["uscc"] == local.uscc
    assert snapshot["home_entity_id"] == local.pk
    assert "contact_phone" not in snapshot
    assert "legal_rep_id_number" not in snapshot


@pytest.mark.parametrize(
    ("actor", "data", "code"),
    [
        (support.person(7), copy_data(), "registry.forbidden"),
        (PLATFORM, copy_data(kind="natural_person"), "registry.copy_invalid"),
        (PLATFORM, copy_data(uscc="91320505MA1ABC1233"), "registry.copy_invalid"),
        (PLATFORM, copy_data(status="sleeping"), "registry.copy_invalid"),
        (PLATFORM, copy_data(roles="bidder"), "registry.copy_invalid"),
        (PLATFORM, copy_data(name=""), "registry.required"),
    ],
)
def test_bad_copies_are_refused_and_leave_nothing(clock, actor, data, code):
    before = support.counts()
    assert _code(lambda: actions.do_store_entity_copy(actor=actor, home_hub=HOME, data=data)) == code
    assert support.counts() == before


def test_natural_persons_never_leave_their_home_hub(clock, register):
    person = register(support.person_data())
    assert queries.entity_registration_snapshot(person.pk) is None
