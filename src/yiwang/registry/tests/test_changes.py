"""Changing a registration: versions (If-Match), the timeline, permissions, status, and pulling from the source."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from yiwang.registry import actions, queries
from yiwang.registry.domain.official import OfficialRecord
from yiwang.registry.tests.support import (
    UNKNOWN,
    admin_of,
    counts,
    events,
    full_org_data,
    person,
    regulator,
    staff,
    user_of,
    witness_entries,
)


def update(entity, actor, expected=1, **changes):
    return actions.do_update_entity(actor=actor, entity_id=entity.pk, changes=changes, expected_version=expected)


def refused(call, *args, **kwargs):
    before = counts()
    with pytest.raises(Exception) as info:  # noqa: PT011 (the caller checks the exact class and code)
        call(*args, **kwargs)
    assert counts() == before, "a refused change left rows, witness entries or events behind"
    return info.value


def test_update_writes_the_timeline_and_bumps_the_version(entity):
    admin = admin_of(entity.pk)
    updated = update(
        entity, admin, contact_phone="021-58881234", roles=["bidder", "supplier"], address="上海市浦东新区张江路 88 号"
    )
    assert updated.version == 2
    assert updated.contact_phone == "021-58881234"
    assert queries.get_entity_ref(entity.pk).roles == ("bidder", "supplier")
    changes = queries.list_entity_changes_for(admin, entity.pk)
    assert {(c.version, c.field) for c in changes} == {
        (2, "contact_phone"),
        (2, "roles"),
        (2, "address"),
        (1, "registration"),
    }
    phone = next(c for c in changes if c.field == "contact_phone")
    assert (phone.old_value, phone.new_value) == ("13812345678", "021-58881234")
    assert phone.actor_ref == "account:100"
    assert phone.action == "registry.update_entity"
    [entry] = witness_entries("registry.update_entity")
    assert set(json.loads(entry.payload_text)["changes"]) == {"contact_phone", "roles", "address"}
    [event] = events("registry.entity_updated.v1")
    assert event.data["version"] == 2
    assert sorted(event.data["fields"]) == ["address", "contact_phone", "roles"]


def test_stale_version_is_refused_with_412(entity):
    admin = admin_of(entity.pk)
    update(entity, admin, contact_name="李四")
    error = refused(update, entity, admin, 1, contact_name="王五")
    assert isinstance(error, PreconditionFailed)
    assert error.code == "precondition.failed"
    assert error.details["current_etag"] == '"2"'


def test_star_overrides_the_version_check(entity):
    assert update(entity, admin_of(entity.pk), None, contact_name="李四").version == 2


def test_a_change_that_changes_nothing_is_not_an_action(entity):
    before = counts()
    same = update(entity, admin_of(entity.pk), contact_phone=" 13812345678 ", roles=["bidder"])
    assert same.version == 1
    assert counts() == before


def test_invalid_changes_have_their_codes(entity):
    admin = admin_of(entity.pk)
    assert refused(update, entity, admin, contact_phone="110").code == "registry.phone_format"
    assert refused(update, entity, admin, region_code="310103").code == "catalog.region_not_valid"
    assert refused(update, entity, admin, uscc=UNKNOWN).code == "registry.immutable_field"
    assert refused(update, entity, admin, status="cancelled").code == "registry.unknown_field"
    assert refused(update, entity, admin, roles=["x"]).code == "catalog.code_unknown"


def test_changes_contradicting_the_authoritative_record_are_refused(entity):
    error = refused(update, entity, admin_of(entity.pk), name="上海浦江新名称有限公司")
    assert error.code == "registry.authoritative_mismatch"


def test_only_changed_fields_are_checked_again(register, clock):
    """A district merged after registration does not block other edits (only what differs is re-checked)."""
    clock.set(datetime(2010, 1, 4, 2, 0, tzinfo=UTC))
    entity = register(full_org_data(region_code="310103", established_on="2005-05-06"))  # 卢湾区, valid in 2010
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    updated = update(entity, admin_of(entity.pk), region_code="310103", contact_name="新联系人")
    assert updated.contact_name == "新联系人"
    assert queries.get_entity_ref(entity.pk).region_name == "卢湾区"
    assert refused(update, entity, admin_of(entity.pk), 2, region_code="310101", contact_phone="1").code == (
        "registry.phone_format"
    )


def test_identity_numbers_are_masked_in_the_timeline(register):
    entity = register(full_org_data())
    admin = admin_of(entity.pk)
    update(entity, admin, legal_rep_id_number="310115198506154568")
    change = next(c for c in queries.list_entity_changes_for(admin, entity.pk) if c.field == "legal_rep_id_number")
    assert change.old_value == "310***********1230"
    assert change.new_value == "310***********4568"
    assert "310115198506154568" not in witness_entries("registry.update_entity")[0].payload_text
    assert queries.get_entity_for(admin, entity.pk).legal_rep_id_number == "310115198506154568"


@pytest.mark.parametrize(
    "make_actor",
    [
        lambda e: user_of(e.pk),  # a user of the entity who is not its administrator
        lambda e: admin_of(e.pk + 1000),  # the administrator of another entity
        lambda e: staff("310112"),  # staff over another district
        lambda e: regulator("310000"),  # regulators watch, they do not edit registrations
        lambda e: person(9),
        lambda e: Actor.anonymous(),
    ],
)
def test_who_may_not_change_a_registration(entity, make_actor):
    error = refused(update, entity, make_actor(entity), contact_name="某人")
    assert isinstance(error, PermissionDenied)
    assert error.code == "registry.forbidden"


def test_staff_over_the_region_may_change_it(entity):
    assert update(entity, staff("310115"), contact_name="中心代改").contact_name == "中心代改"


def test_unknown_entity(entity):
    error = refused(update, replace_pk(entity, 99999), admin_of(99999), contact_name="x")
    assert isinstance(error, NotFound)
    assert error.code == "registry.entity_not_found"


def replace_pk(entity, pk):
    entity.pk = pk
    return entity


def test_timeline_is_private(entity):
    with pytest.raises(PermissionDenied):
        queries.list_entity_changes_for(person(9), entity.pk)
    assert queries.list_entity_changes_for(regulator(), entity.pk)[0].field == "registration"
    assert queries.list_entity_changes_for(user_of(entity.pk), entity.pk)


# -- status -----------------------------------------------------------------------------------------------------


def status(entity, actor, to, expected=None, reason="依法处理"):
    return actions.do_change_entity_status(
        actor=actor, entity_id=entity.pk, status=to, reason=reason, expected_version=expected
    )


def test_staff_suspend_reinstate_and_cancel(entity):
    centre = staff("310000")
    assert status(entity, centre, "suspended", 1).status == "suspended"
    assert status(entity, centre, "active", 2).status == "active"
    cancelled = status(entity, centre, "cancelled", 3)
    assert cancelled.status == "cancelled"
    assert cancelled.version == 4
    assert [e.data["status"] for e in events("registry.entity_status_changed.v1")] == [
        "suspended",
        "active",
        "cancelled",
    ]
    assert refused(status, entity, centre, "active").code == "registry.status_transition"
    error = refused(update, entity, centre, None, contact_name="x")
    assert isinstance(error, Conflict)
    assert error.code == "registry.entity_cancelled"
    assert queries.search_entities_for(person(9), "浦江").total == 0
    assert queries.search_entities_for(person(9), "浦江", include_inactive=True).total == 1


def test_status_needs_staff_and_a_reason(entity):
    assert refused(status, entity, admin_of(entity.pk), "cancelled").code == "registry.forbidden"
    assert refused(status, entity, staff(), "cancelled", reason=" ").code == "registry.required"
    assert refused(status, entity, staff(), "gone").code == "registry.status"


# -- pulling the official data again (零提供) ---------------------------------------------------------------------


def test_sync_pulls_what_the_register_now_says(register, static_source):
    entity = register(full_org_data())
    official = OfficialRecord(
        uscc=UNKNOWN,
        name="上海松江示范机电安装股份有限公司",
        kind="legal_person",
        legal_rep_name="吴刚",
        region_code="310117",
        established_on=date(2020, 5, 6),
        registered_capital_fen=200_000_000,
        source="测试来源",
    )
    static_source[UNKNOWN] = official
    admin = admin_of(entity.pk)
    synced = actions.do_sync_entity_from_source(actor=admin, entity_id=entity.pk)
    assert synced.name == official.name
    assert synced.registered_capital_fen == 200_000_000
    assert synced.verified_source == "测试来源"
    fields = {c.field for c in queries.list_entity_changes_for(admin, entity.pk) if c.version == synced.version}
    assert fields == {"name", "registered_capital_fen"}
    assert queries.search_entities_for(admin, "股份").items[0].id == entity.pk
    # and from now on, edits must agree with it
    assert refused(update, entity, admin, None, name="旧名称有限公司").code == "registry.authoritative_mismatch"
    static_source[UNKNOWN] = replace(official, status="cancelled")
    assert actions.do_sync_entity_from_source(actor=admin, entity_id=entity.pk).status == "cancelled"


def test_sync_without_a_record(register, static_source):
    entity = register(full_org_data())
    error = refused(actions.do_sync_entity_from_source, actor=admin_of(entity.pk), entity_id=entity.pk)
    assert isinstance(error, NotFound)
    assert error.code == "registry.no_authoritative_record"


def test_invalid_input_is_invalid_input(entity):
    error = refused(update, entity, admin_of(entity.pk), contact_email="bad")
    assert isinstance(error, InvalidInput)
