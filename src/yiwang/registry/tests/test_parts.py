"""Qualifications, key personnel and the basic deposit account of a registration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from yiwang.kernel.errors import Conflict, NotFound, PermissionDenied, PreconditionFailed, YiwangError
from yiwang.registry import actions, queries
from yiwang.registry.tests.support import admin_of, counts, events, person, regulator, staff, user_of


def refused(call, **kwargs) -> YiwangError:
    before = counts()
    with pytest.raises(YiwangError) as info:
        call(**kwargs)
    assert counts() == before, "a refused change left rows, witness entries or events behind"
    return info.value


QUALI = {
    "qualification_type": "construction_general",
    "certificate_no": "D231000001",
    "level": "一级",
    "scope": "建筑工程施工总承包",
    "issuing_authority": "上海市住房和城乡建设管理委员会",
    "valid_from": "2021-06-01",
    "valid_to": "2026-03-20",
}


def add_qualification(entity, actor=None, **overrides):
    return actions.do_add_qualification(
        actor=actor or admin_of(entity.pk), entity_id=entity.pk, data={**QUALI, **overrides}
    )


# -- qualifications ---------------------------------------------------------------------------------------------


def test_add_qualification_is_witnessed_and_bumps_the_entity(entity):
    q = add_qualification(entity)
    assert q.version == 1
    assert q.valid_to == date(2026, 3, 20)
    entity.refresh_from_db()
    assert entity.version == 2
    [event] = events("registry.qualification_added.v1")
    assert event.data["certificate_no"] == "D231000001"
    [change] = [c for c in queries.list_entity_changes_for(admin_of(entity.pk), entity.pk) if c.version == 2]
    assert change.field == "qualification"
    assert change.old_value is None
    assert change.new_value["certificate_no"] == "D231000001"


def test_qualification_status_by_date(entity, clock):
    add_qualification(entity)  # ends 2026-03-20: 18 days after "today" (2026-03-02)
    add_qualification(entity, certificate_no="AQ-001", qualification_type="safety_licence", valid_to="2026-01-31")
    add_qualification(entity, certificate_no="ZJ-009", qualification_type="cost_consulting", valid_to=None)
    add_qualification(
        entity, certificate_no="SJ-100", qualification_type="design", valid_from="2026-04-01", valid_to="2031-03-31"
    )
    admin = admin_of(entity.pk)
    statuses = {q.certificate_no: q.status_label for q in queries.list_qualifications_for(admin, entity.pk)}
    assert statuses == {"D231000001": "即将到期", "AQ-001": "已过期", "ZJ-009": "有效", "SJ-100": "未生效"}
    valid_now = [q.certificate_no for q in queries.list_valid_qualifications(entity.pk)]
    assert sorted(valid_now) == ["D231000001", "ZJ-009"]
    later = [q.certificate_no for q in queries.list_valid_qualifications(entity.pk, on=date(2026, 4, 1))]
    assert sorted(later) == ["SJ-100", "ZJ-009"]
    earlier = queries.list_valid_qualifications(entity.pk, on=date(2026, 1, 31), qualification_type="safety_licence")
    assert [q.certificate_no for q in earlier] == ["AQ-001"]
    # the public sees only those in force
    public = {q.certificate_no for q in queries.list_qualifications_for(person(9), entity.pk)}
    assert public == {"D231000001", "ZJ-009"}
    clock.advance(timedelta(days=19))  # 2026-03-21: the first one has expired
    assert {q.certificate_no for q in queries.list_valid_qualifications(entity.pk)} == {"ZJ-009"}


def test_update_and_withdraw_qualification(entity):
    admin = admin_of(entity.pk)
    q = add_qualification(entity)
    renewed = actions.do_update_qualification(
        actor=admin, entity_id=entity.pk, qualification_id=q.pk, changes={"valid_to": "2031-03-20"}, expected_version=1
    )
    assert renewed.version == 2
    assert renewed.valid_to == date(2031, 3, 20)
    error = refused(
        actions.do_update_qualification,
        actor=admin,
        entity_id=entity.pk,
        qualification_id=q.pk,
        changes={"level": "特级"},
        expected_version=1,
    )
    assert isinstance(error, PreconditionFailed)
    withdrawn = actions.do_withdraw_qualification(
        actor=admin, entity_id=entity.pk, qualification_id=q.pk, reason="证书注销", expected_version=2
    )
    assert withdrawn.withdrawn_at is not None
    assert queries.list_valid_qualifications(entity.pk) == []
    view = queries.get_qualification_for(admin, entity.pk, q.pk)
    assert view.status == "withdrawn"
    assert view.status_label == "已撤回"
    error = refused(actions.do_withdraw_qualification, actor=admin, entity_id=entity.pk, qualification_id=q.pk)
    assert isinstance(error, Conflict)
    assert error.code == "registry.qualification_withdrawn"
    # a withdrawn certificate number may be registered again (e.g. reissued)
    assert add_qualification(entity).pk != q.pk


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"qualification_type": "licence_to_kill"}, "catalog.code_unknown", "qualification_type"),
        ({"qualification_type": ""}, "registry.required", "qualification_type"),
        ({"certificate_no": " "}, "registry.required", "certificate_no"),
        ({"valid_to": "2020-01-01"}, "registry.validity_dates", "valid_to"),
        ({"valid_from": "2021-13-01"}, "registry.date_format", "valid_from"),
    ],
)
def test_invalid_qualifications(entity, overrides, code, field):
    error = refused(add_qualification, entity=entity, **overrides)
    assert (error.code, error.details.get("field")) == (code, field)


def test_one_certificate_has_one_holder(entity, register):
    from yiwang.registry.tests.support import MINHANG, org_data

    add_qualification(entity)
    other = register(org_data(MINHANG))
    error = refused(add_qualification, entity=other)
    assert error.code == "registry.qualification_duplicate"


def test_qualification_permissions(entity):
    for actor in (user_of(entity.pk), admin_of(entity.pk + 1), regulator(), person(9)):
        assert refused(add_qualification, entity=entity, actor=actor).code == "registry.forbidden"
    assert add_qualification(entity, actor=staff("310115")).pk


def test_unknown_qualification(entity):
    error = refused(
        actions.do_update_qualification,
        actor=admin_of(entity.pk),
        entity_id=entity.pk,
        qualification_id=424242,
        changes={"level": "二级"},
        expected_version=None,
    )
    assert isinstance(error, NotFound)
    assert error.code == "registry.qualification_not_found"


# -- key personnel -------------------------------------------------------------------------------------------------

PERSON = {
    "name": "陈建华",
    "id_number": "310115198506154568",
    "personnel_role": "project_manager",
    "title": "高级工程师",
    "certificates": [
        {
            "certificate_type": "constructor_1",
            "number": "沪131000000001",
            "specialty": "建筑工程",
            "valid_to": "2028-12-31",
        }
    ],
}


def add_person(entity, **overrides):
    return actions.do_add_personnel(actor=admin_of(entity.pk), entity_id=entity.pk, data={**PERSON, **overrides})


def test_personnel_ids_are_shown_in_full_only_to_the_entity_and_officials(entity):
    p = add_person(entity)
    assert p.id_document_type == "resident_id"
    for viewer in (admin_of(entity.pk), user_of(entity.pk), staff(), regulator()):
        [view] = queries.list_personnel_for(viewer, entity.pk)
        assert view.id_number == "310115198506154568"
    for viewer in (person(9), admin_of(entity.pk + 1)):
        [view] = queries.list_personnel_for(viewer, entity.pk)
        assert view.id_number == "310***********4568"
        assert view.id_document_type is None
        assert view.name == "陈建华"
        assert view.certificates[0].certificate_type_label == "一级注册建造师"
    [event] = events("registry.personnel_added.v1")
    assert event.visibility == "restricted"
    assert "310115198506154568" not in str(event.data)


def test_update_and_remove_personnel(entity):
    admin = admin_of(entity.pk)
    p = add_person(entity)
    changed = actions.do_update_personnel(
        actor=admin,
        entity_id=entity.pk,
        personnel_id=p.pk,
        changes={"personnel_role": "technical_lead", "certificates": []},
        expected_version=1,
    )
    assert changed.personnel_role == "technical_lead"
    assert changed.version == 2
    assert queries.get_personnel_for(admin, entity.pk, p.pk).certificates == ()
    removed = actions.do_remove_personnel(actor=admin, entity_id=entity.pk, personnel_id=p.pk, expected_version=2)
    assert not removed.is_active
    assert queries.list_personnel_for(person(9), entity.pk) == []
    assert [v.is_active for v in queries.list_personnel_for(admin, entity.pk, include_inactive=True)] == [False]
    error = refused(actions.do_remove_personnel, actor=admin, entity_id=entity.pk, personnel_id=p.pk)
    assert error.code == "registry.personnel_removed"
    # the same person may join again
    assert add_person(entity).pk != p.pk


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"id_number": "310115198506154567"}, "ric.check_digit", "id_number"),
        ({"id_number": "310115198513154568"}, "ric.birth_date", "id_number"),
        ({"personnel_role": "janitor"}, "catalog.code_unknown", "personnel_role"),
        ({"name": ""}, "registry.required", "name"),
        (
            {"certificates": [{"certificate_type": "wizard", "number": "1"}]},
            "catalog.code_unknown",
            "certificates.0.certificate_type",
        ),
        (
            {"certificates": [{"certificate_type": "constructor_2", "number": ""}]},
            "registry.required",
            "certificates.0.number",
        ),
    ],
)
def test_invalid_personnel(entity, overrides, code, field):
    error = refused(add_person, entity=entity, **overrides)
    assert (error.code, error.details.get("field")) == (code, field)


def test_the_same_person_once_per_entity(entity):
    add_person(entity)
    assert refused(add_person, entity=entity, name="陈建华（重复）").code == "registry.personnel_duplicate"


# -- the basic deposit account --------------------------------------------------------------------------------------

ACCOUNT = {
    "bank_name": "中国工商银行",
    "branch_name": "上海张江支行",
    "account_name": "上海浦江数智建设工程有限公司",
    "account_number": "1001 2345 6789 0123 456",
    "permit_number": "J2900012345678",
}


def set_account(entity, expected, actor=None, **overrides):
    return actions.do_set_basic_account(
        actor=actor or admin_of(entity.pk),
        entity_id=entity.pk,
        data={**ACCOUNT, **overrides},
        expected_version=expected,
    )


def test_basic_account_history_answers_for_any_instant(entity, clock):
    t1 = clock.now()
    first = set_account(entity, 1)
    assert first.account_number == "1001234567890123456"
    clock.advance(timedelta(days=30))
    t2 = clock.now()
    second = set_account(entity, 2, bank_name="中国建设银行", account_number="31050161373600001234", permit_number="")
    assert queries.get_basic_account(entity.pk, t1 - timedelta(seconds=1)) is None
    assert queries.get_basic_account(entity.pk, t1).account_number == "1001234567890123456"
    assert queries.get_basic_account(entity.pk, t2 - timedelta(microseconds=1)).id == first.pk
    assert queries.get_basic_account(entity.pk, t2).id == second.pk
    assert queries.get_basic_account(entity.pk).bank_name == "中国建设银行"
    history = queries.list_bank_accounts_for(admin_of(entity.pk), entity.pk)
    assert [a.id for a in history] == [second.pk, first.pk]
    assert history[1].valid_to == t2
    clock.advance(timedelta(days=1))
    t3 = clock.now()
    actions.do_close_basic_account(actor=admin_of(entity.pk), entity_id=entity.pk, expected_version=3)
    assert queries.get_basic_account(entity.pk, t3) is None
    assert queries.get_basic_account(entity.pk, datetime(2026, 4, 2, tzinfo=UTC)).id == second.pk
    assert len(events("registry.basic_account_changed.v1")) == 3


def test_basic_account_is_masked_for_the_public(entity):
    set_account(entity, 1)
    public = queries.get_entity_for(person(9), entity.pk).basic_account
    assert public.account_number == "****3456"
    assert public.masked
    assert public.permit_number is None
    own = queries.get_entity_for(user_of(entity.pk), entity.pk).basic_account
    assert own.account_number == "1001234567890123456"
    assert not own.masked
    with pytest.raises(PermissionDenied):
        queries.list_bank_accounts_for(person(9), entity.pk)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"account_name": "上海浦江数智建设有限公司"}, "registry.account_name_mismatch", "account_name"),
        ({"account_number": "1234 567"}, "registry.account_number_format", "account_number"),
        ({"account_number": "6222-0212-abcd"}, "registry.account_number_format", "account_number"),
        ({"permit_number": "J29000123"}, "registry.account_permit_format", "permit_number"),
        ({"bank_name": ""}, "registry.required", "bank_name"),
    ],
)
def test_invalid_basic_account(entity, overrides, code, field):
    error = refused(set_account, entity=entity, expected=1, **overrides)
    assert (error.code, error.details.get("field")) == (code, field)


def test_basic_account_changes_need_the_current_version_and_permission(entity):
    set_account(entity, 1)
    assert isinstance(refused(set_account, entity=entity, expected=1, account_number="12345678"), PreconditionFailed)
    assert refused(set_account, entity=entity, expected=2).code == "registry.account_unchanged"
    assert refused(set_account, entity=entity, expected=2, actor=user_of(entity.pk)).code == "registry.forbidden"
    error = refused(actions.do_close_basic_account, actor=admin_of(entity.pk), entity_id=entity.pk, expected_version=1)
    assert isinstance(error, PreconditionFailed)


def test_closing_without_an_account(entity):
    error = refused(actions.do_close_basic_account, actor=admin_of(entity.pk), entity_id=entity.pk, expected_version=1)
    assert error.code == "registry.no_basic_account"


def test_saving_the_same_person_again_changes_nothing(entity):
    p = add_person(entity)
    before = counts()
    same = actions.do_update_personnel(
        actor=admin_of(entity.pk),
        entity_id=entity.pk,
        personnel_id=p.pk,
        changes={"name": "陈建华", "certificates": PERSON["certificates"]},
        expected_version=1,
    )
    assert same.version == 1
    assert counts() == before
