"""Registering a market entity: one registration, validated, checked against the authoritative source, and
nothing left behind when it is refused."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, YiwangError
from yiwang.kernel.ids import USCC_ALPHABET, make_uscc
from yiwang.registry import actions, queries
from yiwang.registry.tests.support import (
    CANCELLED,
    MINHANG,
    PUJIANG,
    SHENCHENG,
    SOLE_TRADER,
    UNKNOWN,
    counts,
    events,
    full_org_data,
    org_data,
    person_data,
    witness_entries,
)


def refused(register, data, actor: Actor | None = None) -> YiwangError:
    """Register ``data``, expect a refusal, and check that nothing at all was written."""
    before = counts()
    with pytest.raises(YiwangError) as info:
        register(data, actor)
    assert counts() == before, "a refused registration left rows, witness entries or events behind"
    return info.value


# -- valid registrations ------------------------------------------------------------------------------------------


def test_registration_prefilled_from_the_authoritative_source(register, registrant):
    before = counts()
    entity = register(org_data())
    assert entity.name == "上海浦江数智建设工程有限公司"
    assert entity.legal_rep_name == "王建国"
    assert entity.region_code == "310115"
    assert entity.established_on == date(2015, 6, 18)
    assert entity.registered_capital_fen == 5_000_000_000
    assert entity.enterprise_nature == "5"
    assert entity.verified_source.startswith("演示权威来源")
    assert entity.verified_at is not None
    assert entity.version == 1
    assert entity.registered_by == "account:1"
    after = counts()
    assert after["entities"] == before["entities"] + 1
    assert after["witness"] == before["witness"] + 1
    assert after["events"] == before["events"] + 1
    [entry] = witness_entries("registry.register_entity")
    assert entry.object_type == "registry.entity"
    assert entry.object_id == str(entity.pk)
    assert json.loads(entry.payload_text)["uscc"] == PUJIANG
    [event] = events("registry.entity_registered.v1")
    assert event.data == {
        "kind": "legal_person",
        "uscc": PUJIANG,
        "name": entity.name,
        "region_code": "310115",
        "roles": ["bidder"],
    }
    assert event.visibility == "public"
    assert event.witness_seq == entry.seq


def test_registration_typed_in_full_when_the_source_knows_nothing(register):
    entity = register(full_org_data())
    assert entity.uscc == UNKNOWN
    assert entity.verified_source == ""
    assert entity.contact_phone == "021-57123456"
    assert entity.legal_rep_id_type == "resident_id"
    assert queries.get_entity_ref(entity.pk).roles == ("bidder", "supplier")


def test_registrar_region_of_the_uscc_is_not_the_seat(register):
    """The USCC's characters 3–8 name the registrar (310000), not the seat (静安 310106)."""
    entity = register(org_data(SHENCHENG, roles=["tender_agency"]))
    assert entity.region_code == "310106"


def test_uscc_with_historical_registrar_region_is_accepted(register):
    """A USCC issued by the 卢湾 registrar (310103, merged in 2011) stays valid: only its format is checked."""
    uscc = make_uscc("9", "1", "310103", "MA1AB2C3")
    entity = register(full_org_data(uscc, region_code="310101"))
    assert entity.uscc == uscc


def test_lower_case_and_spaces_are_normalised(register):
    entity = register(org_data(f"  {MINHANG.lower()} "))
    assert entity.uscc == MINHANG


def test_natural_person(register):
    entity = register(person_data())
    assert entity.kind == "natural_person"
    assert entity.uscc is None
    assert entity.id_number == "310112199001011233"
    [event] = events("registry.entity_registered.v1")
    assert event.visibility == "restricted"  # a person's registration is personal data
    payload = json.loads(witness_entries("registry.register_entity")[0].payload_text)
    assert payload["id_number"] == "310***********1233"


def test_natural_person_with_a_passport(register):
    entity = register(person_data(id_document_type="passport", id_number="e12345678", region_code="310000"))
    assert (entity.id_document_type, entity.id_number) == ("passport", "E12345678")


