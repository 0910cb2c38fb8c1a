"""Fixtures of the trust-layer tests: real accounts and grants (identity), registered demo companies (registry),
throwaway PKIs, and a trust list holding them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.identity.ca import actions
from yiwang.identity.ca.tests.support import MINHANG, PUJIANG, Pki
from yiwang.kernel.actors import Actor, Role
from yiwang.registry import actions as registry

PASSWORD = "Yiwang-test-2026"


def _company(uscc: str) -> dict:
    return {
        "kind": "legal_person",
        "uscc": uscc,
        "contact_name": "刘敏",
        "contact_phone": "13812345678",
        "contact_email": "liumin@example.com",
        "roles": ["bidder"],
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """These tests are about certificates; Argon2 would only make every account cost half a second."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class People:
    staff: object  # Account: trading-centre administrator over 310000
    admin_a: object  # administrator of entity A (上海浦江…)
    member_a: object  # ordinary user of entity A
    admin_b: object  # administrator of entity B (上海闵行…)
    outsider: object  # a person with no role
    entity_a: int
    entity_b: int

    def actor(self, account) -> Actor:
        return actor_for_account(account)


@pytest.fixture
def people(db, clock, system) -> People:
    def account(username: str, name: str):
        return identity.do_create_account(
            actor=Actor.anonymous(), username=username, display_name=name, password=PASSWORD
        )

    staff = account("ca-staff", "交易中心管理员")
    identity.do_grant_role(actor=system, role=Role.STAFF, account=staff, region="310000", admin=True)
    admin_a = account("admin-a", "浦江管理员")
    admin_b = account("admin-b", "闵行管理员")
    member_a = account("member-a", "浦江员工")
    outsider = account("outsider", "路人")
    entity_a = registry.do_register_entity(actor=actor_for_account(admin_a), data=_company(PUJIANG)).pk
    entity_b = registry.do_register_entity(actor=actor_for_account(admin_b), data=_company(MINHANG)).pk
    identity.do_grant_role(
        actor=actor_for_account(admin_a), role=Role.MARKET_ENTITY_USER, account=member_a, entity_id=entity_a
    )
    return People(staff, admin_a, member_a, admin_b, outsider, entity_a, entity_b)


@pytest.fixture
def staff_actor(people) -> Actor:
    return actor_for_account(people.staff)


@pytest.fixture
def pki() -> Pki:
    return Pki("sm2")


@pytest.fixture
def pki_ecdsa() -> Pki:
    return Pki("ecdsa", label="测试E")


def put_on_list(pki: Pki, actor: Actor, *, mapping="demo", crls: bool = True, crl_policy: str = "fail"):
    """Register the PKI's root (with ``mapping``) and issuing CA, and import a CRL of each."""
    root = actions.do_register_ca(actor=actor, certificate=pki.root.cert.der, mapping=mapping, crl_policy=crl_policy)
    sub = actions.do_register_ca(actor=actor, certificate=pki.sub.cert.der, crl_policy=crl_policy)
    if crls:
        actions.do_import_crl(actor=actor, crl=pki.crl("root"))
        actions.do_import_crl(actor=actor, crl=pki.crl("sub"))
    return root, sub


@pytest.fixture
def trusted(pki, staff_actor):
    return put_on_list(pki, staff_actor)


@pytest.fixture
def trusted_ecdsa(pki_ecdsa, staff_actor):
    return put_on_list(pki_ecdsa, staff_actor)


@pytest.fixture
def cert_a(pki, trusted):
    """An SM2 certificate of entity A (not bound yet)."""
    return pki.issue(entity=PUJIANG)


@pytest.fixture
def bound_a(people, cert_a):
    """Entity A's SM2 certificate, bound by A's administrator."""
    binding = actions.do_bind_certificate(actor=actor_for_account(people.admin_a), certificate=cert_a.cert.der)
    return cert_a, binding
