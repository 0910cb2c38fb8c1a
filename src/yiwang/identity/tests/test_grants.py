"""Role grants: who may hand out which role over which region, and what the resulting actor may do."""

from __future__ import annotations

import pytest

from yiwang.identity.actions import do_create_organisation, do_grant_role, do_revoke_grant
from yiwang.identity.auth import actor_for_account
from yiwang.identity.models import Grant, OrganisationKind
from yiwang.kernel.actors import Role
from yiwang.kernel.errors import Conflict, InvalidInput, PermissionDenied

pytestmark = pytest.mark.django_db


def test_staff_admin_grants_a_district_regulator(staff_admin_actor, make_account):
    person = make_account("minhang-reg", "闵行监管员")
    grant = do_grant_role(actor=staff_admin_actor, role=Role.REGULATOR, account=person, region="310112")
    actor = actor_for_account(person)
    assert actor.has_role(Role.REGULATOR)
    assert actor.covers_region("310112", Role.REGULATOR)
    assert not actor.covers_region("310115", Role.REGULATOR)  # 浦东 is not 闵行
    assert grant.granted_by == staff_admin_actor.ref


def test_district_staff_cannot_grant_over_the_whole_city(staff_admin_actor, make_account):
    district_admin = make_account("mh-admin")
    do_grant_role(actor=staff_admin_actor, role=Role.STAFF, account=district_admin, region="310112", admin=True)
    someone = make_account("someone")
    with pytest.raises(PermissionDenied):
        do_grant_role(actor=actor_for_account(district_admin), role=Role.STAFF, account=someone, region="310000")
    # ... but may grant inside its own district
    do_grant_role(actor=actor_for_account(district_admin), role=Role.STAFF, account=someone, region="310112")


def test_ordinary_accounts_cannot_grant_official_roles(make_account):
    a, b = make_account(), make_account()
    count = Grant.objects.count()
    with pytest.raises(PermissionDenied):
        do_grant_role(actor=actor_for_account(a), role=Role.REGULATOR, account=b, region="310000")
    assert Grant.objects.count() == count


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"role": Role.REGULATOR}, "identity.grant_region_required"),
        ({"role": Role.MARKET_ENTITY_USER}, "identity.grant_entity_required"),
        ({"role": Role.PUBLIC, "region": "310000"}, "identity.grant_role"),
        ({"role": Role.REGULATOR, "region": "31011"}, "region.format"),
    ],
)
def test_bad_grants_get_specific_codes(staff_admin_actor, make_account, kwargs, code):
    person = make_account()
    with pytest.raises(InvalidInput) as caught:
        do_grant_role(actor=staff_admin_actor, account=person, **kwargs)
    assert caught.value.code == code


def test_revoking_removes_the_role_and_twice_is_a_conflict(staff_admin_actor, make_account):
    person = make_account()
    grant = do_grant_role(actor=staff_admin_actor, role=Role.AUDITOR, account=person, region="310000")
    do_revoke_grant(actor=staff_admin_actor, grant=grant)
    assert not actor_for_account(person).has_role(Role.AUDITOR)
    with pytest.raises(Conflict):
        do_revoke_grant(actor=staff_admin_actor, grant=grant)


def test_organisations_are_created_by_staff_admins_only(staff_admin_actor, make_account):
    org = do_create_organisation(
        actor=staff_admin_actor,
        kind=OrganisationKind.REGULATOR,
        name="上海市闵行区发展和改革委员会",
        region_code="310112",
    )
    assert org.region_code == "310112"
    with pytest.raises(Conflict):
        do_create_organisation(
            actor=staff_admin_actor, kind=OrganisationKind.REGULATOR, name=org.name, region_code="310112"
        )
    with pytest.raises(PermissionDenied):
        do_create_organisation(
            actor=actor_for_account(make_account()),
            kind=OrganisationKind.TRADING_CENTRE,
            name="某中心",
            region_code="310000",
        )
    with pytest.raises(InvalidInput) as caught:
        do_create_organisation(actor=staff_admin_actor, kind="bank", name="某银行", region_code="310000")
    assert caught.value.code == "identity.organisation_kind"


def test_the_registrant_becomes_the_entity_administrator(make_account):
    from yiwang.identity.auth import actor_for_account as actor_of
    from yiwang.registry.actions import do_register_entity

    person = make_account("registrant", "登记人")
    entity = do_register_entity(
        actor=actor_of(person),
        data={
            "kind": "legal_person",
            "uscc": "91310000132260947A",
            "roles": ["tender_agency"],
            "contact_name": "登记人",
            "contact_phone": "13800138000",
        },
    )
    actor = actor_of(person)
    assert actor.acts_for(entity.pk, admin=True)
    assert actor.has_role(Role.AGENCY)
    # nobody else can claim it, and the registrant cannot claim it twice
    from yiwang.identity.actions import do_grant_registrant_admin

    with pytest.raises(PermissionDenied):
        do_grant_registrant_admin(actor=actor_of(make_account("intruder")), entity_id=entity.pk, agency=False)
    with pytest.raises(Conflict):
        do_grant_registrant_admin(actor=actor, entity_id=entity.pk, agency=False)


def test_a_failed_grant_rolls_back_the_registration(make_account, monkeypatch):
    from yiwang.identity import actions as identity_actions
    from yiwang.identity.auth import actor_for_account as actor_of
    from yiwang.registry import queries as registry_queries
    from yiwang.registry.actions import do_register_entity

    def broken(**kwargs):
        raise RuntimeError("grant storage failed")

    monkeypatch.setattr(identity_actions, "do_grant_registrant_admin", broken)
    person = make_account("unlucky")
    with pytest.raises(RuntimeError):
        do_register_entity(
            actor=actor_of(person),
            data={
                "kind": "legal_person",
                "uscc": "91310115MA1FL2X37F",
                "roles": ["bidder"],
                "contact_name": "某人",
                "contact_phone": "13800138000",
            },
        )
    assert registry_queries.find_entity_by_uscc("91310115MA1FL2X37F") is None