def test_legacy_15_digit_number_is_converted(register):
    entity = register(person_data(id_number="310112900101123"))
    assert entity.id_number == "310112199001011233"


def test_sole_trader(register):
    entity = register(org_data(SOLE_TRADER, kind="individual_business"))
    assert entity.kind == "individual_business"


def test_system_may_register(register):
    entity = register(full_org_data(), Actor.system("seed"))
    assert entity.registered_by == "system:seed"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    authority=st.sampled_from([("9", "1"), ("1", "2"), ("5", "1"), ("Y", "1"), ("N", "2")]),
    region=st.sampled_from(["310000", "310103", "110105", "320500", "999999"]),
    body=st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8),
)
def test_every_generated_valid_uscc_is_accepted(db, clock, authority, region, body):
    uscc = make_uscc(authority[0], authority[1], region, body)
    clean = actions.prepare_registration(full_org_data(uscc))
    assert clean["uscc"] == uscc


# -- invalid input, each with its own code ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"uscc": "91310115MA1FL2X37G"}, "uscc.check_digit", "uscc"),
        ({"uscc": "91310115MA1FL2X3OF"}, "uscc.charset", "uscc"),
        ({"uscc": "9131011SMA1FL2X37F"}, "uscc.charset", "uscc"),
        ({"uscc": "91310115MA1FL2X37"}, "uscc.length", "uscc"),
        ({"uscc": ""}, "uscc.empty", "uscc"),
        ({"kind": "company"}, "registry.kind", "kind"),
        ({"kind": "individual_business"}, "registry.kind_mismatch", "kind"),
        ({"contact_phone": "1381234567"}, "registry.phone_format", "contact_phone"),
        ({"contact_email": "liumin@"}, "registry.email_format", "contact_email"),
        ({"roles": ["bidder", "emperor"]}, "catalog.code_unknown", "roles"),
        ({"roles": []}, "registry.required", "roles"),
        ({"contact_name": ""}, "registry.required", "contact_name"),
        ({"legal_rep_id_number": "310115198506154567"}, "ric.check_digit", "legal_rep_id_number"),
        ({"legal_rep_id_number": "310115198502304568"}, "ric.birth_date", "legal_rep_id_number"),
        (
            {"legal_rep_id_type": "licence", "legal_rep_id_number": "E1234567"},
            "catalog.code_unknown",
            "legal_rep_id_type",
        ),
        ({"address": "上" * 301}, "registry.too_long", "address"),
    ],
)
def test_invalid_organisation_data(register, overrides, code, field):
    error = refused(register, org_data(**overrides))
    assert error.code == code
    assert error.details.get("field") == field
    assert error.message_zh
    assert error.message_en


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"region_code": "310199"}, "catalog.region_unknown", "region_code"),
        ({"region_code": "310103"}, "catalog.region_not_valid", "region_code"),  # 卢湾区, merged in 2011
        ({"region_code": "31011"}, "region.format", "region_code"),
        ({"region_code": ""}, "region.format", "region_code"),
        ({"enterprise_nature": "8"}, "catalog.code_unknown", "enterprise_nature"),
        ({"registered_capital_fen": -1}, "registry.capital_negative", "registered_capital_fen"),
        ({"established_on": "2026-03-03"}, "registry.date_in_future", "established_on"),
        ({"established_on": "2026-02-30"}, "registry.date_format", "established_on"),
        ({"name": "  "}, "registry.required", "name"),
        ({"legal_rep_name": ""}, "registry.required", "legal_rep_name"),
        ({"id_number": "310112199001011233"}, "registry.kind_key", "id_number"),
    ],
)
def test_invalid_typed_in_data(register, overrides, code, field):
    error = refused(register, full_org_data(**overrides))
    assert error.code == code
    assert error.details.get("field") == field


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"id_number": "310112199001011234"}, "ric.check_digit", "id_number"),
        ({"id_number": "310112199002301235"}, "ric.birth_date", "id_number"),
        ({"id_number": "310112202701011230"}, "ric.birth_date", "id_number"),  # born after today
        ({"id_number": "991121199001011233"}, "ric.province", "id_number"),
        ({"id_number": ""}, "ric.empty", "id_number"),
        ({"id_document_type": "licence"}, "catalog.code_unknown", "id_document_type"),
        ({"uscc": PUJIANG}, "registry.kind_key", "uscc"),
        ({"id_document_type": "passport", "id_number": "护照"}, "registry.id_number_format", "id_number"),
    ],
)
def test_invalid_natural_person_data(register, overrides, code, field):
    error = refused(register, person_data(**overrides))
    assert error.code == code
    assert error.details.get("field") == field


