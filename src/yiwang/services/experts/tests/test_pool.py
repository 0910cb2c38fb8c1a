"""The pool: enrolment and its entry conditions, updates, status changes, declarations, permissions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from yiwang.kernel.ids import make_resident_id
from yiwang.services.experts import actions, queries
from yiwang.services.experts.models import Expert, StatusChange
from yiwang.services.experts.reference import ensure_reference_data
from yiwang.services.experts.tests import support
from yiwang.services.experts.tests.support import counts, enrol, expert_data

pytestmark = pytest.mark.django_db


def test_reference_data_is_loaded_once(db):
    assert queries.list_specialties(level=2)[0].code == "A01"
    assert ensure_reference_data() == 0
    names = queries.specialty_names(["A08", "A080101"])
    assert names == {"A08": "工程施工", "A080101": "房屋建筑工程土建施工"}


def test_enrol_derives_birth_and_gender_and_records_history(clock, staff):
    birth = date(1968, 5, 17)
    expert = enrol(staff, id_number=make_resident_id("310104", birth, 135), name="李建国")
    assert expert.birth_date == birth
    assert expert.gender == "male"
    assert expert.status == "active"
    assert expert.entered_on == date(2026, 3, 2)
    assert list(StatusChange.objects.filter(expert=expert).values_list("action", "to_status")) == [("enrol", "active")]
    view = queries.get_expert_for(staff, expert.pk)
    assert view.age == 57
    assert view.specialties[0].code == "A080101"
    assert view.specialties[0].main


def test_witness_and_feed_never_carry_identity_number_phone_or_name(clock, staff):
    from yiwang.platform.audit import queries as witness

    expert = enrol(staff, name="王秘密", phone="13900001111")
    entry = witness.entries_about(expert)[0]
    assert expert.id_number not in entry.payload_text
    assert "13900001111" not in entry.payload_text
    assert "王秘密" not in entry.payload_text


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"practice_since": "2020-01-01"}, "experts.experience_insufficient"),
        ({"title_level": "intermediate"}, "experts.title_insufficient"),
        ({"birth": date(1950, 1, 1)}, "experts.over_age_limit"),
    ],
)
def test_entry_conditions_come_from_the_rules_catalogue(clock, staff, overrides, code):
    before = counts()
    with pytest.raises(RuleViolation) as exc:
        enrol(staff, **overrides)
    assert exc.value.code == code
    assert exc.value.details.get("rule_id") in (
        None,
        "expert.experience_min",
        "expert.gp_experience_min",
        "expert.gp_age_max",
    )
    assert counts() == before
    assert not Expert.objects.exists()


def test_age_limit_applies_to_gp_experts_only_while_works_has_no_listed_limit(clock, staff):
    old = date(1950, 1, 1)
    works_only = enrol(staff, birth=old, kinds=["works"])
    assert works_only.status == "active"
    with pytest.raises(RuleViolation) as exc:
        enrol(staff, birth=old, kinds=["gp"])
    assert exc.value.details["rule_id"] == "expert.gp_age_max"


def test_equivalent_level_needs_its_grounds(clock, staff):
    with pytest.raises(InvalidInput) as exc:
        enrol(staff, title_level="intermediate", equivalent_level=True)
    assert exc.value.code == "experts.equivalent_note_required"
    expert = enrol(staff, title_level="intermediate", equivalent_level=True, equivalent_note="省级技术能手")
    assert expert.equivalent_level


def test_several_errors_are_listed_at_once(clock, staff):
    with pytest.raises(InvalidInput) as exc:
        actions.do_enrol_expert(
            actor=staff,
            data=expert_data(id_number="31010419700101123", phone="abc", specialties=[{"code": "Z99"}]),
        )
    fields = {e["field"] for e in exc.value.details["errors"]}
    assert {"id_number", "phone", "specialties"} <= fields


def test_duplicate_identity_number_is_refused(clock, staff):
    data = expert_data()
    actions.do_enrol_expert(actor=staff, data=data)
    before = counts()
    with pytest.raises(Conflict) as exc:
        actions.do_enrol_expert(actor=staff, data={**data, "phone": "13911112222"})
    assert exc.value.code == "experts.duplicate_expert"
    assert counts() == before


def test_specialties_must_be_known_third_level_codes_with_a_main_one(clock, staff):
    for specialties, code in [
        ([{"code": "A0801", "main": True}], "experts.specialty_level"),
        ([{"code": "A089999", "main": True}], "experts.specialty_unknown"),
        ([{"code": "A080101"}], "experts.main_specialty_required"),
        ([], "experts.specialties_required"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            enrol(staff, specialties=specialties)
        assert exc.value.code == code


def test_employer_is_linked_to_the_registry_exactly(clock, staff):
    firm = support.make_firm("上海闵行建工集团有限公司")
    expert = enrol(staff, employer_entity_id=firm, employer_name="随便写的名字")
    assert expert.employer_entity_id == firm
    assert expert.employer_name == "上海闵行建工集团有限公司"
    with pytest.raises(NotFound) as exc:
        enrol(staff, employer_entity_id=999_999)
    assert exc.value.code == "experts.entity_unknown"


def test_only_staff_over_the_region_enrol(clock):
    with pytest.raises(PermissionDenied):
        enrol(support.staff("310115"))  # 浦东 staff, 闵行 expert
    with pytest.raises(PermissionDenied):
        enrol(support.regulator())
    assert enrol(support.staff("310112")).pk


def test_update_with_version_and_new_kind_rechecks_entry(clock, staff):
    expert = enrol(staff, kinds=["works"], birth=date(1950, 6, 1))
    updated = actions.do_update_expert(
        actor=staff, expert_id=expert.pk, changes={"phone": "13700000000"}, expected_version=1
    )
    assert updated.version == 2
    with pytest.raises(RuleViolation) as exc:
        actions.do_update_expert(
            actor=staff, expert_id=expert.pk, changes={"kinds": ["works", "gp"]}, expected_version=2
        )
    assert exc.value.code == "experts.over_age_limit"
    from yiwang.kernel.errors import PreconditionFailed

    with pytest.raises(PreconditionFailed):
        actions.do_update_expert(actor=staff, expert_id=expert.pk, changes={"phone": "13700000001"}, expected_version=1)
    with pytest.raises(InvalidInput) as exc2:
        actions.do_update_expert(actor=staff, expert_id=expert.pk, changes={"id_number": "x"}, expected_version=2)
    assert exc2.value.code == "experts.id_number_immutable"


def test_status_changes_follow_the_transitions(clock, staff):
    expert = enrol(staff)
    e = actions.do_change_expert_status(
        actor=staff, expert_id=expert.pk, change="suspend", reason="年度考核不合格", expected_version=1
    )
    assert e.status == "suspended"
    with pytest.raises(Conflict):
        actions.do_change_expert_status(
            actor=staff, expert_id=expert.pk, change="suspend", reason="x", expected_version=None
        )
    e = actions.do_change_expert_status(
        actor=staff, expert_id=expert.pk, change="retire", reason="本人申请退出", expected_version=None
    )
    assert e.status == "retired"
    assert e.exited_on == date(2026, 3, 2)
    assert e.exit_reason == "本人申请退出"
    e = actions.do_change_expert_status(
        actor=staff, expert_id=expert.pk, change="reinstate", reason="重新入库", expected_version=None
    )
    assert e.status == "active"
    assert e.exited_on is None
    history = queries.get_expert_for(staff, expert.pk).history
    assert [h.action for h in history] == ["enrol", "suspend", "retire", "reinstate"]
    with pytest.raises(InvalidInput):
        actions.do_change_expert_status(
            actor=staff, expert_id=expert.pk, change="promote", reason="x", expected_version=None
        )


def test_expert_declares_own_unavailability_and_ties_but_not_others(clock, staff):
    expert = enrol(staff, account_id=5001)
    other = enrol(staff, account_id=5002)
    me = support.expert_actor(5001)
    day = date(2026, 3, 10)
    row = actions.do_declare_unavailability(actor=me, expert_id=expert.pk, start_date=day, end_date=day, reason="出差")
    assert row.expert_id == expert.pk
    with pytest.raises(PermissionDenied):
        actions.do_declare_unavailability(actor=me, expert_id=other.pk, start_date=day, end_date=day)
    firm = support.make_firm()
    tie = actions.do_declare_tie(
        actor=me, expert_id=expert.pk, data={"entity_id": firm, "kind": "relative", "description": "配偶任法定代表人"}
    )
    assert tie.entity_id == firm
    assert tie.uscc
    with pytest.raises(PermissionDenied):
        actions.do_withdraw_tie(actor=me, expert_id=expert.pk, tie_id=tie.pk, reason="误报")
    with pytest.raises(InvalidInput) as exc:
        actions.do_declare_unavailability(actor=me, expert_id=expert.pk, start_date=day, end_date=day - timedelta(1))
    assert exc.value.code == "experts.period_reversed"
    view = queries.get_expert_for(me, expert.pk)
    assert view.is_self
    assert view.phone == expert.phone
    assert view.unavailability
    assert view.ties


def test_pool_is_not_public(clock, staff):
    expert = enrol(staff)
    with pytest.raises(PermissionDenied):
        queries.list_experts_for(support.party(1))
    with pytest.raises(NotFound):
        queries.get_expert_for(support.party(1), expert.pk)
    view = queries.get_expert_for(support.regulator(), expert.pk)
    assert view.id_number != expert.id_number
    assert view.id_number.endswith(expert.id_number[-4:])
    assert queries.pool_statistics()[7].code == "A08"
    assert queries.pool_statistics()[7].active == 1


def test_pool_search_filters(clock, staff):
    enrol(staff, name="张工")
    enrol(staff, name="李工", specialties=[{"code": "A080104", "main": True}], region_code="310115")
    assert queries.list_experts_for(staff, specialty="A0801").total == 2
    assert queries.list_experts_for(staff, specialty="A080104").total == 1
    assert queries.list_experts_for(staff, region="310115").total == 1
    assert queries.list_experts_for(staff, q="张").items[0].name == "张工"
    assert queries.list_experts_for(staff, kind="gp").total == 2


def test_sanctions_by_staff_or_regulator(clock, staff):
    expert = enrol(staff)
    s = actions.do_record_sanction(
        actor=support.regulator(),
        expert_id=expert.pk,
        data={
            "kind": "suspension",
            "authority": "上海市发展和改革委员会",
            "reason": "评标中未客观公正履职",
            "start_date": "2026-03-01",
            "end_date": "2026-08-31",
        },
    )
    assert queries.get_expert_for(staff, expert.pk).sanctions[0].in_force
    with pytest.raises(PermissionDenied):
        actions.do_record_sanction(actor=support.expert_actor(1), expert_id=expert.pk, data={})
    actions.do_revoke_sanction(actor=staff, expert_id=expert.pk, sanction_id=s.pk, reason="复议撤销")
    assert not queries.get_expert_for(staff, expert.pk).sanctions