def test_several_errors_are_reported_together(register):
    error = refused(register, full_org_data(contact_phone="12", contact_email="x", region_code="310199"))
    fields = {e["field"]: e["code"] for e in error.details["errors"]}
    assert fields == {
        "region_code": "catalog.region_unknown",
        "contact_phone": "registry.phone_format",
        "contact_email": "registry.email_format",
    }


# -- the authoritative source (零提供) ------------------------------------------------------------------------------


def test_data_contradicting_the_authoritative_record_is_refused(register):
    error = refused(register, org_data(name="上海浦江建设有限公司", legal_rep_name="王建军", region_code="310115"))
    assert isinstance(error, InvalidInput)
    assert error.code == "registry.authoritative_mismatch"
    assert [d["field"] for d in error.details["differences"]] == ["name", "legal_rep_name"]
    assert error.details["differences"][0]["official"] == "上海浦江数智建设工程有限公司"


def test_matching_data_is_accepted_even_with_other_parentheses(register):
    entity = register(org_data(name="上海浦江数智建设工程有限公司", registered_capital_fen=5_000_000_000))
    assert entity.verified_source


def test_officially_cancelled_organisation_cannot_register(register):
    assert refused(register, org_data(CANCELLED)).code == "registry.officially_cancelled"


def test_kind_must_agree_with_the_record(register):
    error = refused(register, org_data(kind="other_org"))
    assert error.code == "registry.authoritative_mismatch"
    assert error.details["differences"][0]["field"] == "kind"


# -- one registration ------------------------------------------------------------------------------------------


def test_duplicate_registration_is_refused_with_the_existing_id(register, entity):
    error = refused(register, org_data(contact_name="另一个人"))
    assert isinstance(error, Conflict)
    assert error.code == "registry.duplicate"
    assert error.details["existing_id"] == entity.pk
    assert error.status == 409


def test_duplicate_natural_person_is_refused(register):
    first = register(person_data())
    error = refused(register, person_data(id_number="310112900101123", name="赵小明"))
    assert error.code == "registry.duplicate"
    assert error.details["existing_id"] == first.pk


def test_same_number_under_another_document_type_is_another_person(register):
    register(person_data(id_document_type="passport", id_number="E12345678"))
    other = register(person_data(id_document_type="hk_macao_permit", id_number="E12345678"))
    assert other.id_document_type == "hk_macao_permit"


def test_anonymous_visitors_cannot_register(register):
    error = refused(register, org_data(), Actor.anonymous())
    assert isinstance(error, NotAuthenticated)
    assert error.code == "auth.required"


def test_other_contexts_find_the_one_registration(entity):
    ref = queries.find_entity_by_uscc(PUJIANG.lower())
    assert ref is not None
    assert ref.id == entity.pk
    assert ref.region_name == "浦东新区"
    assert ref.role_labels == ("投标人",)
    assert queries.get_entity_refs([entity.pk]) == {entity.pk: ref}
    assert queries.find_entity_by_uscc(UNKNOWN) is None


def test_natural_persons_are_not_listed_to_the_public(register):
    from yiwang.registry.tests.support import admin_of, person, staff

    entity = register(person_data())
    assert queries.search_entities_for(person(9), "赵小明").total == 0
    assert queries.search_entities_for(Actor.anonymous(), "").total == 0
    assert queries.search_entities_for(staff(), "赵小明").total == 1
    assert queries.search_entities_for(admin_of(entity.pk), "赵小明").total == 1
    public = queries.get_entity_for(person(9), entity.pk)
    assert public.id_number is None
    assert public.contact_phone is None
    assert public.address is None
